import type { CloudProvider } from '../../core/cloud.js';
import type { CloudAccount } from '../../core/cloud-accounts.js';
import type { ProviderScope } from '../../adapters/cloud/provider-for.js';

/**
 * adapters/cloud/provider-for.js, loaded on first use: the cloud SDKs (EC2, IAM, ELB, SSM, STS,
 * Azure) are the largest part of a handler, and only the routes that ask a cloud need them.
 */
export async function providerFor(account: CloudAccount, scope: ProviderScope): Promise<CloudProvider> {
  const { providerFor: load } = await import('../../adapters/cloud/provider-for.js');
  return load(account, scope);
}
