import { APIGatewayClient, CreateUsagePlanCommand, GetUsagePlanKeysCommand } from '@aws-sdk/client-api-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageKeyOf } from '../../core/rate-limits.js';
import { putSecret } from '../../adapters/secrets/secrets-store.js';
import { handler as bootstrap } from '../../functions/ops/bootstrap.js';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { startMoto, type Moto } from '../moto.js';
import { startApi, type Api } from './harness.js';

/**
 * A tenant made through the API as in AWS, where API Gateway answers 403 to a tenant whose usage
 * key is not in the plan: the tenants handler reads the plan's id from its parameter (the local
 * Parameter Store) and makes the key in moto's API Gateway before the tenant exists; the deploy's
 * bootstrap gives the tenants made before the plan theirs.
 */
let api: Api;
let moto: Moto;
let gateway: APIGatewayClient;
let planId: string;

const PLAN_ID_PARAMETER = '/strata/local/usage-plan-id';

beforeAll(async () => {
  [api, moto] = await Promise.all([startApi(), startMoto()]);
  process.env.AWS_ENDPOINT_URL_API_GATEWAY = moto.endpoint;
  gateway = new APIGatewayClient({ endpoint: moto.endpoint });
  planId = (await gateway.send(new CreateUsagePlanCommand({ name: 'strata-tenants' }))).id!;
  process.env.USAGE_PLAN_ID_PARAMETER = PLAN_ID_PARAMETER;
}, 60_000);
afterAll(async () => {
  delete process.env.USAGE_PLAN_ID_PARAMETER;
  await Promise.all([api?.stop(), moto?.stop()]);
});

const planKeyValues = async () => ((await gateway.send(new GetUsagePlanKeysCommand({ usagePlanId: planId }))).items ?? []).map((k) => k.value);
const tenantIds = async () => ((await api.call('GET', '/v1/tenants')).body.items as { id: string }[]).map((t) => t.id);

describe('tenant usage keys', () => {
  it('writes no tenant and answers 503 while the usage key cannot be made, then makes both', async () => {
    // The plan's id is not readable yet.
    const refused = await api.call('POST', '/v1/tenants', { body: { name: 'umbrella' } });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: 'ServiceUnavailable', message: expect.stringMatching(/umbrella was not created.*usage key/) });
    expect(await tenantIds()).not.toContain('umbrella');
    expect(await planKeyValues()).toEqual([]);

    await putSecret(PLAN_ID_PARAMETER, planId);
    expect((await api.call('POST', '/v1/tenants', { body: { name: 'umbrella' } })).status).toBe(201);
    expect(await tenantIds()).toContain('umbrella');
    expect(await planKeyValues()).toEqual([usageKeyOf('umbrella')]);
  });

  it("puts each new tenant's own key in the plan", async () => {
    expect((await api.call('POST', '/v1/tenants', { body: { name: 'initech' } })).status).toBe(201);
    expect((await planKeyValues()).sort()).toEqual([usageKeyOf('initech'), usageKeyOf('umbrella')].sort());
  });

  it('gives every tenant its key on deploy, tenants made before the plan too, once however often it runs', async () => {
    // As the stack runs it: the plan's id in the environment and in the properties.
    process.env.USAGE_PLAN_ID = planId;
    const event = { RequestType: 'Update', ResourceProperties: { ServiceToken: 'x', OperatorKeyParameter: '/strata/local/operator-key', UsagePlanId: planId } } as unknown as CloudFormationCustomResourceEvent;
    try {
      expect((await bootstrap(event)).Data).toMatchObject({ usageKeys: 3 });
      await bootstrap(event);
    } finally {
      delete process.env.USAGE_PLAN_ID;
    }
    // "default" was made by the runtime's bootstrap, with no plan.
    expect((await planKeyValues()).sort()).toEqual(['default', 'initech', 'umbrella'].map(usageKeyOf).sort());
  });
});
