import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import {
  CreateCloudAccountInput,
  azureSecretName,
  azureSecretRefAllowed,
  checkAccountType,
  newExternalId,
  publicCloudAccount,
  secretParameterName,
  tenantSecretsPrefix,
  type CloudAccount,
  type CloudAccountSpec,
  type CloudAccountType,
  type CredentialCheck,
} from '../../core/cloud-accounts.js';
import { CloudError } from '../../core/cloud.js';
import { invalidField } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { projectForNew } from '../../core/projects.js';
import { cloudAccountFor, listedFor } from '../commons/access.js';
import { providerFor } from '../commons/cloud-provider.js';
import { createCloudAccount, deleteCloudAccount, listCloudAccounts, recordCheck } from '../../adapters/dynamodb/cloud-accounts-store.js';
import { httpApi, json, noContent, parseBody, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { ListQuery, ValidateQuery } from './queries.js';
import { clock } from '../../core/clock.js';

/** Parameter Store, loaded by the Azure accounts' routes only. */
const secrets = () => import('../../adapters/secrets/secrets-store.js');

/** Who Strata is in AWS: the principal a customer's role trusts (the CDK stack sets it; the local runtime too). */
const strataPrincipal = () => process.env.STRATA_AWS_PRINCIPAL ?? 'arn:aws:iam::000000000000:root';

/** Cloud types this deployment accepts; a deployed stack leaves the simulated cloud out. */
const allowedTypes = () => (process.env.CLOUD_ACCOUNT_TYPES ?? 'aws,azure').split(',') as CloudAccountType[];

/** Turn what was sent into what is kept: an ExternalId made here, an Azure secret stored here. */
async function accountSpec(input: CreateCloudAccountInput['spec'], tenantId: string, accountId: string): Promise<CloudAccountSpec> {
  switch (input.type) {
    case 'aws':
      return { type: 'aws', roleArn: input.roleArn, externalId: newExternalId(), ...(input.nodeIdentities ? { nodeIdentities: input.nodeIdentities } : {}) };
    case 'azure': {
      const { clientSecret, secretRef, ...principal } = input;
      const store = await secrets();
      const root = store.secretsPath();
      if (secretRef !== undefined) {
        if (!azureSecretRefAllowed(secretRef, root, tenantId)) throw invalidField('spec.secretRef', `must be under ${tenantSecretsPrefix(root, tenantId)}, this tenant's own path`);
        return { ...principal, secretRef, secretManaged: false };
      }
      const name = azureSecretName(root, tenantId, accountId);
      try {
        await store.putSecret(name, clientSecret!);
      } catch (err) {
        if (err instanceof store.SecretTooLarge) throw invalidField('spec.clientSecret', err.message);
        throw err;
      }
      return { ...principal, secretRef: name, secretManaged: true };
    }
    case 'local':
      return { type: 'local' };
  }
}

/** Where clusters run: an AWS role to assume, an Azure service principal, or the simulated cloud. */
export const handler = middy(
  router({
    'GET /v1/cloudaccounts': async (event) => {
      const who = principalOf(event);
      const page = await listCloudAccounts(who.tenantId, { ...parseQuery(event, ListQuery), ...listedFor(who) });
      return json(200, { ...page, items: page.items.map((a) => publicCloudAccount(a, strataPrincipal())) });
    },
    'POST /v1/cloudaccounts': async (event) => {
      const who = principalOf(event);
      const input = parseBody(event, CreateCloudAccountInput);
      // Credentials to a cloud are an admin's to hand out, in the project or the whole tenant.
      const projectId = projectForNew(who, input.projectId, 'admin');
      checkAccountType(input.spec.type, allowedTypes());
      const id = newId('ca');
      const spec = await accountSpec(input.spec, who.tenantId, id);
      const account: CloudAccount = { id, name: input.name, ...(projectId ? { projectId } : {}), spec, createdAt: clock.date().toISOString() };
      try {
        await createCloudAccount(who.tenantId, account);
      } catch (err) {
        if (spec.type === 'azure' && spec.secretManaged) await (await secrets()).deleteSecret(spec.secretRef).catch(() => undefined);
        throw err;
      }
      return json(201, publicCloudAccount(account, strataPrincipal()));
    },
    'GET /v1/cloudaccounts/{id}': async (event) => {
      const who = principalOf(event);
      return json(200, publicCloudAccount(await cloudAccountFor(who, pathParam(event, 'id'), 'viewer'), strataPrincipal()));
    },
    'POST /v1/cloudaccounts/{id}/validate': async (event) => {
      const who = principalOf(event);
      const account = await cloudAccountFor(who, pathParam(event, 'id'), 'editor');
      const { region } = parseQuery(event, ValidateQuery);
      const check = await checkCredentials(account, who.tenantId, region);
      await recordCheck(who.tenantId, account.id, check);
      return json(200, check);
    },
    'DELETE /v1/cloudaccounts/{id}': async (event) => {
      const who = principalOf(event);
      const account = await cloudAccountFor(who, pathParam(event, 'id'), 'admin');
      await deleteCloudAccount(who.tenantId, account);
      if (account.spec.type === 'azure' && account.spec.secretManaged) {
        const store = await secrets();
        await store.deleteSecret(secretParameterName(account.spec.secretRef, store.secretsPath()));
      }
      return noContent();
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());

/** Ask the provider itself; its refusal is the answer, in its own words. */
async function checkCredentials(account: CloudAccount, tenantId: string, region: string | undefined): Promise<CredentialCheck> {
  const checkedAt = clock.date().toISOString();
  const where = region ?? (account.spec.type === 'aws' ? (process.env.AWS_REGION ?? 'us-east-1') : account.spec.type === 'azure' ? 'eastus' : 'sim-east-1');
  try {
    const provider = await providerFor(account, { tenantId, region: where });
    return { valid: true, message: await provider.verifyAccess(), checkedAt };
  } catch (err) {
    const code = err instanceof CloudError ? err.code : ((err as { name?: string }).name ?? 'Error');
    return { valid: false, code, message: (err as Error).message, checkedAt };
  }
}
