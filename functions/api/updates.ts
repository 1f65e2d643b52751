import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { valuesDigest } from '../../core/agent-protocol.js';
import { publicCluster, type Cluster } from '../../core/cluster-record.js';
import { conflict, DomainError, notFound, validationFailed } from '../../core/errors.js';
import type { ProfileRevision, ResolvedLayer } from '../../core/profiles.js';
import { canSee } from '../../core/projects.js';
import { clock } from '../../core/clock.js';
import { listClustersOfProfile, listRevisionHistory, updateClusterSpec } from '../../adapters/dynamodb/clusters-store.js';
import { appendEvent } from '../../adapters/dynamodb/events-store.js';
import { getProfile, getRevision } from '../../adapters/dynamodb/profiles-store.js';
import { getSnapshot } from '../../adapters/dynamodb/telemetry-store.js';
import { clusterFor, profileFor } from '../commons/access.js';
import { changeable, expectVersion } from '../commons/cluster-guards.js';
import { supersedeGeneration } from '../commons/generations.js';
import { httpApi, json, parseBody, parseQuery, pathParam, principalOf, type ApiEvent } from '../commons/http.js';
import { pendingUpdate } from '../commons/pending-update.js';
import { logger } from '../commons/powertools.js';
import { revisionMove } from '../commons/revision-move.js';
import { router } from '../commons/router.js';
import { DryRunQuery } from './queries.js';
import { ListQuery, UpdateQuery } from './queries.js';
import type { UpdateAnalysis } from './cluster-change-rules.js';

/** Values, the update analysis and the planner: loaded by the routes that use them (see cluster-change-rules.ts). */
const changeRules = () => import('./cluster-change-rules.js');

/** Revisions of the cluster's profile, fetched once each. */
async function revisions(tenantId: string, c: Cluster, to: number, field: string): Promise<[ProfileRevision, ProfileRevision]> {
  const base = await getRevision(tenantId, c.profileId, c.profileRevision);
  return [base, to === c.profileRevision ? base : await getRevision(tenantId, c.profileId, to, field)];
}

/** A pack of the revision the cluster runs, by name (404 naming the path when there is none). */
function packOf(layers: readonly ResolvedLayer[], name: string): ResolvedLayer {
  const layer = layers.find((l) => l.name === name);
  if (!layer) throw notFound('pack', name, 'path.pack');
  return layer;
}

/** A pack's values on a cluster: the profile's, the override, the merge, every difference and what the agent reports. */
async function packValuesView(c: Cluster, layer: ResolvedLayer) {
  const override = c.overrides[layer.name] ?? '';
  const { effectiveValues, overriddenValues } = await changeRules();
  const values = effectiveValues(layer.values, override);
  const snapshot = await getSnapshot(c.id);
  const reported = snapshot?.report.packs.find((p) => p.name === layer.name);
  return {
    clusterId: c.id,
    pack: layer.name,
    layer: layer.layer,
    version: layer.version,
    profileRevision: c.profileRevision,
    profileValues: layer.values,
    overrides: override,
    values,
    differences: overriddenValues(layer.values, override),
    generation: c.generation,
    ...(c.status?.observedGeneration !== undefined ? { observedGeneration: c.status.observedGeneration } : {}),
    ...(reported && snapshot
      ? {
          status: {
            status: reported.status,
            version: reported.version,
            ...(reported.message ? { message: reported.message } : {}),
            valuesApplied: reported.valuesDigest === valuesDigest(values) && reported.version === layer.version,
            reportedAt: snapshot.receivedAt,
          },
        }
      : {}),
  };
}

/** One line per pack change, for the event that records an applied update. */
const summary = (a: UpdateAnalysis) =>
  a.packs.length ? a.packs.map((p) => (p.change === 'values' ? `${p.name} values (${p.values.length})` : `${p.name} ${p.change}${p.toVersion && p.change !== 'added' ? ` ${p.fromVersion} → ${p.toVersion}` : ''}`)).join(', ') : 'no pack changes';

