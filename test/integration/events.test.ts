import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent } from '../../adapters/dynamodb/events-store.js';
import { clusterBody, startApi, type Api } from './harness.js';

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
});
