import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { publicCluster, type Cluster } from '../../core/cluster-record.js';
import { INITIAL_TOKEN_STATE, rotated } from '../../core/agent-token.js';
import { READY, type Condition } from '../../core/conditions.js';
import { needsReconcile } from '../../core/lifecycle.js';
import { pendingUpdate } from '../commons/pending-update.js';
import { syncPatchSchedule } from '../commons/patch-schedule-sync.js';
import { patchSettingsOf } from '../../core/patch-run.js';
import { revisionMove } from '../commons/revision-move.js';
import { overallHealth } from '../../core/health.js';
import { conflict, DomainError, invalidField, validationFailed } from '../../core/errors.js';
import { CloudError, placementProblems, type RegionOfferings } from '../../core/cloud.js';
import type { CloudAccount } from '../../core/cloud-accounts.js';
import { providerFor } from '../commons/cloud-provider.js';
import { IdempotencyKey, requestHash } from '../../core/idempotency.js';
import { newId, newTimeId } from '../../core/ids.js';
import { COMMAND_KINDS, IssueCommandInput, type Command } from '../../core/agent-commands.js';
import { getCommand, issueCommand, listCommands } from '../../adapters/dynamodb/commands-store.js';
import { requireRole } from '../../core/roles.js';
import { projectForNew, requireUsable } from '../../core/projects.js';
import { getCloudAccount } from '../../adapters/dynamodb/cloud-accounts-store.js';
import { createCluster, listClusters, markDeleting, setAgentToken, updateClusterSpec } from '../../adapters/dynamodb/clusters-store.js';
import { listConditions } from '../../adapters/dynamodb/conditions-store.js';
import { usageChange } from '../../adapters/dynamodb/quotas-store.js';
import { nodesOf } from '../../core/quotas.js';
import { workflows } from '../commons/workflows.js';
import { getRevision } from '../../adapters/dynamodb/profiles-store.js';
import { cloudAccountFor, clusterFor, listedFor, profileFor } from '../commons/access.js';
import { header, httpApi, json, noContent, parseBody, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { ClusterQuery, ListQuery } from './queries.js';
import { DryRunQuery } from './queries.js';
import { getPlan, type StoredPlan } from '../../adapters/dynamodb/plans-store.js';
import { supersedeGeneration } from '../commons/generations.js';
import { changeable, expectVersion } from '../commons/cluster-guards.js';
import { validate } from '../commons/validation.js';
import { clock } from '../../core/clock.js';

/** The workflow input: ids only, so no secret ever lands in execution history. */
const workflowInput = (tenantId: string, c: Cluster) => ({ tenantId, clusterId: c.id, generation: c.generation });

/** Schemas, values and the planner: loaded by the routes that change a cluster, not by a cold start that reads. */
const changeRules = () => import('./cluster-change-rules.js');

/** A cluster with its Ready summary and health, as GET shows it, from the conditions (type, status, reason, message). */
function withReadiness(c: Cluster, conditions: readonly Pick<Condition, 'type' | 'status' | 'reason' | 'message'>[]) {
  const ready = conditions.find((x) => x.type === READY);
  return {
    ...publicCluster(c),
    ready: ready ? { status: ready.status, reason: ready.reason, message: ready.message } : { status: 'Unknown', reason: 'NotStarted', message: 'provisioning has not started' },
    health: overallHealth(conditions),
  };
}

/** The conditions the view needs: the summary the cluster item keeps, or the rows for a cluster made before summaries. */
async function viewConditions(c: Cluster): Promise<Pick<Condition, 'type' | 'status' | 'reason' | 'message'>[]> {
  // In the rows' order (by type), so the health reasons read the same either way.
  if (c.conditionSummary) return Object.entries(c.conditionSummary).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([type, s]) => ({ type, ...s }));
  return listConditions(c.id);
}

/** Errors of the provider that mean the region itself does not exist (or is not enabled for the account). */
const NO_SUCH_REGION = new Set(['InvalidRegion', 'OptInRequired']);

