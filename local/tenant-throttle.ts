import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { bearerKey } from '../core/api-keys.js';
import type { RateLimits } from '../core/rate-limits.js';

/** Float sums of refills (0.1 + 0.2 …) must not leave a whole token just short of 1. */
const EPSILON = 1e-9;

/** Buckets kept before the full ones (idle tenants) are dropped: a full bucket is the same as none. */
const MAX_BUCKETS = 10_000;

/** A token bucket, as API Gateway throttles a usage plan's key: it starts full. Times in ms. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly limits: RateLimits,
    now: number,
  ) {
    this.tokens = limits.burst;
    this.at = now;
  }

  /** Takes a token: 0 if there was one, else the whole seconds until one is there (at least 1, as Retry-After counts). */
  take(now: number): number {
    this.refill(now);
    if (this.tokens >= 1 - EPSILON) {
      this.tokens = Math.max(0, this.tokens - 1);
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.limits.ratePerSecond));
  }

  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.limits.burst - EPSILON;
  }

  private refill(now: number): void {
    if (now <= this.at) return;
    this.tokens = Math.min(this.limits.burst, this.tokens + ((now - this.at) / 1000) * this.limits.ratePerSecond);
    this.at = now;
  }
}

/**
 * The usage plan's throttle in the local runtime: one bucket per usage identifier key (one per
 * tenant), and the requests it refused counted per tenant, as CloudWatch counts a stage's 4XXError.
 * `false` limits admit everything (tests and benches that send bursts on purpose).
 */
export class TenantThrottle {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly throttled = new Map<string, number>();

  constructor(
    readonly limits: RateLimits | false,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (limits && !(limits.ratePerSecond > 0 && limits.burst >= 1)) throw new Error(`TenantThrottle: rate ${limits.ratePerSecond}/s and burst ${limits.burst} must be positive`);
  }

  /** 0 when the request may go on; else it is refused and counted, and this is its Retry-After in seconds. */
  admit(usageKey: string, tenantId: string): number {
    if (!this.limits) return 0;
    const now = this.now();
    let bucket = this.buckets.get(usageKey);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.dropFull(now);
      bucket = new TokenBucket(this.limits, now);
      this.buckets.set(usageKey, bucket);
    }
    const retryAfter = bucket.take(now);
    if (retryAfter > 0) this.throttled.set(tenantId, (this.throttled.get(tenantId) ?? 0) + 1);
    return retryAfter;
  }

  /** Requests refused so far, per tenant. */
  throttledByTenant(): Record<string, number> {
    return Object.fromEntries(this.throttled);
  }

  /** GET /local/metrics for the operator key, next to the runtime's other /local controls; undefined for any other request. */
  localControl(req: IncomingMessage, operatorKey: string): APIGatewayProxyResult | undefined {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/local/metrics' || req.method !== 'GET') return undefined;
    const json = (statusCode: number, body: unknown) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (bearerKey(req.headers.authorization) !== operatorKey) {
      return json(401, { error: 'Unauthorized', message: 'the local controls need the operator key', details: [{ path: 'headers.authorization', message: 'operator key required' }] });
    }
    return json(200, { limits: this.limits, throttled: this.throttledByTenant() });
  }

  private dropFull(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(key);
  }
}
