import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { isReady } from '../../core/agent-protocol.js';
import { sortConditions } from '../../core/conditions.js';
import { getCluster } from '../../adapters/dynamodb/clusters-store.js';
import { listConditions } from '../../adapters/dynamodb/conditions-store.js';
import { listEvents } from '../../adapters/dynamodb/events-store.js';
import { listMachines } from '../../adapters/dynamodb/machines-store.js';
import { getSnapshot } from '../../adapters/dynamodb/telemetry-store.js';
import { httpApi, json, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { ListQuery } from '../commons/list-query.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';

/** What a cluster is doing: conditions, its event stream, its nodes. Read-only. */
export const handler = middy(
  router({
    'GET /v1/clusters/{id}/conditions': async (event) => {
      const who = principalOf(event);
      const cluster = await getCluster(who.tenantId, pathParam(event, 'id'));
      return json(200, { clusterId: cluster.id, phase: cluster.phase, items: sortConditions(await listConditions(cluster.id)) });
    },
    'GET /v1/clusters/{id}/events': async (event) => {
      const who = principalOf(event);
      const cluster = await getCluster(who.tenantId, pathParam(event, 'id'));
      return json(200, await listEvents(cluster.id, parseQuery(event, ListQuery)));
    },
    'GET /v1/clusters/{id}/nodes': async (event) => {
      const who = principalOf(event);
      const cluster = await getCluster(who.tenantId, pathParam(event, 'id'));
      const [machines, report] = await Promise.all([listMachines(who.tenantId, cluster.id), getSnapshot(cluster.id)]);
      const reported = new Map((report?.report.nodes ?? []).map((n) => [n.name, n]));
      const items = machines.map((m) => {
        const node = reported.get(m.name);
        return {
          name: m.name,
          pool: m.pool,
          role: m.role,
          zone: m.zone,
          instanceType: m.instanceType,
          instanceId: m.instanceId,
          privateIp: m.privateIp,
          instanceState: m.state,
          ready: node ? isReady(node) : false,
          conditions: node?.conditions ?? [],
        };
      });
      return json(200, { clusterId: cluster.id, reportedAt: report?.receivedAt, items });
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
