import { verifyBakeToken } from '../../core/bake-token.js';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { acceptedEpoch, verifyAgentToken, type AgentTokenClaims } from '../../core/agent-token.js';
import { bearerKey } from '../../core/api-keys.js';
import type { TicketClaims } from '../../core/bootstrap.js';
import type { Cluster } from '../../core/clusters.js';
import { DomainError, unauthorized } from '../../core/errors.js';
import { getCluster } from '../../adapters/dynamodb/clusters-store.js';
import { platformSecret } from '../../adapters/secrets/platform-secret.js';
import { clock } from '../../core/clock.js';

const bearer = (event: APIGatewayProxyEventV2) => bearerKey(event.headers?.authorization ?? event.headers?.Authorization);

/**
 * A warm function keeps each cluster's record for up to CLUSTER_TTL_MS: a rotated token or a new
 * desired generation is seen within that time, and a heartbeat costs no read of it.
 */
const CLUSTER_TTL_MS = Number(process.env.HEARTBEAT_CLUSTER_CACHE_MS ?? 15_000);
const clusters = new Map<string, { at: number; cluster: Cluster | undefined }>();

export async function cachedCluster(tenantId: string, clusterId: string): Promise<Cluster | undefined> {
  const key = `${tenantId}/${clusterId}`;
  const hit = clusters.get(key);
  if (hit && clock.now() - hit.at < CLUSTER_TTL_MS) return hit.cluster;
  const cluster = await getCluster(tenantId, clusterId).catch(() => undefined);
  if (clusters.size > 10_000) clusters.clear();
  clusters.set(key, { at: clock.now(), cluster });
  return cluster;
}

export const forgetCluster = (tenantId: string, clusterId: string) => clusters.delete(`${tenantId}/${clusterId}`);

export interface AgentIdentity {
  readonly claims: AgentTokenClaims;
  readonly cluster: Cluster;
  /** 'previous': the agent still uses the token a rotation replaced; it is told the new one. */
  readonly epoch: 'current' | 'previous';
}

/**
 * The cluster an agent token speaks for. A token whose MAC is wrong is refused before any read
 * (a flood of forged tokens costs no DynamoDB capacity); a genuine one must carry an epoch the
 * cluster still accepts. A cluster being deleted answers 410: its agent should stop.
 */
export async function authenticateAgent(event: APIGatewayProxyEventV2, now: Date): Promise<AgentIdentity> {
  const token = bearer(event);
  const claims = token ? verifyAgentToken(token, await platformSecret()) : undefined;
  if (!claims) throw unauthorized('a cluster agent token is required: Authorization: Bearer <token>');
  const cluster = await cachedCluster(claims.tenantId, claims.clusterId);
  const epoch = cluster ? acceptedEpoch(cluster.agentToken, claims.epoch, now) : undefined;
  if (!cluster || !epoch) throw unauthorized('unknown or revoked agent token');
  if (cluster.phase === 'Deleting' || cluster.phase === 'Deleted') throw gone(cluster);
  return { claims, cluster, epoch };
}

/** A node's one-time bootstrap ticket, checked by its MAC (whether it is unspent is the handler's to check). */
export async function authenticateTicket(event: APIGatewayProxyEventV2): Promise<TicketClaims> {
  const ticket = bearer(event);
  // The bootstrap code (and YAML with it) loads with the first node that joins, not with every heartbeat.
  const { verifyBootstrapTicket } = await import('../../core/bootstrap.js');
  const claims = ticket ? verifyBootstrapTicket(ticket, await platformSecret()) : undefined;
  if (!claims) throw unauthorized('a bootstrap ticket is required: Authorization: Bearer <ticket>');
  return claims;
}

/** An image builder's bake token, checked by its MAC (whether its bake still runs is the handler's to check). */
export async function authenticateBake(event: APIGatewayProxyEventV2): Promise<{ tenantId: string; bakeId: string }> {
  const token = bearer(event);
  const claims = token ? verifyBakeToken(token, await platformSecret()) : undefined;
  if (!claims) throw unauthorized('a bake token is required: Authorization: Bearer <token>');
  return claims;
}

export const gone = (cluster: Pick<Cluster, 'id' | 'phase'>) =>
  new DomainError(410, 'Gone', `cluster ${cluster.id} is ${cluster.phase}`, [{ path: 'headers.authorization', message: `cluster ${cluster.id} is ${cluster.phase}` }]);
