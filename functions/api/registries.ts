import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { newId } from '../../core/ids.js';
import { projectForNew } from '../../core/projects.js';
import { CreateRegistryInput, type Registry } from '../../core/registries.js';
import { createRegistry, deleteRegistry, listRegistries } from '../../adapters/dynamodb/registries-store.js';
import { listedFor, registryFor } from '../commons/access.js';
import { httpApi, json, noContent, parseBody, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { clock } from '../../core/clock.js';

/** The built-in public registry (no project: every project reads it) plus each tenant's private ones. */
export const handler = middy(
  router({
    'GET /v1/registries': async (event) => {
      const who = principalOf(event);
      return json(200, { items: await listRegistries(who.tenantId, listedFor(who)) });
    },
    'POST /v1/registries': async (event) => {
      const who = principalOf(event);
      const { projectId: requested, ...input } = parseBody(event, CreateRegistryInput);
      const projectId = projectForNew(who, requested);
      const registry: Registry = {
        id: newId('reg'),
        ...input,
        ...(projectId ? { projectId } : {}),
        scope: 'private',
        ownerTenantId: who.tenantId,
        createdAt: clock.date().toISOString(),
      };
      await createRegistry(who.tenantId, registry);
      return json(201, registry);
    },
    'GET /v1/registries/{id}': async (event) => {
      const who = principalOf(event);
      return json(200, await registryFor(who, pathParam(event, 'id'), 'viewer'));
    },
    'DELETE /v1/registries/{id}': async (event) => {
      const who = principalOf(event);
      await deleteRegistry(who.tenantId, await registryFor(who, pathParam(event, 'id'), 'admin'));
      return noContent();
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
