import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The agent's token for one cluster: `sat.<tenant>.<cluster>.<epoch>.<mac>`, the MAC an HMAC of
 * the rest under the platform secret. A forged token is refused by the MAC alone, before any
 * read; a genuine one must also carry an epoch the cluster still accepts. Rotating moves the
 * epoch on; nothing of the token itself is stored.
 */
export function agentToken(secret: string, tenantId: string, clusterId: string, epoch = 1): string {
  return `sat.${tenantId}.${clusterId}.${epoch}.${mac(secret, tenantId, clusterId, epoch)}`;
}

const mac = (secret: string, tenantId: string, clusterId: string, epoch: number) =>
  createHmac('sha256', secret).update(`agent/${tenantId}/${clusterId}/${epoch}`).digest('base64url');

export interface AgentTokenClaims {
  readonly tenantId: string;
  readonly clusterId: string;
  readonly epoch: number;
}

const TOKEN = /^sat\.([a-z0-9-]{1,63})\.([a-z0-9-]{1,64})\.([1-9]\d{0,8})\.([A-Za-z0-9_-]{43})$/;

/** The claims of a token whose MAC is right; undefined for anything else. Constant time in the MAC. */
export function verifyAgentToken(token: string, secret: string): AgentTokenClaims | undefined {
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  const claims = { tenantId: m[1]!, clusterId: m[2]!, epoch: Number(m[3]) };
  const want = Buffer.from(mac(secret, claims.tenantId, claims.clusterId, claims.epoch));
  const got = Buffer.from(m[4]!);
  return want.length === got.length && timingSafeEqual(want, got) ? claims : undefined;
}

/** Which token epochs a cluster accepts. */
export interface AgentTokenState {
  readonly epoch: number;
  /** The epoch before the last rotation, accepted until the agent uses the new one or the grace ends. */
  readonly previousEpoch?: number;
  readonly previousValidUntil?: string;
}

export const INITIAL_TOKEN_STATE: AgentTokenState = { epoch: 1 };

/** How long an agent that has not heartbeat since a rotation may still use the old token. */
export const ROTATION_GRACE_SECONDS = 24 * 3600;

/** 'current', 'previous' (still in its grace), or undefined: refused. */
export function acceptedEpoch(state: AgentTokenState | undefined, epoch: number, now: Date): 'current' | 'previous' | undefined {
  const s = state ?? INITIAL_TOKEN_STATE;
  if (epoch === s.epoch) return 'current';
  if (epoch === s.previousEpoch && s.previousValidUntil && now.toISOString() < s.previousValidUntil) return 'previous';
  return undefined;
}

/** The next epoch; the current one stays valid for the grace period (or until the agent uses the new one). */
export function rotated(state: AgentTokenState | undefined, now: Date, graceSeconds = ROTATION_GRACE_SECONDS): AgentTokenState {
  const s = state ?? INITIAL_TOKEN_STATE;
  return { epoch: s.epoch + 1, previousEpoch: s.epoch, previousValidUntil: new Date(now.getTime() + graceSeconds * 1000).toISOString() };
}
