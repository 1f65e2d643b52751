import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CreateApiKeyInput } from '../../core/api-key-input.js';
import { generateApiKey, hashApiKey, publicApiKey, type ApiKeyRecord } from '../../core/api-keys.js';
import { forbidden, notFound } from '../../core/errors.js';
import { projectForNew } from '../../core/projects.js';
import { newId } from '../../core/ids.js';
import { requireRole, type Principal } from '../../core/roles.js';
import { createApiKey, getApiKey, listApiKeys, revokeApiKey } from '../../adapters/dynamodb/api-keys-store.js';
import { httpApi, json, noContent, parseBody, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { clock } from '../../core/clock.js';

/** The projects a caller with roles in projects only is admin of. */
const administered = (who: Principal) => Object.entries(who.projects ?? {}).filter(([, role]) => role === 'admin').map(([id]) => id);

/** Tenant-wide admins manage every key; a project's admins, that project's keys. */
const managedBy = (who: Principal, key: ApiKeyRecord) => !who.projects || (key.projectId !== undefined && administered(who).includes(key.projectId));

/**
 * A tenant's admins manage its keys, a project's admins the keys limited to it; a key's secret is
 * returned once, at creation.
 */
export const handler = middy(
  router({
    'GET /v1/apikeys': async (event) => {
      const who = principalOf(event);
      if (!who.projects) requireRole(who, 'admin');
      else if (administered(who).length === 0) throw forbidden('managing API keys needs the admin role, tenant-wide or in a project');
      const items = await listApiKeys(who.tenantId);
      return json(200, { items: items.filter((k) => managedBy(who, k)).map(publicApiKey) });
    },
    'POST /v1/apikeys': async (event) => {
      const who = principalOf(event);
      if (!who.projects) requireRole(who, 'admin');
      const input = parseBody(event, CreateApiKeyInput);
      // A project's admin makes keys of that project only.
      const projectId = who.projects ? projectForNew(who, input.projectId, 'admin') : input.projectId;
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
        ...(projectId ? { projectId } : {}),
      };
      await createApiKey(record);
      return json(201, { ...publicApiKey(record), key });
    },
    'DELETE /v1/apikeys/{id}': async (event) => {
      const who = principalOf(event);
      if (!who.projects) requireRole(who, 'admin');
      const id = pathParam(event, 'id');
      if (id === who.keyId) throw forbidden('a key cannot revoke itself; use another admin key');
      // Another project's key is not found, as another tenant's is.
      const key = who.projects ? await getApiKey(who.tenantId, id) : undefined;
      if (who.projects && (!key || !managedBy(who, key))) throw notFound('API key', id);
      await revokeApiKey(who.tenantId, id);
      return noContent();
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
