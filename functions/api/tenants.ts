import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { generateApiKey, hashApiKey, publicApiKey, type ApiKeyRecord } from '../../core/api-keys.js';
import { newId } from '../../core/ids.js';
import { requireOperator } from '../../core/roles.js';
import { CreateTenantInput, type Tenant } from '../../core/tenants.js';
import { createTenant, listTenants } from '../../adapters/dynamodb/tenants-store.js';
import { httpApi, json, parseBody, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { clock } from '../../core/clock.js';
import { DomainError } from '../../core/errors.js';
import { usagePlanConfigured } from '../../adapters/apigateway/usage-plan.js';

/**
 * The tenant's key in the API's usage plan, before the tenant exists: without it every request of
 * the tenant would get API Gateway's 403. The adapter (and the API Gateway client) loads only here,
 * not on every cold start. The local runtime has no usage plan: it throttles in its gateway.
 */
async function ensureUsageKey(tenantId: string): Promise<void> {
  if (!usagePlanConfigured()) return;
  try {
    const { ensureTenantUsageKey } = await import('../../adapters/apigateway/usage-keys.js');
    await ensureTenantUsageKey(tenantId);
  } catch (err) {
    logger.error('usage key not made', { tenantId, error: err as Error });
    throw new DomainError(503, 'ServiceUnavailable', `tenant ${tenantId} was not created: its API Gateway usage key could not be made; retry later`);
  }
}

/** Operators create tenants; the answer carries the tenant's first admin key, shown once. */
export const handler = middy(
  router({
    'GET /v1/tenants': async (event) => {
      requireOperator(principalOf(event));
      return json(200, { items: await listTenants() });
    },
    'POST /v1/tenants': async (event) => {
      requireOperator(principalOf(event));
      const input = parseBody(event, CreateTenantInput);
      const now = clock.date().toISOString();
      const tenant: Tenant = { id: input.name, name: input.name, displayName: input.displayName, createdAt: now };
      const key = generateApiKey();
      const record: ApiKeyRecord = { id: newId('key'), tenantId: tenant.id, name: 'initial admin', role: 'admin', operator: false, hash: hashApiKey(key), createdAt: now };
      await ensureUsageKey(tenant.id);
      await createTenant(tenant, record);
      return json(201, { tenant, apiKey: { ...publicApiKey(record), key } });
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
