import { APIGatewayClient, CreateUsagePlanCommand, GetApiKeysCommand, GetUsagePlanKeysCommand } from '@aws-sdk/client-api-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTenantUsageKey } from '../../../../adapters/apigateway/usage-keys.js';
import { usageKeyOf } from '../../../../core/rate-limits.js';
import { startMoto, type Moto } from '../../../moto.js';

/** A tenant's usage key against moto's API Gateway: the calls the tenants handler and the bootstrap make in AWS. */
let moto: Moto;
let direct: APIGatewayClient;
const saved = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, { AWS_ENDPOINT_URL_API_GATEWAY: moto.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  direct = new APIGatewayClient({ endpoint: moto.endpoint });
  // The plan is the stack's (lib/api.ts).
  const plan = await direct.send(new CreateUsagePlanCommand({ name: 'strata-tenants' }));
  process.env.USAGE_PLAN_ID = plan.id;
}, 60_000);
afterAll(async () => {
  process.env = saved;
  await moto?.stop();
});

const planKeys = async () => (await direct.send(new GetUsagePlanKeysCommand({ usagePlanId: process.env.USAGE_PLAN_ID }))).items ?? [];
const keysNamed = async (name: string) => ((await direct.send(new GetApiKeysCommand({ nameQuery: name, includeValues: true }))).items ?? []).filter((k) => k.name === name);

describe('tenant usage keys', () => {
  it("makes the tenant's key with the value the authorizer names and puts it in the plan once, however often it runs", async () => {
    const first = await ensureTenantUsageKey('x');
    const again = await ensureTenantUsageKey('x');
    expect(again.keyId).toBe(first.keyId);
    const keys = await keysNamed('strata-tenant-x');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ id: first.keyId, value: usageKeyOf('x'), enabled: true });
    expect((await planKeys()).filter((k) => k.id === first.keyId)).toEqual([expect.objectContaining({ type: 'API_KEY', value: usageKeyOf('x') })]);
  });

  it('finds its own key, not one whose name it begins', async () => {
    const longer = await ensureTenantUsageKey('xy');
    const { keyId } = await ensureTenantUsageKey('x');
    expect(keyId).not.toBe(longer.keyId);
    expect((await keysNamed('strata-tenant-xy'))[0]).toMatchObject({ id: longer.keyId, value: usageKeyOf('xy') });
    expect((await planKeys()).map((k) => k.value).sort()).toEqual([usageKeyOf('x'), usageKeyOf('xy')].sort());
  });

  it('refuses to run without a plan to put keys in', async () => {
    const plan = process.env.USAGE_PLAN_ID;
    delete process.env.USAGE_PLAN_ID;
    try {
      await expect(ensureTenantUsageKey('z')).rejects.toThrow(/USAGE_PLAN_ID/);
    } finally {
      process.env.USAGE_PLAN_ID = plan;
    }
  });
});
