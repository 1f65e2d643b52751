import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/api/routes.js';
import { isAudited } from '../../core/audit.js';
import { startApi, type Api } from './harness.js';

let api: Api;
/** An admin key made for this file, so its entries are told apart by actor. */
let admin: { id: string; key: string };
let startedAt: string;

beforeAll(async () => {
  api = await startApi();
  startedAt = new Date().toISOString();
  const res = await api.call('POST', '/v1/apikeys', { body: { name: 'audit-admin', role: 'admin' } });
  admin = { id: res.body.id, key: res.body.key };
});
afterAll(() => api.stop());

const mine = async (query = '') => (await api.call('GET', `/v1/audit?actor=${admin.id}${query}`, { key: admin.key })).body.items as any[];

describe('audit log', () => {
  it('records a change with who, what, the resource it made, the outcome, source IP and request id', async () => {
    const made = await api.call('POST', '/v1/registries', { key: admin.key, body: { name: 'audited' }, headers: { 'user-agent': 'audit-test/1' } });
    expect(made.status).toBe(201);
    const entries = await mine(`&resourceId=${made.body.id}`);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      tenantId: 'default',
      actor: { type: 'apiKey', id: admin.id, role: 'admin' },
      action: 'POST /v1/registries',
      method: 'POST',
      path: '/v1/registries',
      resourceType: 'registries',
      resourceId: made.body.id,
      outcome: 'success',
      status: 201,
      sourceIp: expect.stringMatching(/127\.0\.0\.1/),
      requestId: made.headers.get('x-correlation-id'),
      userAgent: 'audit-test/1',
    });
    expect(entries[0].at >= startedAt).toBe(true);

    const gone = await api.call('DELETE', `/v1/registries/${made.body.id}`, { key: admin.key });
    expect(gone.status).toBe(204);
    expect((await mine(`&resourceId=${made.body.id}`)).map((e) => `${e.action} ${e.status}`)).toEqual([`DELETE /v1/registries/{id} 204`, 'POST /v1/registries 201']);
  });

  it('records a refused change with its outcome and error, and not the reads around it', async () => {
    const bad = await api.call('POST', '/v1/registries', { key: admin.key, body: { name: 'Not A Name!' } });
    expect(bad.status).toBe(400);
    await api.call('GET', '/v1/registries', { key: admin.key });
    const refused = await mine('&outcome=refused&action=POST%20/v1/registries');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ outcome: 'refused', status: 400, error: bad.body.error, message: bad.body.message.slice(0, 300) });
    expect(refused[0]).not.toHaveProperty('resourceId');
    expect((await mine()).some((e) => e.method === 'GET' && e.path === '/v1/registries')).toBe(false);
  });

  it('records sensitive reads: a kubeconfig asked for, even when refused', async () => {
    const res = await api.call('GET', '/v1/clusters/cl-none/kubeconfig', { key: admin.key });
    expect(res.status).toBe(404);
    expect(await mine('&resourceId=cl-none')).toEqual([expect.objectContaining({ action: 'GET /v1/clusters/{id}/kubeconfig', resourceType: 'clusters', outcome: 'refused', status: 404 })]);
  });

  it('pages newest first with a cursor, filters by time, and exports JSON lines', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) expect((await api.call('POST', '/v1/registries', { key: admin.key, body: { name } })).status).toBe(201);
    const all = await mine('&action=POST%20/v1/registries&outcome=success');
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(all.map((e) => e.at)).toEqual([...all.map((e) => e.at)].sort().reverse());

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await api.call('GET', `/v1/audit?actor=${admin.id}&action=POST%20/v1/registries&outcome=success&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key: admin.key })).body;
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((e: any) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));

    // since inclusive, until exclusive: the window of the newest entry holds exactly it.
    const newest = all[0];
    const window = await mine(`&since=${encodeURIComponent(newest.at)}&until=${encodeURIComponent(new Date(Date.parse(newest.at) + 1).toISOString())}`);
    expect(window.map((e) => e.id)).toEqual([newest.id]);

    const exported = await api.call('GET', `/v1/audit/export?actor=${admin.id}&action=POST%20/v1/registries&outcome=success`, { key: admin.key });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(exported.headers.get('x-next-cursor')).toBeNull();
    const lines = String(exported.body).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual(all);
  });

  it('answers bad filters with a 400 naming the parameter', async () => {
    for (const [query, path] of [
      ['outcome=maybe', 'query.outcome'],
      ['since=yesterday', 'query.since'],
      ['since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z', 'query.until'],
      ['action=DROP%20TABLE', 'query.action'],
      ['limit=0', 'query.limit'],
      ['cursor=bm90LWEtY3Vyc29y', 'query.cursor'],
    ]) {
      const res = await api.call('GET', `/v1/audit?${query}`, { key: admin.key });
      expect(res.status, query).toBe(400);
      expect(res.body.details.map((d: any) => d.path), query).toContain(path);
    }
  });

  it("is the tenant's own and its admins' only, and no API changes it", async () => {
    const other = await api.call('POST', '/v1/tenants', { body: { name: 'audit-other' } });
    expect(other.status).toBe(201);
    const otherKey = other.body.apiKey.key;
    const theirs = (await api.call('GET', '/v1/audit', { key: otherKey })).body.items as any[];
    expect(theirs.every((e) => e.tenantId === other.body.tenant.id)).toBe(true);
    expect(theirs.some((e) => e.actor.id === admin.id)).toBe(false);
    // The operator's own entry of making the tenant names it.
    expect((await api.call('GET', `/v1/audit?resourceId=${other.body.tenant.id}`)).body.items).toEqual([expect.objectContaining({ action: 'POST /v1/tenants', outcome: 'success' })]);

    const viewer = (await api.call('POST', '/v1/apikeys', { key: admin.key, body: { name: 'audit-viewer', role: 'viewer' } })).body.key;
    const refused = await api.call('GET', '/v1/audit', { key: viewer });
    expect(refused.status).toBe(403);
    for (const method of ['PUT', 'DELETE', 'POST']) expect((await api.call(method, '/v1/audit', { key: admin.key, body: {} })).status).toBe(405);
  });

  it('covers every change the API makes and the reads that hand out credentials or bundles', () => {
    for (const r of ROUTES.filter((x) => !x.public && x.method !== 'GET')) expect(isAudited(r), `${r.method} ${r.path}`).toBe(true);
    expect(ROUTES.filter((r) => r.method === 'GET' && isAudited(r)).map((r) => r.path).sort()).toEqual(['/v1/clusters/{id}/kubeconfig', '/v1/clusters/{id}/logs/{requestId}']);
  });
});
