import { createHash } from 'node:crypto';
import { Heartbeat, type HeartbeatResponse } from '../../core/agent-protocol.js';
import type { DeliveredCommand } from '../../core/agent-commands.js';
import { checkReport } from '../../core/agent-report.js';
import { agentToken } from '../../core/agent-token.js';
import type { Cluster } from '../../core/clusters.js';
import { forbidden, validationFailed } from '../../core/errors.js';
import { DEFAULT_HEALTH, needsHealthScore } from '../../core/health.js';
import { nodeFigures, toSample, totals, type NodeFigures } from '../../core/usage.js';
import { retirePreviousAgentToken } from '../../adapters/dynamodb/clusters-store.js';
import { getRevision } from '../../adapters/dynamodb/profiles-store.js';
import { ingestHeartbeat } from '../../adapters/dynamodb/telemetry-store.js';
import { platformSecret } from '../../adapters/secrets/platform-secret.js';
import { logger } from '../commons/powertools.js';
import { validate } from '../commons/validation.js';
import type { AgentRequest, AgentResult } from './api.js';
import { forgetCluster } from './auth.js';
import { repairDue } from '../../core/repair.js';

/** A node NotReady past its threshold asks for scoring (which repairs) at most once a minute per function instance. */
const REPAIR_ASK_MS = 60_000;
const repairAsked = new Map<string, number>();

/**
 * POST /agent/v1/heartbeat — the agent's report, untrusted: validated field by field and against
 * the cluster (core/agent-report.ts) before anything is stored. The answer is the desired state
 * the agent converges to, and after a rotation the agent's new token.
 */
export async function heartbeat(req: AgentRequest): Promise<AgentResult> {
  const { cluster, claims, epoch } = req.agent!;
  const report = validate(Heartbeat, req.body, '');
  if (report.clusterId !== cluster.id) throw forbidden(`this token belongs to cluster ${cluster.id}, not ${report.clusterId}`);
  const problems = checkReport(report, cluster);
  if (problems.length) throw validationFailed(problems);

  // The agent used its new token: the one a rotation replaced stops working now.
  if (epoch === 'current' && cluster.agentToken?.previousEpoch !== undefined) {
    await retirePreviousAgentToken(claims.tenantId, cluster.id, claims.epoch);
    forgetCluster(claims.tenantId, cluster.id);
  }

  const settings = cluster.healthChecks ?? DEFAULT_HEALTH;
  const now = req.now;
  // Usage figures are worked out only on the heartbeats that write a sample (one a minute).
  let figures: NodeFigures[] | undefined;
  const usage = () => (figures ??= report.nodes.map(nodeFigures));
  const stored = await ingestHeartbeat({
    tenantId: claims.tenantId,
    clusterId: cluster.id,
    report,
    sample: () => toSample(now.toISOString().slice(0, 16), usage(), hashNodes(usage())),
    now,
    health: settings,
  });
  const over = stored.sampleWritten && aboveThreshold(usage(), settings.usageThresholdPercent);
  const repair = repairDue(cluster.nodePools, report.nodes, now) && now.getTime() - (repairAsked.get(cluster.id) ?? 0) >= REPAIR_ASK_MS;
  if (repair || needsHealthScore({ ...stored, overThreshold: over, wasOverThreshold: overThreshold.get(cluster.id) })) {
    if (repair) repairAsked.set(cluster.id, now.getTime());
    // The Lambda client loads with the first heartbeat that needs a score: most never do.
    await import('../../adapters/lambda/health-trigger.js')
      .then(({ requestHealthScore }) => requestHealthScore(claims.tenantId, cluster.id, repair ? 'repair' : stored.resumed ? 'resumed' : 'report'))
      .catch((err: Error) => logger.warn('health scoring not requested', { error: err }));
  }
  if (stored.sampleWritten) overThreshold.set(cluster.id, over);
  // The sweep is off while no cluster reports: one back in the deadline index turns it on.
  if (stored.deadlineMoved) await import('../health/keep-sweeping.js').then(({ keepSweeping }) => keepSweeping(stored, now.getTime()));

  let body = await desiredState(claims.tenantId, cluster);
  const commands = (cluster.openCommands ?? 0) > 0 ? await commandsToDeliver(claims.tenantId, cluster, now) : [];
  if (epoch === 'previous' || commands.length) {
    const answer: HeartbeatResponse = { ...(JSON.parse(body) as HeartbeatResponse), commands };
    if (epoch === 'previous') answer.agentToken = agentToken(await platformSecret(), claims.tenantId, cluster.id, cluster.agentToken!.epoch);
    body = JSON.stringify(answer);
  }
  return { statusCode: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body };
}

