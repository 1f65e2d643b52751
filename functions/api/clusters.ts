import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { z } from 'zod';
import { CreateClusterInput, PHASES, UpdateClusterInput, checkClusterShape, type Cluster } from '../../core/clusters.js';
import { conflict } from '../../core/errors.js';
import { IdempotencyKey, requestHash } from '../../core/idempotency.js';
import { newId } from '../../core/ids.js';
import { requireRole } from '../../core/roles.js';
import { getCloudAccount } from '../../adapters/dynamodb/cloud-accounts-store.js';
import { createCluster, deleteCluster, getCluster, listClusters, replaceCluster } from '../../adapters/dynamodb/clusters-store.js';
import { getProfile, getRevision } from '../../adapters/dynamodb/profiles-store.js';
import { header, httpApi, json, noContent, parseBody, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { ListQuery } from '../commons/list-query.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { validate } from '../commons/validation.js';

const ClusterQuery = ListQuery.extend({ phase: z.enum(PHASES).optional() });

/** Cluster definitions: what a cluster is made of, where it runs and how big it is. */
export const handler = middy(
  router({
    'GET /v1/clusters': async (event) => {
      const who = principalOf(event);
      const { phase, ...page } = parseQuery(event, ClusterQuery);
      return json(200, await listClusters(who.tenantId, { ...page, filter: phase ? { phase } : undefined }));
    },
    'POST /v1/clusters': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'editor');
      const input = parseBody(event, CreateClusterInput);
      const rawKey = header(event, 'idempotency-key');
      const key = rawKey === undefined ? undefined : validate(IdempotencyKey, rawKey, 'headers.idempotency-key');

      const [profile, account] = await Promise.all([
        getProfile(who.tenantId, input.profileId, 'profileId'),
        getCloudAccount(who.tenantId, input.cloudAccountId, 'cloudAccountId'),
      ]);
      const revision = await getRevision(who.tenantId, profile.id, input.profileRevision ?? profile.latestRevision, 'profileRevision');
      checkClusterShape(input, account.spec.type, revision.layers);

      const now = new Date().toISOString();
      const cluster: Cluster = {
        id: newId('cl'),
        ...input,
        profileRevision: revision.revision,
        cloud: account.spec.type,
        phase: 'Pending',
        generation: 1,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      const result = await createCluster(who.tenantId, cluster, key ? { key, requestHash: requestHash(input) } : undefined);
      return json(result.replayed ? 200 : 201, result.cluster, result.replayed ? { 'idempotent-replayed': 'true' } : {});
    },
    'GET /v1/clusters/{id}': async (event) => {
      const who = principalOf(event);
      return json(200, await getCluster(who.tenantId, pathParam(event, 'id')));
    },
    'PUT /v1/clusters/{id}': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'editor');
      const current = await getCluster(who.tenantId, pathParam(event, 'id'));
      const input = parseBody(event, UpdateClusterInput);
      if (input.version !== current.version) {
        throw conflict(`cluster ${current.id} is at version ${current.version}, not ${input.version}; read it again and retry`, 'version');
      }
      if (current.phase === 'Deleting' || current.phase === 'Deleted') throw conflict(`cluster ${current.id} is ${current.phase}`, 'phase');
      const revision = await getRevision(who.tenantId, current.profileId, input.profileRevision ?? current.profileRevision, 'profileRevision');
      const { version: _v, ...changes } = input;
      const next: Cluster = {
        ...current,
        ...changes,
        profileRevision: revision.revision,
        generation: current.generation + 1,
        version: current.version + 1,
        updatedAt: new Date().toISOString(),
      };
      checkClusterShape(next, current.cloud, revision.layers);
      await replaceCluster(who.tenantId, next, current.version);
      return json(200, next);
    },
    'DELETE /v1/clusters/{id}': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'editor');
      await deleteCluster(who.tenantId, await getCluster(who.tenantId, pathParam(event, 'id')));
      return noContent();
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
