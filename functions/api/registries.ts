import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { newId } from '../../core/ids.js';
import { CreateRegistryInput, type Registry } from '../../core/registries.js';
import { requireRole } from '../../core/roles.js';
import { createRegistry, deleteRegistry, getRegistry, listRegistries } from '../../adapters/dynamodb/registries-store.js';
import { httpApi, json, noContent, parseBody, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { clock } from '../../core/clock.js';

/** The built-in public registry plus each tenant's private ones. */
export const handler = middy(
  router({
    'GET /v1/registries': async (event) => {
      const who = principalOf(event);
      return json(200, { items: await listRegistries(who.tenantId) });
    },
    'POST /v1/registries': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'editor');
      const input = parseBody(event, CreateRegistryInput);
      const registry: Registry = { id: newId('reg'), ...input, scope: 'private', ownerTenantId: who.tenantId, createdAt: clock.date().toISOString() };
      await createRegistry(who.tenantId, registry);
      return json(201, registry);
    },
    'GET /v1/registries/{id}': async (event) => {
      const who = principalOf(event);
      return json(200, await getRegistry(who.tenantId, pathParam(event, 'id')));
    },
    'DELETE /v1/registries/{id}': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'admin');
      await deleteRegistry(who.tenantId, pathParam(event, 'id'));
      return noContent();
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
