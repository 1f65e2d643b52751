import { createHash } from 'node:crypto';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyResultV2, APIGatewayProxyEventV2 } from 'aws-lambda';
import { Heartbeat, type HeartbeatResponse } from '../../core/agent-protocol.js';
import { parseAgentToken, tokenMatches } from '../../core/agent-token.js';
import { bearerKey } from '../../core/api-keys.js';
import { desiredPacks } from '../../core/desired-state.js';
import { DEFAULT_HEALTH } from '../../core/health.js';
import type { Cluster } from '../../core/clusters.js';
import { nodeFigures, toSample, totals, type NodeFigures } from '../../core/usage.js';
import { DomainError, forbidden, invalidField, payloadTooLarge, unauthorized } from '../../core/errors.js';
import { getCluster } from '../../adapters/dynamodb/clusters-store.js';
import { getRevision } from '../../adapters/dynamodb/profiles-store.js';
import { ingestHeartbeat } from '../../adapters/dynamodb/telemetry-store.js';
import { requestHealthScore } from '../../adapters/lambda/health-trigger.js';
import { logger } from '../commons/powertools.js';
import { validate } from '../commons/validation.js';

const MAX_BODY = 1024 * 1024;

const reply = (statusCode: number, body: unknown): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * POST /agent/v1/heartbeat — served by a Lambda function URL, not the REST API (agents are
 * the bulk of the traffic). The agent's cluster token authenticates it; the answer is the
 * desired state it should converge to.
 */
async function heartbeat(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> {
  const token = bearerKey(event.headers?.authorization ?? event.headers?.Authorization);
  const claimed = token ? parseAgentToken(token) : undefined;
  if (!token || !claimed) throw unauthorized('a cluster agent token is required: Authorization: Bearer <token>');
  const cluster = await cachedCluster(claimed.tenantId, claimed.clusterId);
  if (!cluster || !tokenMatches(token, cluster.agentTokenHash)) throw unauthorized('unknown or revoked agent token');

  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw) > MAX_BODY) throw payloadTooLarge(MAX_BODY);
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    throw invalidField('body', `malformed JSON: ${(err as Error).message}`);
  }
  const report = validate(Heartbeat, data, '');
  if (report.clusterId !== cluster.id) throw forbidden(`this token belongs to cluster ${cluster.id}, not ${report.clusterId}`);
  if (cluster.phase === 'Deleted') throw forbidden(`cluster ${cluster.id} is deleted`);

  const settings = cluster.healthChecks ?? DEFAULT_HEALTH;
  const now = new Date();
  // Usage figures are worked out only on the heartbeats that write a sample (one a minute).
  let figures: NodeFigures[] | undefined;
  const usage = () => (figures ??= report.nodes.map(nodeFigures));
  const stored = await ingestHeartbeat({
    tenantId: claimed.tenantId,
    clusterId: cluster.id,
    report,
    sample: () => toSample(now.toISOString().slice(0, 16), usage(), hashNodes(usage())),
    now,
    missingAfterSeconds: settings.missingAfterSeconds,
  });
  // Score health only when a verdict can change: node state changed, the cluster came back, or
  // usage is (or was, a minute ago) above the threshold. A steady healthy cluster costs nothing
  // here; a silent one is found by the sweep.
  let over = false;
  if (stored.sampleWritten) {
    over = aboveThreshold(usage(), settings.usageThresholdPercent);
  }
  const wasOver = overThreshold.get(cluster.id);
  if (stored.snapshotWritten || stored.resumed || (stored.sampleWritten && (over || wasOver !== false))) {
    await requestHealthScore(claimed.tenantId, cluster.id, stored.resumed ? 'resumed' : 'report').catch((err: Error) => logger.warn('health scoring not requested', { error: err }));
  }
  if (stored.sampleWritten) overThreshold.set(cluster.id, over);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: await desiredState(claimed.tenantId, cluster) };
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
 * A warm function keeps what every heartbeat of a cluster needs: the cluster record for up to
 * CLUSTER_TTL_MS (a revoked token or a new desired generation is seen within that time), and
 * the desired-state answer for as long as the cluster's version is the same (revisions are
 * immutable). This spares two reads and the rendering of pack values per heartbeat.
 */
const CLUSTER_TTL_MS = Number(process.env.HEARTBEAT_CLUSTER_CACHE_MS ?? 15_000);
const clusters = new Map<string, { at: number; cluster: Cluster | undefined }>();
const answers = new Map<string, { version: number; body: string }>();

async function cachedCluster(tenantId: string, clusterId: string): Promise<Cluster | undefined> {
  const key = `${tenantId}/${clusterId}`;
  const hit = clusters.get(key);
  if (hit && Date.now() - hit.at < CLUSTER_TTL_MS) return hit.cluster;
  const cluster = await getCluster(tenantId, clusterId).catch(() => undefined);
  if (clusters.size > 10_000) clusters.clear();
  clusters.set(key, { at: Date.now(), cluster });
  return cluster;
}

async function desiredState(tenantId: string, cluster: Cluster): Promise<string> {
  const hit = answers.get(cluster.id);
  if (hit && hit.version === cluster.version) return hit.body;
  const revision = await getRevision(tenantId, cluster.profileId, cluster.profileRevision);
  const response: HeartbeatResponse = {
    desiredGeneration: cluster.generation,
    packs: desiredPacks(revision.layers, cluster.overrides),
    commands: [],
    heartbeatIntervalSeconds: (cluster.healthChecks ?? DEFAULT_HEALTH).heartbeatIntervalSeconds,
  };
  const body = JSON.stringify(response);
  if (answers.size > 10_000) answers.clear();
  answers.set(cluster.id, { version: cluster.version, body });
  return body;
}

async function handle(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> {
  try {
    return await heartbeat(event);
  } catch (err) {
    if (err instanceof DomainError) return reply(err.status, { error: err.code, message: err.message, details: err.details });
    logger.error('heartbeat failed', { error: err as Error });
    return reply(500, { error: 'InternalError', message: 'internal error', details: [] });
  }
}

export const handler = middy(handle).use(injectLambdaContext(logger, { resetKeys: true }));
