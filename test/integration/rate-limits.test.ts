import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT_RATE_LIMITS } from '../../core/rate-limits.js';
import { startApi, type Api, type Reply } from './harness.js';

/** The usage plan's per-tenant limits as the local runtime applies them: the plan's own numbers. */
let api: Api;
const keys: Record<string, string> = {};
const keyIds: Record<string, string> = {};

beforeAll(async () => {
  api = await startApi({ rateLimits: TENANT_RATE_LIMITS });
  for (const name of ['acme', 'globex']) {
    const made = await api.call('POST', '/v1/tenants', { body: { name } });
    expect(made.status).toBe(201);
    keys[name] = made.body.apiKey.key;
    keyIds[name] = made.body.apiKey.id;
  }
});
afterAll(() => api.stop());

const throttledCount = async (tenant: string): Promise<number> => {
  const res = await fetch(`${api.runtime.url}/local/metrics`, { headers: { authorization: `Bearer ${api.key}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { throttled: Record<string, number> }).throttled[tenant] ?? 0;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('per-tenant rate limits', () => {
  it('answers a burst past the limit with 429 and Retry-After, writes nothing for it, and leaves other tenants alone', async () => {
    const { burst, ratePerSecond } = TENANT_RATE_LIMITS;
    // The authorizer's decision cached first, so the burst reaches the throttle together.
    expect((await api.call('GET', '/v1/registries', { key: keys.acme })).status).toBe(200);
    expect((await api.call('GET', '/v1/registries', { key: keys.globex })).status).toBe(200);
    const before = await throttledCount('acme');

    const sent = 2 * burst;
    const started = performance.now();
    const [acme, globex] = await Promise.all([
      Promise.all(Array.from({ length: sent }, (_, i) => api.call('POST', '/v1/registries', { key: keys.acme, body: { name: `burst-${i}` } }))),
      Promise.all(Array.from({ length: 10 }, () => api.call('GET', '/v1/registries', { key: keys.globex }))),
    ]);
    const elapsedSeconds = (performance.now() - started) / 1000;

    const created = acme.filter((r) => r.status === 201);
    const refused = acme.filter((r) => r.status === 429);
    expect(created.length + refused.length).toBe(sent);
    expect(refused.length).toBeGreaterThan(0);
    // What the bucket held plus what came back while the burst was answered (the warm-up took one).
    expect(created.length).toBeLessThanOrEqual(burst + Math.ceil(elapsedSeconds * ratePerSecond));
    for (const r of refused) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.body).toEqual({ error: 'TooManyRequests', message: expect.stringMatching(/rate limit/), details: [expect.objectContaining({ path: 'headers.authorization' })] });
    }
    // Another tenant's budget is its own.
    expect(globex.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await throttledCount('acme')).toBe(before + refused.length);
    expect(await throttledCount('globex')).toBe(0);

    // After Retry-After the tenant is served again; exactly the admitted requests made registries.
    await sleep(Math.max(...refused.map((r) => Number(r.headers.get('retry-after')))) * 1000);
    const listed: Reply = await api.call('GET', '/v1/registries?limit=100', { key: keys.acme });
    expect(listed.status).toBe(200);
    const names = (listed.body.items as { name: string }[]).map((r) => r.name).filter((n) => n.startsWith('burst-'));
    expect(names.sort()).toEqual(created.map((r) => r.body.name).sort());
    // The audit log holds the requests that reached the API, none of the refused ones.
    const audit = await api.call('GET', `/v1/audit?actor=${keyIds.acme}&action=${encodeURIComponent('POST /v1/registries')}&limit=100`, { key: keys.acme });
    expect(audit.status).toBe(200);
    expect((audit.body.items as { status: number }[]).map((e) => e.status)).toEqual(Array(created.length).fill(201));
  });
});
