import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { forbidden, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { CreatePackInput, type Pack } from '../../core/packs.js';
import { PUBLIC_REGISTRY_ID } from '../../core/registries.js';
import { requireRole } from '../../core/roles.js';
import { createPack, getPack, getRegistry, listPacks } from '../../adapters/dynamodb/registries-store.js';
import { httpApi, json, parseBody, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { PackQuery } from './queries.js';
import { clock } from '../../core/clock.js';

/** Packs are immutable once published: a change is a new version. */
export const handler = middy(
  router({
    'GET /v1/registries/{id}/packs': async (event) => {
      const who = principalOf(event);
      const registry = await getRegistry(who.tenantId, pathParam(event, 'id'));
      const { layer, name, ...page } = parseQuery(event, PackQuery);
      const filter: Record<string, string> = {};
      if (layer) filter.layer = layer;
      if (name) filter.name = name;
      return json(200, await listPacks(who.tenantId, registry.id, { ...page, filter }));
    },
    'POST /v1/registries/{id}/packs': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'editor');
      const registryId = pathParam(event, 'id');
      const registry = await getRegistry(who.tenantId, registryId);
      if (registry.id === PUBLIC_REGISTRY_ID) throw forbidden('the public registry is read-only; publish to a private registry');
      const input = parseBody(event, CreatePackInput);
      const pack: Pack = { id: newId('pk'), registryId, ...input, createdAt: clock.date().toISOString() };
      await createPack(who.tenantId, pack);
      return json(201, pack);
    },
    'GET /v1/registries/{id}/packs/{packId}': async (event) => {
      const who = principalOf(event);
      const registry = await getRegistry(who.tenantId, pathParam(event, 'id'));
      const packId = pathParam(event, 'packId');
      const pack = await getPack(who.tenantId, registry.id, packId);
      if (!pack) throw notFound('pack', packId, 'packId');
      return json(200, pack);
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
