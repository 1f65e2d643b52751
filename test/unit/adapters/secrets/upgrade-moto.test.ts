import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerFor } from '../../../../adapters/cloud/provider-for.js';
import { getSecret, SecretNotFound } from '../../../../adapters/secrets/secrets-store.js';
import { CloudError } from '../../../../core/cloud.js';
import type { CloudAccount } from '../../../../core/cloud-accounts.js';
import { handler } from '../../../../functions/ops/secret-parameters.js';
import { startMoto, type Moto } from '../../../moto.js';
import { useSsmEndpoint } from './store-cases.js';

/**
 * The platform secret's custom resource against moto (Secrets Manager and Parameter Store): made
 * once and never replaced, and on an upgrade copied from Secrets Manager with the Azure client
 * secrets, which older account records then find.
 */
let moto: Moto;
let sm: SecretsManagerClient;
beforeAll(async () => {
  moto = await startMoto();
  useSsmEndpoint(moto.endpoint);
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = moto.endpoint;
  delete process.env.CLUSTER_SECRETS_KEY_ARN;
  sm = new SecretsManagerClient({});
});
afterAll(() => moto?.stop());

type Props = Record<string, string>;
const event = (RequestType: 'Create' | 'Update' | 'Delete', props: Props) =>
  ({ RequestType, ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:provider', ...props } }) as unknown as CloudFormationCustomResourceEvent;

const azureAccount = (secretRef: string): CloudAccount => ({
  id: 'ca-1',
  name: 'az',
  createdAt: '2026-01-01T00:00:00Z',
  spec: { type: 'azure', tenantId: '8f6a0c1e-3c2b-4d1a-9b7e-0a1b2c3d4e5f', clientId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', subscriptionId: '2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a', secretRef, secretManaged: true },
});

describe('the platform secret parameter', () => {
  it('is made random on the first deploy and kept by every later one', async () => {
    const props = { PlatformSecret: '/strata/fresh/platform-secret', SecretsPath: '/strata/fresh' };
    await handler(event('Create', props));
    const made = await getSecret(props.PlatformSecret);
    expect(made).toMatch(/^[\w-]{64}$/);
    await handler(event('Update', props));
    await handler(event('Create', props));
    expect(await getSecret(props.PlatformSecret)).toBe(made);
  });

  it('stays when the stack goes, unless its removal policy destroys key material', async () => {
    const props = { PlatformSecret: '/strata/gone/platform-secret', SecretsPath: '/strata/gone' };
    await handler(event('Create', props));
    await handler(event('Delete', props));
    expect(await getSecret(props.PlatformSecret)).toMatch(/^[\w-]{64}$/);
    await handler(event('Delete', { ...props, DeleteOnRemoval: 'true' }));
    await expect(getSecret(props.PlatformSecret)).rejects.toBeInstanceOf(SecretNotFound);
  });
});

describe('upgrading a stack that kept its secrets in Secrets Manager', () => {
  it('copies the platform secret and every Azure client secret to its tenant’s path, once', async () => {
    const legacy = await sm.send(new CreateSecretCommand({ Name: 'KeysPlatformSecret1A2B3C-x', SecretString: 'the-old-platform-secret' }));
    await sm.send(new CreateSecretCommand({ Name: 'strata/azure/default/ca-1', SecretString: 'azure-default' }));
    await sm.send(new CreateSecretCommand({ Name: 'strata/azure/acme/team/ca-2', SecretString: 'azure-acme' }));
    await sm.send(new CreateSecretCommand({ Name: 'someone-else/strata/azure/x', SecretString: 'not ours' }));
    const props = { PlatformSecret: '/strata/up/platform-secret', SecretsPath: '/strata/up', LegacyPlatformSecretArn: legacy.ARN!, LegacyAzureSecrets: 'true' };
    await handler(event('Create', props));
    expect(await getSecret('/strata/up/platform-secret')).toBe('the-old-platform-secret');
    expect(await getSecret('/strata/up/tenants/default/cloudaccounts/ca-1')).toBe('azure-default');
    expect(await getSecret('/strata/up/tenants/acme/cloudaccounts/team/ca-2')).toBe('azure-acme');
    await expect(getSecret('/strata/up/tenants/someone-else/cloudaccounts/x')).rejects.toBeInstanceOf(SecretNotFound);

    // A record from before the upgrade still says strata/azure/…: it resolves to the copy, for its own tenant only.
    process.env.SECRETS_PATH = '/strata/up';
    await expect(providerFor(azureAccount('strata/azure/default/ca-1'), { tenantId: 'default', region: 'westeurope' })).resolves.toBeDefined();
    const foreign = await providerFor(azureAccount('strata/azure/acme/team/ca-2'), { tenantId: 'default', region: 'westeurope' }).catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(CloudError);
    expect((foreign as CloudError).code).toBe('SecretOutsideTenant');
    const missing = await providerFor(azureAccount('strata/azure/default/ca-9'), { tenantId: 'default', region: 'westeurope' }).catch((e: unknown) => e);
    expect((missing as CloudError).code).toBe('SecretUnavailable');
    expect((missing as CloudError).message).toContain('no secret is stored under /strata/up/tenants/default/cloudaccounts/ca-9');
  });
});
