import { describe, expect, it } from 'vitest';
import { providerFor } from '../../../adapters/cloud/provider-for.js';
import { CloudError } from '../../../core/cloud.js';
import type { CloudAccount } from '../../../core/cloud-accounts.js';

const azureAccount = (secretRef: string): CloudAccount => ({
  id: 'ca-1',
  name: 'az',
  createdAt: '2026-01-01T00:00:00Z',
  spec: { type: 'azure', tenantId: '8f6a0c1e-3c2b-4d1a-9b7e-0a1b2c3d4e5f', clientId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', subscriptionId: '2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a', secretRef, secretManaged: false },
});

describe('the provider for a cloud account', () => {
  it('never reads an Azure secret outside the acting tenant’s prefix, whatever the record says', async () => {
    for (const ref of ['strata/azure/acme/ca-1', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:strata/azure/acme/ca-1', 'strata/azure/defaultx/ca-1']) {
      const err = await providerFor(azureAccount(ref), { tenantId: 'default', region: 'westeurope' }).catch((e: unknown) => e);
      expect(err, ref).toBeInstanceOf(CloudError);
      expect((err as CloudError).code).toBe('SecretOutsideTenant');
      expect((err as CloudError).retryable).toBe(false);
    }
  });
});
