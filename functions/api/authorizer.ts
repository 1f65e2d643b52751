import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { bearerKey, hashApiKey, isJwtShaped, keyExpired } from '../../core/api-keys.js';
import { clock } from '../../core/clock.js';
import { usageKeyOf } from '../../core/rate-limits.js';
import { keyContext, userContext, type AuthorizerContext } from '../../core/roles.js';
import { findApiKeyByHash } from '../../adapters/dynamodb/api-keys-store.js';
import { logger } from '../commons/powertools.js';

/**
 * API Gateway REQUEST authorizer: `Authorization: Bearer <key>` → tenant, role (tenant-wide or per project), operator.
 * Throwing 'Unauthorized' is API Gateway's contract for a 401. The policy allows every
 * route of the stage, so one cached decision serves all of the key's requests; what a role
 * may do is checked by the handlers. The usage identifier key puts the request in its tenant's
 * share of the usage plan (core/rate-limits.ts): every key of a tenant draws on the same limits.
 * A key past its expiry is refused as an unknown one is. A JWT is a person's ID token from their
 * tenant's identity provider (core/sso.ts): its role comes from its groups.
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const headers = event.headers ?? {};
  const auth = Object.entries(headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
  const key = bearerKey(auth ?? undefined);
  if (!key) throw new Error('Unauthorized');
  const [arnBase, stage] = event.methodArn.split('/');
  const allow = (context: AuthorizerContext): APIGatewayAuthorizerResult => ({
    principalId: `${context.tenantId}/${context.keyId}`,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${arnBase}/${stage}/*/*` }],
    },
    usageIdentifierKey: usageKeyOf(context.tenantId),
    context,
  });
  if (isJwtShaped(key)) {
    // Loaded only for people signing in: API-key requests never parse a JWT library.
    const { signedInUser } = await import('../commons/signed-in-user.js');
    const who = await signedInUser(key).catch((err: Error) => ({ ok: false as const, reason: err.message }));
    if (!who.ok) {
      logger.info('rejected ID token', { reason: who.reason });
      throw new Error('Unauthorized');
    }
    return allow(userContext(who.config.tenantId, who.grant, who.user));
  }
  const record = await findApiKeyByHash(hashApiKey(key));
  if (!record) {
    logger.info('rejected API key', { keyPrefix: key.slice(0, 10) });
    throw new Error('Unauthorized');
  }
  // Judged on the record just read; with the cached decision, a key stops working within AUTHORIZER_CACHE_SECONDS of its expiry.
  if (keyExpired(record, clock.now())) {
    logger.info('rejected expired API key', { tenantId: record.tenantId, keyId: record.id, expiresAt: record.expiresAt });
    throw new Error('Unauthorized');
  }
    // A key limited to a project holds its role there only (core/projects.ts).
  const grant = record.projectId ? { role: record.role, projects: { [record.projectId]: record.role } } : { role: record.role };
  return allow(keyContext(record.tenantId, record.id, grant, record.operator));
}