/**
 * Refuse at once, naming the field, a region, zone or instance type the provider says it does not
 * offer. Where the provider cannot tell (Azure), or cannot be asked (credentials, network), the
 * workflow finds out and says so in the provider's own words.
 */
async function checkPlacement(tenantId: string, account: CloudAccount, spec: Pick<Cluster, 'region' | 'nodePools'>): Promise<void> {
  let offered: RegionOfferings | undefined;
  try {
    offered = await (await providerFor(account, { tenantId, region: spec.region })).offerings(spec.nodePools.map((p) => p.instanceType));
  } catch (err) {
    if (err instanceof CloudError && NO_SUCH_REGION.has(err.code)) throw invalidField('region', err.message);
    logger.warn('placement not checked: the provider could not be asked', { error: err as Error });
    return;
  }
  const problems = offered ? placementProblems(spec, offered) : [];
  if (problems.length) throw validationFailed(problems);
}

/** A cluster's plan as GET shows it: every step with whether it is done, running or still to come. */
function planView(clusterId: string, p: StoredPlan) {
  const status = (i: number) => (i < p.cursor ? 'done' : i === p.cursor && p.state === 'Running' ? 'running' : 'pending');
  return {
    clusterId,
    generation: p.generation,
    state: p.state,
    done: p.cursor,
    steps: p.steps.map((s, i) => ({ ...s, status: status(i), ...(p.doneAt[i] ? { finishedAt: p.doneAt[i] } : {}) })),
    pools: p.pools,
    ...(p.waiting ? { waiting: p.waiting } : {}),
    cancelled: p.cancelled,
    startedAt: p.startedAt,
    updatedAt: p.updatedAt,
  };
}

