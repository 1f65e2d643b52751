import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Cluster } from '../../core/clusters.js';
import { conflict, DomainError } from '../../core/errors.js';
import { PutOsPatchInput, type NodePatchResult, type OsPatchSettings } from '../../core/os-patch.js';
import { localTime, nextRuns, schedulerExpression } from '../../core/patch-schedule.js';
import { mergeNodes, patchRunId, patchSettingsOf, runNodes } from '../../core/patch-run.js';
import { clock } from '../../core/clock.js';
import { updateClusterSpec } from '../../adapters/dynamodb/clusters-store.js';
import { getCommand } from '../../adapters/dynamodb/commands-store.js';
import { listMachines } from '../../adapters/dynamodb/machines-store.js';
import { createRun, listRuns, type StoredRun } from '../../adapters/dynamodb/patch-runs-store.js';
import { workflows } from '../commons/workflows.js';
import { clusterFor } from '../commons/access.js';
import { httpApi, json, parseBody, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { changeable, expectVersion } from '../commons/cluster-guards.js';
import { syncPatchSchedule } from '../commons/patch-schedule-sync.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { DryRunQuery } from './queries.js';

const NEXT_RUNS = 5;
const ACTIVE = new Set(['Waiting', 'Running']);

/** A run as the API shows it: the workflow's bookkeeping left out. */
const publicRun = ({ version: _v, commands: _c, attempts: _a, resumes: _r, ...run }: StoredRun) => run;

async function withReportedNodes(tenantId: string, clusterId: string, run: StoredRun): Promise<StoredRun> {
  let nodes = run.nodes;
  for (const id of Object.values(run.commands ?? {})) {
    const command = await getCommand(tenantId, clusterId, id).catch(() => undefined);
    const reported = (command?.result as { nodes?: NodePatchResult[] } | undefined)?.nodes;
    if (reported) nodes = mergeNodes(nodes, reported);
  }
  return nodes === run.nodes ? run : { ...run, nodes };
}

/** The patching view of a cluster: its settings, their schedule, the next runs and the latest runs. */
async function view(tenantId: string, cluster: Cluster, settings: OsPatchSettings, dryRun = false) {
  const expression = schedulerExpression(settings);
  const stored = (await listRuns(tenantId, cluster.id, { limit: 10 })).items;
  const current = stored.find((r) => ACTIVE.has(r.state));
  // The workflow looks at a pool's command every few minutes; the agent reports each node as it
  // goes, so the active run shows what its open commands report now.
  const active = current && (await withReportedNodes(tenantId, cluster.id, current));
  const runs = stored.map((r) => (r === current ? active! : r));
  const next = expression ? nextRuns(expression, settings.timeZone, clock.date(), NEXT_RUNS) : [];
  return {
    clusterId: cluster.id,
    settings,
    ...(expression ? { scheduleExpression: expression } : {}),
    nextRuns: next.map((at) => ({ at: at.toISOString(), local: localTime(at, settings.timeZone), windowEndsAt: new Date(at.getTime() + settings.windowMinutes * 60_000).toISOString() })),
    ...(active ? { activeRun: publicRun(active) } : {}),
    runs: runs.map(publicRun),
    ...(dryRun ? { dryRun: true as const } : {}),
  };
}

/** OS patching of a cluster: settings and their EventBridge Scheduler schedule, patch now, the runs. */
export const handler = middy(
  router({
    'GET /v1/clusters/{id}/ospatch': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      return json(200, await view(who.tenantId, cluster, patchSettingsOf(cluster.osPatch)));
    },
    'PUT /v1/clusters/{id}/ospatch': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'), 'editor');
      const { dryRun } = parseQuery(event, DryRunQuery);
      const { version, ...settings } = parseBody(event, PutOsPatchInput);
      changeable(cluster);
      expectVersion(cluster, version);
      if (dryRun === 'true') return json(200, await view(who.tenantId, cluster, settings, true));
      // Settings alone: no new generation, nothing for the reconciler.
      const next: Cluster = { ...cluster, osPatch: settings, version: cluster.version + 1, updatedAt: clock.date().toISOString() };
      await updateClusterSpec(who.tenantId, next, cluster.version);
      await syncPatchSchedule(who.tenantId, next);
      return json(200, await view(who.tenantId, next, settings));
    },
    'POST /v1/clusters/{id}/ospatch/run': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'), 'editor');
      if (cluster.phase !== 'Running') throw conflict(`cluster ${cluster.id} is ${cluster.phase}: nodes are patched once it is Running`, 'phase');
      const latest = (await listRuns(who.tenantId, cluster.id, { limit: 1 })).items[0];
      if (latest && ACTIVE.has(latest.state)) throw conflict(`patch run ${latest.id} is ${latest.state.toLowerCase()}: one run at a time`, 'id');
      const now = clock.date();
      const settings = patchSettingsOf(cluster.osPatch);
      const machines = await listMachines(who.tenantId, cluster.id);
      const paused = latest?.state === 'Paused' ? latest : undefined;
      const run: StoredRun = {
        id: patchRunId('manual', now),
        clusterId: cluster.id,
        trigger: 'manual',
        scheduledTime: now.toISOString(),
        windowEndsAt: new Date(now.getTime() + settings.windowMinutes * 60_000).toISOString(),
        state: 'Waiting',
        startedAt: now.toISOString(),
        requestedBy: who.keyId,
        nodes: runNodes(cluster.nodePools, machines, paused),
        version: 1,
        ...(paused ? { resumes: paused.id, message: `resumes run ${paused.id}: the nodes its window left` } : {}),
      };
      if (run.nodes.length === 0) throw new DomainError(409, 'Conflict', `cluster ${cluster.id} has no node to patch`, [{ path: 'id', message: 'no nodes' }]);
      if (!(await createRun(who.tenantId, run))) throw conflict(`a patch run was asked for at this very second: ${run.id}`, 'id');
      const { patchExecutionName, startWorkflow } = await workflows();
      await startWorkflow('patch', patchExecutionName(cluster.id, run.id), { tenantId: who.tenantId, clusterId: cluster.id, trigger: 'manual', scheduledTime: run.scheduledTime, runId: run.id });
      return json(202, publicRun(run));
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
