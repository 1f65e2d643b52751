import { APIGatewayClient, ConflictException, CreateApiKeyCommand, CreateUsagePlanKeyCommand, GetApiKeysCommand } from '@aws-sdk/client-api-gateway';
import { usageKeyOf } from '../../core/rate-limits.js';
import { getSecret } from '../secrets/secrets-store.js';
import { USAGE_PLAN_ID_ENV, USAGE_PLAN_ID_PARAMETER_ENV } from './usage-plan.js';

/**
 * A tenant's API Gateway API key in the tenant usage plan. The authorizer names the key by value
 * (usageIdentifierKey, core/rate-limits.ts); on a method that requires an API key, API Gateway
 * answers 403 to a key that is not in a usage plan of the stage, so every tenant needs its key
 * there before its first request.
 */

let client: APIGatewayClient | undefined;
const apigateway = () => (client ??= new APIGatewayClient({ maxAttempts: 5 }));

let planIdFromParameter: Promise<string> | undefined;

/** The plan's id: USAGE_PLAN_ID, or the parameter USAGE_PLAN_ID_PARAMETER names (a plain String parameter, read once). */
async function tenantUsagePlanId(): Promise<string> {
  const id = process.env[USAGE_PLAN_ID_ENV];
  if (id) return id;
  const parameter = process.env[USAGE_PLAN_ID_PARAMETER_ENV];
  if (!parameter) throw new Error(`neither ${USAGE_PLAN_ID_ENV} nor ${USAGE_PLAN_ID_PARAMETER_ENV} is set`);
  planIdFromParameter ??= getSecret(parameter).catch((err: unknown) => {
    planIdFromParameter = undefined;
    throw err;
  });
  return planIdFromParameter;
}

export const usageKeyName = (tenantId: string) => `strata-tenant-${tenantId}`;

/**
 * Make the tenant's key and put it in the usage plan, idempotently: a key or a plan entry already
 * there is kept, so a retry, a second deploy or a tenant made before the plan all end the same way.
 */
export async function ensureTenantUsageKey(tenantId: string): Promise<{ readonly keyId: string }> {
  const usagePlanId = await tenantUsagePlanId();
  const keyId = await ensureApiKey(tenantId);
  try {
    await apigateway().send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' }));
  } catch (err) {
    // AWS answers ConflictException for a key already in the plan.
    if (!(err instanceof ConflictException)) throw err;
  }
  return { keyId };
}

async function ensureApiKey(tenantId: string): Promise<string> {
  const name = usageKeyName(tenantId);
  try {
    const created = await apigateway().send(new CreateApiKeyCommand({ name, value: usageKeyOf(tenantId), enabled: true }));
    if (created.id) return created.id;
  } catch (err) {
    // "API Key already exists": the value is derived from the tenant id, so it is this tenant's key.
    if (!(err instanceof ConflictException)) throw err;
  }
  return findApiKeyId(name, usageKeyOf(tenantId));
}

/** nameQuery matches by prefix: strata-tenant-a would also find strata-tenant-ab, so the name and value are compared. */
async function findApiKeyId(name: string, value: string): Promise<string> {
  let position: string | undefined;
  do {
    const page = await apigateway().send(new GetApiKeysCommand({ nameQuery: name, includeValues: true, limit: 500, position }));
    const key = page.items?.find((k) => k.name === name && k.value === value);
    if (key?.id) return key.id;
    position = page.position;
  } while (position);
  throw new Error(`API key ${name} exists in API Gateway but could not be found by name`);
}
