import { randomBytes } from 'node:crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { secretParameterName } from '../../core/cloud-accounts.js';
import { deleteSecret, putSecret } from '../../adapters/secrets/secrets-store.js';
import { logger } from '../commons/powertools.js';

/** What the StrataKeys custom resource passes (CloudFormation hands every property over as a string). */
interface Properties {
  /** The platform secret's parameter name. */
  readonly PlatformSecret: string;
  /** The platform's parameter path, /strata/<stack>. */
  readonly SecretsPath: string;
  /** Upgrading a stack that kept its secrets in Secrets Manager: the platform secret to copy (so running clusters' tokens stay valid). */
  readonly LegacyPlatformSecretArn?: string;
  /** Upgrading: copy every Azure client secret under strata/azure/ to its tenant's path. */
  readonly LegacyAzureSecrets?: string;
  /** 'true' when the stack's removal policy destroys key material. */
  readonly DeleteOnRemoval?: string;
}

/**
 * CloudFormation custom resource (Provider framework) that makes the platform secret, a
 * SecureString parameter CloudFormation itself cannot create: random on the first deploy, copied
 * from Secrets Manager when a stack that kept it there is upgraded, never replaced once it exists.
 * No value leaves this function.
 */
export async function handler(event: CloudFormationCustomResourceEvent) {
  const physicalId = 'strata-secret-parameters';
  const props = event.ResourceProperties as unknown as Properties;
  if (event.RequestType === 'Delete') {
    if (props.DeleteOnRemoval === 'true') await deleteSecret(props.PlatformSecret);
    return { PhysicalResourceId: physicalId };
  }
  const value = props.LegacyPlatformSecretArn ? await legacySecret(props.LegacyPlatformSecretArn) : randomBytes(48).toString('base64url');
  const made = await putSecret(props.PlatformSecret, value, { replace: false });
  let azureCopied = 0;
  if (props.LegacyAzureSecrets === 'true') azureCopied = await copyLegacyAzureSecrets(props.SecretsPath);
  logger.info('secret parameters', { platformSecretMade: made, copiedFromSecretsManager: !!props.LegacyPlatformSecretArn && made, azureCopied });
  return { PhysicalResourceId: physicalId };
}

/** Secrets Manager is loaded only for an upgrade that asks for it. */
async function legacySecret(arn: string): Promise<string> {
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arn }));
  if (out.SecretString === undefined) throw new Error(`secret ${arn} has no string value`);
  return out.SecretString;
}

/** Each strata/azure/<tenant>/<name> secret goes to <path>/tenants/<tenant>/cloudaccounts/<name>, where its account's record now resolves; one already there is kept. */
async function copyLegacyAzureSecrets(secretsPath: string): Promise<number> {
  const { GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const sm = new SecretsManagerClient({});
  let copied = 0;
  let NextToken: string | undefined;
  do {
    const page = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['strata/azure/'] }], NextToken }));
    for (const secret of page.SecretList ?? []) {
      const name = secret.Name ? secretParameterName(secret.Name, secretsPath) : '';
      if (!name.startsWith(`${secretsPath}/tenants/`) || !secret.ARN) continue;
      const value = await sm.send(new GetSecretValueCommand({ SecretId: secret.ARN }));
      if (value.SecretString !== undefined && (await putSecret(name, value.SecretString, { replace: false }))) copied++;
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return copied;
}
