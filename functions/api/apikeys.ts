import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CreateApiKeyInput } from '../../core/api-key-input.js';
import { generateApiKey, hashApiKey, publicApiKey, type ApiKeyRecord } from '../../core/api-keys.js';
import { forbidden } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { requireRole } from '../../core/roles.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../../adapters/dynamodb/api-keys-store.js';
import { httpApi, json, noContent, parseBody, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { clock } from '../../core/clock.js';

/** A tenant's admins manage its keys; a key's secret is returned once, at creation. */
export const handler = middy(
  router({
    'GET /v1/apikeys': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'admin');
      return json(200, { items: (await listApiKeys(who.tenantId)).map(publicApiKey) });
    },
    'POST /v1/apikeys': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'admin');
      const input = parseBody(event, CreateApiKeyInput);
      const key = generateApiKey();
      const record: ApiKeyRecord = {
        id: newId('key'),
        tenantId: who.tenantId,
        name: input.name,
        role: input.role,
        operator: false,
        hash: hashApiKey(key),
        createdAt: clock.date().toISOString(),
        // In UTC, as every other time the API answers.
        ...(input.expiresAt ? { expiresAt: new Date(input.expiresAt).toISOString() } : {}),
      };
      await createApiKey(record);
      return json(201, { ...publicApiKey(record), key });
    },
    'DELETE /v1/apikeys/{id}': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'admin');
      const id = pathParam(event, 'id');
      if (id === who.keyId) throw forbidden('a key cannot revoke itself; use another admin key');
      await revokeApiKey(who.tenantId, id);
      return noContent();
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
