import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../adapters/dynamodb/client.js';
import { appendEvent } from '../../adapters/dynamodb/events-store.js';
import { tableName } from '../../adapters/dynamodb/tables.js';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

let api: Api;
let id: string;
beforeAll(async () => {
  api = await startApi();
  const account = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  id = (await api.call('POST', '/v1/clusters', { body: clusterBody(account, { name: 'evented' }) })).body.id;
});
afterAll(() => api.stop());

describe('events', () => {
  it('are deduplicated by key when a step records the same event again', async () => {
    const e = { clusterId: id, type: 'Warning' as const, reason: 'VcpuLimitExceeded', message: 'attempt 1 failed', subject: 'X' };
    const results = await Promise.all([appendEvent(e, 'X#g1#1'), appendEvent(e, 'X#g1#1'), appendEvent(e, 'X#g1#1')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    await appendEvent({ ...e, message: 'attempt 2 failed' }, 'X#g1#2');
    const listed = (await api.call('GET', `/v1/clusters/${id}/events?limit=100`)).body.items.filter((x: any) => x.subject === 'X');
    expect(listed.map((x: any) => x.message)).toEqual(['attempt 2 failed', 'attempt 1 failed']);
  });

  it('fold as Kubernetes events do: the same event again is one event with a count, moved to the top', async () => {
    const e = { clusterId: id, type: 'Warning' as const, reason: 'BackOff', message: 'pulling image failed', subject: 'Y' };
    const tick = () => new Promise((r) => setTimeout(r, 3)); // distinct milliseconds: events of one ms have no order
    await appendEvent(e);
    await tick();
    await appendEvent({ ...e, reason: 'Other' });
    await tick();
    await appendEvent(e);
    await tick();
    const third = await appendEvent(e);
    const listed = (await api.call('GET', `/v1/clusters/${id}/events?limit=100`)).body.items.filter((x: any) => x.subject === 'Y');
    expect(listed.map((x: any) => [x.reason, x.count])).toEqual([
      ['BackOff', 3],
      ['Other', 1],
    ]);
    expect(listed[0]).toMatchObject({ lastSeen: third!.lastSeen, at: third!.lastSeen, firstSeen: expect.any(String) });
    expect(listed[0].firstSeen < listed[0].lastSeen).toBe(true);
    // Concurrent appends of the same event lose nothing.
    await Promise.all(Array.from({ length: 5 }, () => appendEvent(e)));
    const after = (await api.call('GET', `/v1/clusters/${id}/events?limit=100`)).body.items.filter((x: any) => x.subject === 'Y' && x.reason === 'BackOff');
    expect(after).toHaveLength(1);
    expect(after[0].count).toBe(8);
  });

  it('can be followed: a long poll answers as soon as an event comes, or empty when none did', async () => {
    const follow = (q: string) => api.call('GET', `/v1/clusters/${id}/events/follow?${q}`);
    const idle = await follow('waitSeconds=0');
    expect(idle.status).toBe(200);
    expect(idle.body.items).toEqual([]);
    // The cluster is provisioning meanwhile: follow until the event comes, never seeing one twice.
    setTimeout(() => void appendEvent({ clusterId: id, type: 'Normal', reason: 'Followed', message: 'seen by a follower', subject: 'F' }), 300);
    const started = Date.now();
    const seen: string[] = [];
    let after = idle.body.after;
    while (!seen.some((s) => s.endsWith(':Followed')) && Date.now() - started < 8_000) {
      const news = await follow(`after=${encodeURIComponent(after)}&waitSeconds=10`);
      seen.push(...news.body.items.map((e: any) => `${e.id}:${e.reason}`));
      after = news.body.after;
    }
    expect(Date.now() - started).toBeLessThan(5_000); // answered on the news, not at the end of a wait
    expect(seen.some((s) => s.endsWith(':Followed'))).toBe(true);
    expect(new Set(seen).size).toBe(seen.length);
    const bad = await follow('waitSeconds=21');
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('query.waitSeconds');
    const empty = await follow('after=&waitSeconds=0');
    expect(empty.status).toBe(400);
    expect(empty.body.details[0].path).toBe('query.after');
  });

  it('page newest first with a cursor', async () => {
    for (let i = 0; i < 5; i++) await appendEvent({ clusterId: id, type: 'Normal', reason: 'Paged', message: `n${i}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await api.call('GET', `/v1/clusters/${id}/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body;
      seen.push(...page.items.filter((x: any) => x.reason === 'Paged').map((x: any) => x.message));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['n4', 'n3', 'n2', 'n1', 'n0']);
  });

  it('filter by type, reason (one or several), subject and since, paging through what matches only', async () => {
    const tick = () => new Promise((r) => setTimeout(r, 3));
    const at = (await api.call('GET', `/v1/clusters/${id}/events?limit=1`)).body.items[0]?.at ?? new Date(0).toISOString();
    for (let i = 0; i < 7; i++) {
      await appendEvent({ clusterId: id, tenantId: 'default', clusterName: 'evented', type: i % 2 ? 'Warning' : 'Normal', reason: i < 4 ? 'FilterA' : 'FilterB', message: `f${i}`, subject: `node-${i % 3}` });
      await tick();
    }
    const list = async (q: string) => {
      const out: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.call('GET', `/v1/clusters/${id}/events?limit=2&${q}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        out.push(...page.body.items.map((e: any) => e.message));
        cursor = page.body.nextCursor;
      } while (cursor);
      return out;
    };
    expect(await list('reason=FilterA')).toEqual(['f3', 'f2', 'f1', 'f0']);
    expect(await list('reason=FilterA,FilterB&type=Warning')).toEqual(['f5', 'f3', 'f1']);
    expect(await list('subject=node-1&reason=FilterA,FilterB')).toEqual(['f4', 'f1']);
    expect(await list(`since=${encodeURIComponent(new Date(Date.parse(at) + 1).toISOString())}&reason=FilterB`)).toEqual(['f6', 'f5', 'f4']);
    // Since is a bound on when events were last seen: one from the future leaves nothing.
    expect(await list(`since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).toEqual([]);
  });

  it('leave out expired events: TTL deletion is lazy, so reads filter them', async () => {
    const old = new Date(Date.now() - 31 * 86400_000).toISOString();
    await documentClient().send(
      new PutCommand({
        TableName: tableName('events'),
        Item: { pk: `E#${id}`, sk: `${new Date().toISOString()}#expired`, id: 'x', clusterId: id, type: 'Warning', reason: 'Expired', message: 'past its TTL', at: old, count: 1, firstSeen: old, lastSeen: old, expiresAt: Math.floor(Date.now() / 1000) - 60, gsi1pk: 'TE#default', gsi1sk: `${new Date().toISOString()}#expired` },
      }),
    );
    expect((await api.call('GET', `/v1/clusters/${id}/events?reason=Expired`)).body.items).toEqual([]);
    expect((await api.call('GET', '/v1/events?reason=Expired')).body.items).toEqual([]);
  });

  it("stream across the tenant's clusters, naming each, and never another tenant's", async () => {
    const account = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim2', spec: { type: 'local' } } })).body.id;
    const second = (await api.call('POST', '/v1/clusters', { body: clusterBody(account, { name: 'second' }) })).body.id;
    await appendEvent({ clusterId: id, tenantId: 'default', clusterName: 'evented', type: 'Warning', reason: 'TenantWide', message: 'on the first' });
    await appendEvent({ clusterId: second, tenantId: 'default', clusterName: 'second', type: 'Normal', reason: 'TenantWide', message: 'on the second' });
    const all = await api.call('GET', '/v1/events?reason=TenantWide');
    expect(all.status).toBe(200);
    expect(all.body.items.map((e: any) => [e.clusterName, e.message])).toEqual([
      ['second', 'on the second'],
      ['evented', 'on the first'],
    ]);
    expect((await api.call('GET', '/v1/events?reason=TenantWide&type=Warning')).body.items.map((e: any) => e.clusterId)).toEqual([id]);
    expect((await api.call('GET', `/v1/events?reason=TenantWide&cluster=${second}`)).body.items.map((e: any) => e.message)).toEqual(['on the second']);
    // Workflow events of a provisioning cluster join the tenant-wide stream too, with its name.
    const provisioning = await eventually(async () => {
      const items = (await api.call('GET', '/v1/events?limit=100')).body.items.filter((e: any) => e.clusterId === second && e.reason !== 'TenantWide');
      return items.length > 1 ? items : undefined;
    }, 'provisioning events of the second cluster in the tenant stream');
    expect(new Set(provisioning.map((e: any) => e.clusterName))).toEqual(new Set(['second']));

    const other = (await api.call('POST', '/v1/tenants', { body: { name: 'initech' } })).body.apiKey.key;
    expect((await api.call('GET', '/v1/events?limit=100', { key: other })).body.items).toEqual([]);
    const foreign = await api.call('GET', `/v1/events?cluster=${id}`, { key: other });
    expect(foreign.status).toBe(404);
    expect(foreign.body.details[0].path).toBe('query.cluster');
    expect((await api.call('GET', '/v1/events/follow?waitSeconds=0', { key: other })).body.items).toEqual([]);
  });

  it('follow across the tenant with the same filters', async () => {
    const idle = await api.call('GET', '/v1/events/follow?waitSeconds=0&reason=TenantFollow');
    setTimeout(() => {
      void appendEvent({ clusterId: id, tenantId: 'default', clusterName: 'evented', type: 'Normal', reason: 'Noise', message: 'not asked for' });
      void appendEvent({ clusterId: id, tenantId: 'default', clusterName: 'evented', type: 'Warning', reason: 'TenantFollow', message: 'followed tenant-wide' });
    }, 200);
    const seen: any[] = [];
    let after = idle.body.after;
    const started = Date.now();
    while (!seen.length && Date.now() - started < 8_000) {
      const news = await api.call('GET', `/v1/events/follow?after=${encodeURIComponent(after)}&waitSeconds=5&reason=TenantFollow`);
      expect(news.status).toBe(200);
      seen.push(...news.body.items);
      after = news.body.after;
    }
    expect(seen.map((e) => [e.reason, e.clusterName])).toEqual([['TenantFollow', 'evented']]);
  });

  it('refuse bad filters with a 400 naming the field', async () => {
    for (const [q, path] of [
      ['type=Error', 'query.type'],
      ['reason=Not%20A%20Reason', 'query.reason'],
      ['since=yesterday', 'query.since'],
      ['subject=', 'query.subject'],
      ['limit=0', 'query.limit'],
    ] as const) {
      for (const base of [`/v1/clusters/${id}/events`, '/v1/events']) {
        const res = await api.call('GET', `${base}?${q}`);
        expect(res.status, `${base}?${q}`).toBe(400);
        expect(res.body.details[0].path).toBe(path);
      }
    }
    // A cursor of one cluster's list does not steer the tenant's stream, nor the other way round.
    const clusterCursor = (await api.call('GET', `/v1/clusters/${id}/events?limit=1`)).body.nextCursor;
    expect((await api.call('GET', `/v1/events?cursor=${clusterCursor}`)).status).toBe(400);
    const tenantCursor = (await api.call('GET', '/v1/events?limit=1')).body.nextCursor;
    expect((await api.call('GET', `/v1/clusters/${id}/events?cursor=${tenantCursor}`)).status).toBe(400);
  });
});
