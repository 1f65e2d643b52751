import { createHash } from 'node:crypto';

/** A token bucket: `ratePerSecond` tokens come back each second, up to `burst` held at once. */
export interface RateLimits {
  /** Steady requests per second. */
  readonly ratePerSecond: number;
  /** Requests that may arrive at once after a quiet spell. */
  readonly burst: number;
}

/**
 * What one tenant may send to the public API, all its keys together: the API Gateway usage plan
 * and the local runtime's emulation both read it. 10 requests per second is the rate the anchor
 * platform grants a client. The burst of 40 lets a console page load at once: the clusters list
 * reads each cluster's status (five at a time) next to the list and the profiles, and a cluster page
 * sends four reads per refresh next to its feed, so a user opening pages in quick succession stays
 * under it while a script looping as fast as it can is held to the steady rate.
 */
export const TENANT_RATE_LIMITS: RateLimits = { ratePerSecond: 10, burst: 40 };

/**
 * The API Gateway API key value that stands for a tenant in the usage plan. It is derived, so the
 * authorizer names it with no read; it is not a credential (with the key source AUTHORIZER a client
 * cannot send it, and the authorizer's decision is what lets a request in). API Gateway wants at
 * least 20 characters.
 */
export function usageKeyOf(tenantId: string): string {
  return `strata-usage-${createHash('sha256').update(`strata-usage:${tenantId}`, 'utf8').digest('hex')}`;
}
