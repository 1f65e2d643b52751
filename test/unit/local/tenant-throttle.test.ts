import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TENANT_RATE_LIMITS, usageKeyOf } from '../../../core/rate-limits.js';
import { TenantThrottle, TokenBucket } from '../../../local/tenant-throttle.js';

const limitsArb = fc.record({ ratePerSecond: fc.integer({ min: 1, max: 100 }), burst: fc.integer({ min: 1, max: 200 }) });
/** Request times in ms, ascending, over up to 10 s. */
const timesArb = fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 400 }).map((xs) => xs.sort((a, b) => a - b));

describe('TokenBucket', () => {
  it('admits exactly the burst at one instant, then refuses', () => {
    fc.assert(
      fc.property(limitsArb, (limits) => {
        const bucket = new TokenBucket(limits, 0);
        const answers = Array.from({ length: limits.burst + 5 }, () => bucket.take(0));
        expect(answers.filter((a) => a === 0)).toHaveLength(limits.burst);
        expect(answers.slice(limits.burst).every((a) => a >= 1)).toBe(true);
      }),
    );
  });

  it('never admits more than the burst plus the steady rate over the time elapsed', () => {
    fc.assert(
      fc.property(limitsArb, timesArb, (limits, times) => {
        const bucket = new TokenBucket(limits, times[0]!);
        const admitted = times.filter((t) => bucket.take(t) === 0).length;
        const elapsedSeconds = (times.at(-1)! - times[0]!) / 1000;
        expect(admitted).toBeLessThanOrEqual(limits.burst + Math.floor(elapsedSeconds * limits.ratePerSecond));
      }),
    );
  });

  it('admits a request sent after the Retry-After it was given', () => {
    fc.assert(
      fc.property(limitsArb, timesArb, (limits, times) => {
        const bucket = new TokenBucket(limits, 0);
        for (const t of times) bucket.take(t);
        const last = times.at(-1)!;
        let retryAfter = bucket.take(last);
        while (retryAfter === 0) retryAfter = bucket.take(last);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(bucket.take(last + retryAfter * 1000)).toBe(0);
      }),
    );
  });
});

describe('TenantThrottle', () => {
  it('keeps one bucket per usage key and counts refusals per tenant', () => {
    let now = 0;
    const throttle = new TenantThrottle({ ratePerSecond: 10, burst: 3 }, () => now);
    const a = Array.from({ length: 5 }, () => throttle.admit(usageKeyOf('acme'), 'acme'));
    const b = Array.from({ length: 3 }, () => throttle.admit(usageKeyOf('globex'), 'globex'));
    expect(a.map((x) => x > 0)).toEqual([false, false, false, true, true]);
    expect(b.every((x) => x === 0)).toBe(true);
    expect(throttle.throttledByTenant()).toEqual({ acme: 2 });
    now = 100; // one token back at 10/s
    expect(throttle.admit(usageKeyOf('acme'), 'acme')).toBe(0);
    expect(throttle.admit(usageKeyOf('acme'), 'acme')).toBe(1);
    expect(throttle.throttledByTenant()).toEqual({ acme: 3 });
  });

  it('admits everything and counts nothing without limits', () => {
    const throttle = new TenantThrottle(false, () => 0);
    for (let i = 0; i < 1000; i++) expect(throttle.admit('k', 't')).toBe(0);
    expect(throttle.throttledByTenant()).toEqual({});
  });

  it('refuses limits that would admit nothing', () => {
    expect(() => new TenantThrottle({ ratePerSecond: 0, burst: 10 })).toThrow(/must be positive/);
    expect(() => new TenantThrottle({ ratePerSecond: 10, burst: 0 })).toThrow(/must be positive/);
  });
});

describe('usageKeyOf', () => {
  it('is a valid API Gateway key value, the same for a tenant every time, different across tenants', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.string({ minLength: 1, maxLength: 64 }), (a, b) => {
        expect(usageKeyOf(a)).toMatch(/^[A-Za-z0-9-]{20,128}$/);
        expect(usageKeyOf(a)).toBe(usageKeyOf(a));
        if (a !== b) expect(usageKeyOf(a)).not.toBe(usageKeyOf(b));
      }),
    );
  });

  it("with the plan's limits, a console page's parallel reads pass at once and a tight loop is held to the steady rate", () => {
    let now = 0;
    const throttle = new TenantThrottle(TENANT_RATE_LIMITS, () => now);
    const key = usageKeyOf('acme');
    // The clusters list: the list, the profiles, and the first clusters' status reads, together.
    expect(Array.from({ length: 20 }, () => throttle.admit(key, 'acme')).every((x) => x === 0)).toBe(true);
    now = 60_000;
    let admitted = 0;
    for (; now < 70_000; now += 1) if (throttle.admit(key, 'acme') === 0) admitted++;
    expect(admitted).toBeLessThanOrEqual(TENANT_RATE_LIMITS.burst + 10 * TENANT_RATE_LIMITS.ratePerSecond);
    expect(admitted).toBeGreaterThanOrEqual(10 * TENANT_RATE_LIMITS.ratePerSecond);
  });
});
