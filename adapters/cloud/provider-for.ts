import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudAccount } from '../../core/cloud-accounts.js';
import { CloudError, type CloudProvider } from '../../core/cloud.js';
import { awsProvider } from './aws/ec2-provider.js';
import { azureProvider } from './azure/azure-provider.js';
import { SimulatedProvider } from './simulated/simulated-provider.js';

/** The provider for a cloud account and region. */
export async function providerFor(account: CloudAccount, region: string, clusterId?: string): Promise<CloudProvider> {
  const spec = account.spec;
  switch (spec.type) {
    case 'aws':
      return awsProvider({ roleArn: spec.roleArn, externalId: spec.externalId }, region, clusterId);
    case 'azure':
      return azureProvider(spec, await azureSecret(spec.secretRef), region);
    case 'local':
      return new SimulatedProvider(region);
  }
}

async function azureSecret(secretRef: string): Promise<string> {
  try {
    const res = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretRef }));
    if (!res.SecretString) throw new Error('empty secret');
    return res.SecretString;
  } catch (err) {
    throw new CloudError('SecretUnavailable', `cannot read the Azure client secret ${secretRef}: ${(err as Error).message}`);
  }
}