/** Write a new generation of the cluster and hand it to the workflow that makes it real. */
async function commit(tenantId: string, current: Cluster, next: Cluster, appliedBy: string, event?: { reason: string; message: string }): Promise<void> {
  await updateClusterSpec(tenantId, next, current.version, revisionMove(current, next, appliedBy, 'apply'));
  const { workflowFor } = await changeRules();
  await supersedeGeneration(workflowFor(current), tenantId, current.id, current.generation, next.generation, `superseded by generation ${next.generation}`);
  if (event) await appendEvent({ clusterId: current.id, clusterName: current.name, tenantId, type: 'Normal', reason: event.reason, message: event.message }, `${event.reason}#g${next.generation}`);
}

const nextGeneration = (c: Cluster, changes: Partial<Cluster>): Cluster => ({
  ...c,
  ...changes,
  generation: c.generation + 1,
  version: c.version + 1,
  updatedAt: clock.date().toISOString(),
});

const isDryRun = (event: ApiEvent) => parseQuery(event, DryRunQuery).dryRun === 'true';

/** Profile updates of clusters: pending changes, the three-way merge, apply and roll back, per-cluster overrides. */
export const handler = middy(
  router({
    'GET /v1/clusters/{id}/updates': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      const { toRevision } = parseQuery(event, UpdateQuery);
      const profile = await getProfile(who.tenantId, cluster.profileId);
      const [base, target] = await revisions(who.tenantId, cluster, toRevision ?? profile.latestRevision, 'query.toRevision');
      const { analyzeUpdate } = await changeRules();
      const analysis = analyzeUpdate(base.layers, target.layers, cluster.overrides);
      const pending = pendingUpdate(cluster, profile);
      return json(200, {
        clusterId: cluster.id,
        profileId: profile.id,
        profileName: profile.name,
        currentRevision: cluster.profileRevision,
        latestRevision: profile.latestRevision,
        toRevision: target.revision,
        updateAvailable: pending !== undefined,
        revisionsBehind: pending?.revisionsBehind ?? 0,
        packs: analysis.packs,
        conflicts: analysis.conflicts,
      });
    },
    'POST /v1/clusters/{id}/updates/apply': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'), 'editor');
      const dryRun = isDryRun(event);
      const { ApplyUpdateInput, analyzeUpdate, checkClusterShape, checkDay2Change, clusterPlan, contentHashOf, mergeUpdate } = await changeRules();
      const input = parseBody(event, ApplyUpdateInput);
      changeable(cluster);
      expectVersion(cluster, input.version);
      if (input.toRevision === cluster.profileRevision) throw conflict(`cluster ${cluster.id} already runs revision ${input.toRevision}`, 'toRevision');
      const [base, target] = await revisions(who.tenantId, cluster, input.toRevision, 'toRevision');
      const analysis = analyzeUpdate(base.layers, target.layers, cluster.overrides);
      const merged = mergeUpdate(base.layers, target.layers, cluster.overrides, input.resolutions);
      if (merged.unknown.length) {
        const known = analysis.conflicts.length ? `the conflicts are: ${analysis.conflicts.join(', ')}` : 'this update has no conflicts';
        throw validationFailed(merged.unknown.map((key) => ({ path: `resolutions.${key}`, message: `names no conflict of revision ${cluster.profileRevision} → ${target.revision}; ${known}` })));
      }
      if (merged.unresolved.length) {
        const byKey = new Map(analysis.packs.flatMap((p) => p.values.map((v) => [v.key, v] as const)));
        const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));
        throw new DomainError(
          409,
          'Conflict',
          `${merged.unresolved.length} value(s) the profile changed are overridden differently by this cluster: resolve each with keepCluster, takeProfile or {"value": …}`,
          merged.unresolved.map((key) => {
            const v = byKey.get(key);
            return { path: `resolutions.${key}`, message: `the profile changes it from ${show(v?.from)} to ${show(v?.to)}; this cluster sets ${show(v?.cluster)}` };
          }),
        );
      }
      const next = nextGeneration(cluster, { profileRevision: target.revision, revisionHash: contentHashOf(target), overrides: merged.overrides });
      checkClusterShape(next, cluster.cloud, target.layers);
      await checkDay2Change(who.tenantId, cluster, next, target, 'toRevision');
      if (dryRun) {
        const plan = await clusterPlan(who.tenantId, next, target);
        return json(200, { dryRun: true, fromRevision: cluster.profileRevision, toRevision: target.revision, packs: analysis.packs, values: merged.values, overrides: merged.overrides, plan });
      }
      const rollback = target.revision < cluster.profileRevision;
      await commit(who.tenantId, cluster, next, who.keyId, {
        reason: rollback ? 'RolledBack' : 'UpdateApplied',
        message: `${rollback ? 'rolled back' : 'updated'} from revision ${cluster.profileRevision} to ${target.revision} (${summary(analysis)})${analysis.conflicts.length ? `; ${analysis.conflicts.length} conflict(s) resolved` : ''}`,
      });
      return json(202, { cluster: publicCluster(next), fromRevision: cluster.profileRevision, toRevision: target.revision, overrides: merged.overrides });
    },
    'GET /v1/clusters/{id}/revisions': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      return json(200, await listRevisionHistory(who.tenantId, cluster.id, parseQuery(event, ListQuery)));
    },
    'GET /v1/clusters/{id}/packs/{pack}/values': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      const revision = await getRevision(who.tenantId, cluster.profileId, cluster.profileRevision);
      return json(200, await packValuesView(cluster, packOf(revision.layers, pathParam(event, 'pack'))));
    },
    'PUT /v1/clusters/{id}/packs/{pack}/values': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'), 'editor');
      const dryRun = isDryRun(event);
      const { PackValuesInput, checkClusterShape, checkDay2Change, overriddenValues } = await changeRules();
      const input = parseBody(event, PackValuesInput);
      changeable(cluster);
      expectVersion(cluster, input.version);
      const revision = await getRevision(who.tenantId, cluster.profileId, cluster.profileRevision);
      const layer = packOf(revision.layers, pathParam(event, 'pack'));
      const { [layer.name]: _old, ...others } = cluster.overrides;
      const overrides = input.values.trim() === '' ? others : { ...others, [layer.name]: input.values };
      if ((cluster.overrides[layer.name] ?? '') === (overrides[layer.name] ?? '')) return json(200, await packValuesView(cluster, layer));
      const next = nextGeneration(cluster, { overrides });
      checkClusterShape(next, cluster.cloud, revision.layers);
      await checkDay2Change(who.tenantId, cluster, next, revision);
      if (dryRun) return json(200, await packValuesView(next, layer));
      const changed = overriddenValues(layer.values, overrides[layer.name] ?? '').length;
      await commit(who.tenantId, cluster, next, who.keyId, { reason: 'ValuesOverridden', message: `${layer.name}: ${changed} value(s) differ from the profile now; generation ${next.generation} goes to the agent` });
      return json(202, await packValuesView(next, layer));
    },
    'GET /v1/profiles/{id}/clusters': async (event) => {
      const who = principalOf(event);
      const profile = await profileFor(who, pathParam(event, 'id'));
      const page = await listClustersOfProfile(who.tenantId, profile.id, parseQuery(event, ListQuery));
      return json(200, {
        profileId: profile.id,
        latestRevision: profile.latestRevision,
        // A shared profile's clusters are of every project: the caller's and the shared ones show (a page may hold fewer).
        items: page.items.filter((c) => canSee(who, c)).map((c) => {
          const pending = pendingUpdate(c, profile);
          return { id: c.id, name: c.name, ...(c.projectId ? { projectId: c.projectId } : {}), phase: c.phase, profileRevision: c.profileRevision, revisionsBehind: pending?.revisionsBehind ?? 0, updateAvailable: pending !== undefined };
        }),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      });
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
