import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The agent's token for one cluster: derived with a platform secret, so the workflow can put
 * it into the control plane's user data at any retry without storing it anywhere; only its
 * hash is kept on the cluster. `epoch` changes to rotate it.
 */
export function agentToken(secret: string, tenantId: string, clusterId: string, epoch = 1): string {
  const mac = createHmac('sha256', secret).update(`${tenantId}/${clusterId}/${epoch}`).digest('base64url');
  return `sat.${tenantId}.${clusterId}.${mac}`;
}

export function agentTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Who a token claims to be; authenticity is checked against the stored hash. */
export function parseAgentToken(token: string): { tenantId: string; clusterId: string } | undefined {
  const m = /^sat\.([a-z0-9-]{1,63})\.([a-z0-9-]{1,64})\.[A-Za-z0-9_-]{43}$/.exec(token);
  return m ? { tenantId: m[1]!, clusterId: m[2]! } : undefined;
}

export function tokenMatches(token: string, storedHash: string | undefined): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(agentTokenHash(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
