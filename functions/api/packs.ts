import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { forbidden, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { CreatePackInput, type Pack } from '../../core/packs.js';
import { PUBLIC_REGISTRY_ID } from '../../core/registries.js';
import { createPack, getPack, listPacks } from '../../adapters/dynamodb/registries-store.js';
import { registryFor } from '../commons/access.js';
import { httpApi, json, parseBody, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { PackQuery } from './queries.js';
import { clock } from '../../core/clock.js';

/** Packs are immutable once published: a change is a new version. A registry's packs are seen and added as their registry allows. */
export const handler = middy(
  router({
    'GET /v1/registries/{id}/packs': async (event) => {
      const who = principalOf(event);
      const registry = await registryFor(who, pathParam(event, 'id'), 'viewer');
      const { layer, name, ...page } = parseQuery(event, PackQuery);
      const filter: Record<string, string> = {};
      if (layer) filter.layer = layer;
      if (name) filter.name = name;
      return json(200, await listPacks(who.tenantId, registry.id, { ...page, filter }));
    },
    'POST /v1/registries/{id}/packs': async (event) => {
      const who = principalOf(event);
      const registryId = pathParam(event, 'id');
      // Read-only for everyone, whatever their role: said before any role check.
      if (registryId === PUBLIC_REGISTRY_ID) throw forbidden('the public registry is read-only; publish to a private registry');
      await registryFor(who, registryId, 'editor');
      const input = parseBody(event, CreatePackInput);
      const pack: Pack = { id: newId('pk'), registryId, ...input, createdAt: clock.date().toISOString() };
      await createPack(who.tenantId, pack);
      return json(201, pack);
    },
    'GET /v1/registries/{id}/packs/{packId}': async (event) => {
      const who = principalOf(event);
      const registry = await registryFor(who, pathParam(event, 'id'), 'viewer');
      const packId = pathParam(event, 'packId');
      const pack = await getPack(who.tenantId, registry.id, packId);
      if (!pack) throw notFound('pack', packId, 'packId');
      return json(200, pack);
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