/** Cluster definitions: what a cluster is made of, where it runs and how big it is. */
export const handler = middy(
  router({
    'GET /v1/clusters': async (event) => {
      const who = principalOf(event);
      const { phase, ...page } = parseQuery(event, ClusterQuery);
      // Deleted clusters are kept a week for the record; they show only when asked for.
      const result = await listClusters(who.tenantId, { ...page, filter: { phase: phase ?? { not: 'Deleted' } }, ...listedFor(who) });
      // One read per profile on the page, for the pending-update badge.
      const ids = [...new Set(result.items.map((c) => c.profileId))];
      const profiles = new Map((await Promise.all(ids.map((id) => profileFor(who, id).catch(() => undefined)))).flatMap((p) => (p ? [[p.id, p] as const] : [])));
      const items = result.items.map((c) => {
        const profile = profiles.get(c.profileId);
        const pending = profile && c.phase !== 'Deleting' && c.phase !== 'Deleted' ? pendingUpdate(c, profile) : undefined;
        return { ...publicCluster(c), ...(pending ? { pendingUpdate: pending } : {}) };
      });
      return json(200, { ...result, items });
    },
    'POST /v1/clusters': async (event) => {
      const who = principalOf(event);
      // A tenant-wide role is known before the body is read; a project caller's depends on the project it names.
      if (!who.projects) requireRole(who, 'editor');
      const { CreateClusterInput, checkClusterShape, contentHashOf } = await changeRules();
      const { projectId: asked, ...input } = parseBody(event, CreateClusterInput);
      const projectId = projectForNew(who, asked);
      const rawKey = header(event, 'idempotency-key');
      const key = rawKey === undefined ? undefined : validate(IdempotencyKey, rawKey, 'headers.idempotency-key');

      const [profile, account] = await Promise.all([profileFor(who, input.profileId, 'viewer', 'profileId'), cloudAccountFor(who, input.cloudAccountId, 'viewer', 'cloudAccountId')]);
      requireUsable(projectId, profile, 'profile', profile.id, 'profileId');
      requireUsable(projectId, account, 'cloud account', account.id, 'cloudAccountId');
      const revision = await getRevision(who.tenantId, profile.id, input.profileRevision ?? profile.latestRevision, 'profileRevision');
      checkClusterShape(input, account.spec.type, revision.layers);
      await checkPlacement(who.tenantId, account, input);
      const usage = await usageChange(who.tenantId, { clusters: 1, nodes: nodesOf(input.nodePools) }, 'nodePools');

      const now = clock.date().toISOString();
      const cluster: Cluster = {
        id: newId('cl'),
        ...input,
        ...(projectId ? { projectId } : {}),
        profileRevision: revision.revision,
        revisionHash: contentHashOf(revision),
        cloud: account.spec.type,
        phase: 'Pending',
        agentToken: INITIAL_TOKEN_STATE,
        generation: 1,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      // The project it goes into is part of the request: the same key and body from another project is another request.
      const claim = key ? { key, requestHash: requestHash({ ...input, projectId }) } : undefined;
      const result = await createCluster(who.tenantId, cluster, claim, who.keyId, usage);
      // Every replay too: putting the same schedule again is a no-op.
      if (patchSettingsOf(result.cluster.osPatch).frequency !== 'none') await syncPatchSchedule(who.tenantId, result.cluster);
      // Started on every replay too: the execution name makes it a no-op when already running.
      if (result.cluster.phase === 'Pending') {
        const { provisionExecutionName, startWorkflow } = await workflows();
        await startWorkflow('provision', provisionExecutionName(result.cluster.id, result.cluster.generation), workflowInput(who.tenantId, result.cluster));
      }
      return json(result.replayed ? 200 : 201, publicCluster(result.cluster), result.replayed ? { 'idempotent-replayed': 'true' } : {});
    },
    'GET /v1/clusters/{id}': async (event) => {
      const who = principalOf(event);
      const id = pathParam(event, 'id');
      // One consistent read: the item carries Ready and the health checks as their rows stand.
      const cluster = await clusterFor(who, id, 'viewer', { consistent: true });
      return json(200, withReadiness(cluster, await viewConditions(cluster)));
    },
    'PUT /v1/clusters/{id}': async (event) => {
      const who = principalOf(event);
      const current = await clusterFor(who, pathParam(event, 'id'), 'editor');
      const { dryRun } = parseQuery(event, DryRunQuery);
      const { UpdateClusterInput, cancelledSteps, checkClusterShape, checkDay2Change, clusterPlan, contentHashOf, workflowFor } = await changeRules();
      const input = parseBody(event, UpdateClusterInput);
      expectVersion(current, input.version);
      changeable(current);
      if (input.apiAccess && input.apiAccess.public !== current.apiAccess.public) {
        // A load balancer's scheme (internal or internet-facing) is set when it is made; allowedCidrs can change.
        throw invalidField('apiAccess.public', `the API load balancer is ${current.apiAccess.public ? 'internet-facing' : 'internal'} and a load balancer's scheme cannot change; create a new cluster, or change apiAccess.allowedCidrs`);
      }
      const revision = await getRevision(who.tenantId, current.profileId, input.profileRevision ?? current.profileRevision, 'profileRevision');
      const { version: _v, ...changes } = input;
      // Settings alone (health thresholds, patch settings) apply at once: no new generation, no workflow.
      const reconcile = needsReconcile(current, { ...changes, profileRevision: revision.revision });
      const next: Cluster = {
        ...current,
        ...changes,
        profileRevision: revision.revision,
        revisionHash: contentHashOf(revision),
        generation: reconcile ? current.generation + 1 : current.generation,
        version: current.version + 1,
        updatedAt: clock.date().toISOString(),
      };
      checkClusterShape(next, current.cloud, revision.layers);
      await checkDay2Change(who.tenantId, current, next, revision);
      if (input.nodePools) await checkPlacement(who.tenantId, await getCloudAccount(who.tenantId, current.cloudAccountId), next);
      const moreNodes = nodesOf(next.nodePools) - nodesOf(current.nodePools);
      // A dry run is refused past the quota too: it shows what the change would do.
      const usage = moreNodes !== 0 ? await usageChange(who.tenantId, { clusters: 0, nodes: moreNodes }, 'nodePools') : undefined;
      if (dryRun === 'true') {
        const [plan, running] = await Promise.all([clusterPlan(who.tenantId, next, revision), getPlan(who.tenantId, current.id)]);
        const preview = reconcile ? plan : { steps: [], pools: plan.pools };
        return json(200, { dryRun: true, cluster: publicCluster(next), plan: preview, cancels: reconcile && running?.state === 'Running' ? cancelledSteps(running, preview) : [] });
      }
      await updateClusterSpec(who.tenantId, next, current.version, revisionMove(current, next, who.keyId, 'update'), usage);
      if (input.osPatch) await syncPatchSchedule(who.tenantId, next);
      if (reconcile) {
        // The previous generation's execution stops (a reconcile at its step boundary: the new plan carries on from the nodes as they are).
        await supersedeGeneration(workflowFor(current), who.tenantId, current.id, current.generation, next.generation, `superseded by generation ${next.generation}`);
      }
      return json(200, publicCluster(next));
    },
    'GET /v1/clusters/{id}/plan': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      const plan = await getPlan(who.tenantId, cluster.id);
      if (!plan) throw new DomainError(404, 'NotFound', `cluster ${cluster.id} has no plan: it has not been changed since it was made`, [{ path: 'path.id', message: 'no change planned yet' }]);
      return json(200, planView(cluster.id, plan));
    },
    'POST /v1/clusters/{id}/agent-token/rotate': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'), 'editor');
      if (cluster.phase === 'Deleting' || cluster.phase === 'Deleted') throw conflict(`cluster ${cluster.id} is ${cluster.phase}`, 'phase');
      const next = rotated(cluster.agentToken, clock.date());
      await setAgentToken(who.tenantId, cluster.id, cluster.agentToken?.epoch ?? INITIAL_TOKEN_STATE.epoch, next);
      return json(202, {
        ...next,
        message: `the agent receives token ${next.epoch} with its next heartbeat; token ${next.previousEpoch} stops working once the agent has used the new one, or at ${next.previousValidUntil}`,
      });
    },
    'POST /v1/clusters/{id}/commands': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'), 'editor');
      const input = parseBody(event, IssueCommandInput);
      const kind = COMMAND_KINDS[input.kind];
      if (!kind.fromApi) throw invalidField('kind', `${input.kind} commands are sent by the platform's own workflows`);
      const args = validate(kind.args, input.args, 'args') as Record<string, unknown>;
      const now = clock.date();
      const command: Command = {
        id: newTimeId('cmd', now.getTime()),
        clusterId: cluster.id,
        kind: input.kind,
        args,
        status: 'Pending',
        createdAt: now.toISOString(),
        deadline: new Date(now.getTime() + (input.deadlineSeconds ?? kind.deadlineSeconds) * 1000).toISOString(),
        updatedAt: now.toISOString(),
      };
      await issueCommand(who.tenantId, command);
      return json(202, command);
    },
    'GET /v1/clusters/{id}/commands': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      return json(200, await listCommands(who.tenantId, cluster.id, parseQuery(event, ListQuery)));
    },
    'GET /v1/clusters/{id}/commands/{commandId}': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      return json(200, await getCommand(who.tenantId, cluster.id, pathParam(event, 'commandId')));
    },
    'DELETE /v1/clusters/{id}': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'), 'editor');
      if (cluster.phase === 'Deleted') return noContent();
      // Any phase, even half-way through provisioning: the delete workflow stops provisioning first.
      await markDeleting(who.tenantId, cluster.id);
      const { deleteExecutionName, startWorkflow } = await workflows();
      await startWorkflow('delete', deleteExecutionName(cluster.id), workflowInput(who.tenantId, cluster));
      return json(202, { ...publicCluster(cluster), phase: 'Deleting' });
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