/**
 * The cluster's commands still to run, delivered with every answer until the agent reports an
 * outcome (at least once: the agent keeps the ids it has run); past their deadline they expire.
 * A kind that carries a secret (a bootstrap token's) gets it here, derived from the platform
 * secret: it is in this answer only, never stored.
 */
async function commandsToDeliver(tenantId: string, cluster: Cluster, now: Date): Promise<DeliveredCommand[]> {
  const at = now.toISOString();
  // The command kinds' rules load with the first cluster that has commands open.
  const [{ delivered, deliveredWithSecret, expired }, { markDelivered, openCommands, updateCommand }] = await Promise.all([
    import('../../core/agent-commands.js'),
    import('../../adapters/dynamodb/commands-store.js'),
  ]);
  const out: DeliveredCommand[] = [];
  for (const c of await openCommands(tenantId, cluster.id)) {
    if (expired(c, now)) {
      await updateCommand(tenantId, c, 'Expired', { message: `no outcome by its deadline ${c.deadline}` }, at);
      forgetCluster(tenantId, cluster.id);
      continue;
    }
    if (c.status === 'Pending') await markDelivered(tenantId, c, at);
    out.push(delivered(c, deliveredWithSecret(c) ? await platformSecret() : undefined));
  }
  return out;
}

/** Per cluster: was usage above the threshold at the last sample this instance wrote? */
const overThreshold = new Map<string, boolean>();

/** Is usage above the threshold as MetricsHealthy sees it (worker nodes; all when there are none)? */
function aboveThreshold(figures: NodeFigures[], thresholdPercent: number): boolean {
  const t = totals(figures, !figures.some((f) => f.role === 'worker'));
  const disk = Math.max(0, ...figures.map((f) => f.diskUsedPercent ?? 0));
  return Math.max(t.cpuUsagePercent, t.memoryUsagePercent, disk) > thresholdPercent;
}

/** Short, stable name of a node set, so samples can tell when nodes came or went. */
function hashNodes(figures: NodeFigures[]): string {
  const names = figures.map((f) => f.name).sort().join('\n');
  return createHash('sha1').update(names).digest('base64url').slice(0, 8);
}

/**
 * The desired-state answer, kept for as long as the cluster's version is the same (revisions are
 * immutable): this spares a read and the rendering of pack values per heartbeat.
 */
const answers = new Map<string, { version: number; body: string }>();

async function desiredState(tenantId: string, cluster: Cluster): Promise<string> {
  const hit = answers.get(cluster.id);
  if (hit && hit.version === cluster.version) return hit.body;
  // Rendering pack values (YAML) loads with the first answer to render, not with the function.
  const [revision, { desiredPacks }] = await Promise.all([getRevision(tenantId, cluster.profileId, cluster.profileRevision), import('../../core/desired-state.js')]);
  const response: HeartbeatResponse = {
    desiredGeneration: cluster.generation,
    packs: desiredPacks(revision.layers, cluster.overrides, cluster),
    commands: [],
    heartbeatIntervalSeconds: (cluster.healthChecks ?? DEFAULT_HEALTH).heartbeatIntervalSeconds,
  };
  const body = JSON.stringify(response);
  if (answers.size > 10_000) answers.clear();
  answers.set(cluster.id, { version: cluster.version, body });
  return body;
}
