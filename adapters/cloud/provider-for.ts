import { azureSecretRefAllowed, secretParameterName, tenantSecretsPrefix, type CloudAccount } from '../../core/cloud-accounts.js';
import { CloudError, type CloudProvider } from '../../core/cloud.js';
import { getSecret, SECRETS_PATH_ENV } from '../secrets/secrets-store.js';
import { awsProvider } from './aws/ec2-provider.js';
import { azureProvider } from './azure/azure-provider.js';
import { SimulatedProvider } from './simulated/simulated-provider.js';

export interface ProviderScope {
  /** The tenant acting: an Azure secret outside its own prefix is never read. */
  readonly tenantId: string;
  readonly region: string;
  /** The one cluster the provider acts for (names the AWS session after it). */
  readonly clusterId?: string;
}

/** The provider for a cloud account, in a region, on behalf of one tenant. */
export async function providerFor(account: CloudAccount, scope: ProviderScope): Promise<CloudProvider> {
  const spec = account.spec;
  switch (spec.type) {
    case 'aws':
      return awsProvider({ roleArn: spec.roleArn, externalId: spec.externalId }, scope.region, scope.clusterId);
    case 'azure':
      return azureProvider(spec, await azureSecret(spec.secretRef, scope.tenantId), scope.region);
    case 'local':
      return new SimulatedProvider(scope.region);
  }
}

async function azureSecret(secretRef: string, tenantId: string): Promise<string> {
  const root = process.env[SECRETS_PATH_ENV] ?? '';
  // Checked again here, not only at creation: a record can never make Strata read another tenant's secret.
  if (!azureSecretRefAllowed(secretRef, root, tenantId)) {
    throw new CloudError('SecretOutsideTenant', `the Azure client secret ${secretRef} is not under this tenant's ${tenantSecretsPrefix(root, tenantId)}`, false);
  }
  try {
    return await getSecret(secretParameterName(secretRef, root));
  } catch (err) {
    throw new CloudError('SecretUnavailable', `cannot read the Azure client secret ${secretRef}: ${(err as Error).message}`);
  }
}
