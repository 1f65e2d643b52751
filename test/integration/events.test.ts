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
