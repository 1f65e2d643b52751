import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentToken } from '../../core/agent-token.js';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

let api: Api;
const ids: string[] = [];
beforeAll(async () => {
  api = await startApi();
  const account = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  for (const name of ['alpha', 'beta']) {
    const id = (await api.call('POST', '/v1/clusters', { body: clusterBody(account, { name }) })).body.id;
    ids.push(id);
    await eventually(async () => ((await api.call('GET', `/v1/clusters/${id}`)).body.phase === 'Running' ? true : undefined), `${name} Running`);
  }
});
afterAll(() => api.stop());

const tokenFor = (clusterId: string) => agentToken(process.env.PLATFORM_SECRET!, 'default', clusterId);
const beat = (token: string | null, body: unknown) =>
  api.call('POST', '/agent/v1/heartbeat', { key: token, raw: typeof body === 'string' ? body : JSON.stringify(body) });
const report = (clusterId: string) => ({ agentVersion: 'test', clusterId, observedGeneration: 1, nodes: [], packs: [] });

describe('agent API', () => {
  it('answers a cluster token with the desired state', async () => {
    const res = await beat(tokenFor(ids[0]!), report(ids[0]!));
    expect(res.status).toBe(200);
    expect(res.body.desiredGeneration).toBe(1);
    expect(res.body.packs.map((p: any) => p.name)).toEqual(['ubuntu', 'kubernetes', 'calico', 'aws-ebs-csi', 'prometheus-operator']);
  });

  it('refuses a missing or forged token (401) and another cluster’s token (403)', async () => {
    expect((await beat(null, report(ids[0]!))).status).toBe(401);
    expect((await beat(agentToken('not-the-secret', 'default', ids[0]!), report(ids[0]!))).status).toBe(401);
    expect((await beat(api.key, report(ids[0]!))).status).toBe(401); // an API key is no agent token
    const cross = await beat(tokenFor(ids[0]!), report(ids[1]!));
    expect(cross.status).toBe(403);
  });

  it('refuses bodies over 1 MB (413) and bad reports (400 naming the field)', async () => {
    const big = JSON.stringify({ ...report(ids[0]!), pad: 'x'.repeat(1024 * 1024) });
    expect((await beat(tokenFor(ids[0]!), big)).status).toBe(413);
    const bad = await beat(tokenFor(ids[0]!), { ...report(ids[0]!), observedGeneration: 'one' });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('observedGeneration');
    expect((await beat(tokenFor(ids[0]!), '{nope')).status).toBe(400);
  });
});

describe('agent reports are untrusted input', () => {
  const node = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    role: 'worker',
    conditions: [{ type: 'Ready', status: 'True' }],
    capacity: { cpu: '4', memory: '16Gi', 'ephemeral-storage': '100Gi' },
    usage: { cpu: '1500m', memory: '4Gi' },
    ...extra,
  });
  const refused = async (body: unknown, path: string) => {
    const res = await beat(tokenFor(ids[1]!), body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path), JSON.stringify(res.body)).toContain(path);
  };
  beforeAll(async () => {
    await api.call('POST', '/local/faults', { body: { cluster: ids[1], agent: 'silent' } });
  });

  it('a quantity is parsed at once and bounded: "1e3000000" is a 400, and later reads still answer', async () => {
    const started = performance.now();
    await refused({ ...report(ids[1]!), nodes: [node('n1', { usage: { cpu: '1e3000000' } })] }, 'nodes[0].usage.cpu');
    expect(performance.now() - started).toBeLessThan(1000);
    await refused({ ...report(ids[1]!), nodes: [node('n1', { capacity: { memory: '9'.repeat(70) } })] }, 'nodes[0].capacity.memory');
    await refused({ ...report(ids[1]!), nodes: [node('n1', { capacity: { cpu: '-4' } })] }, 'nodes[0].capacity.cpu');
    await refused({ ...report(ids[1]!), nodes: [node('n1', { usage: { memory: 'lots' } })] }, 'nodes[0].usage.memory');
    for (const path of ['usage', 'nodes', 'services']) expect((await api.call('GET', `/v1/clusters/${ids[1]}/${path}`)).status).toBe(200);
  });

  it('nodes: no duplicates, no usage beyond capacity, no more than planned plus a margin', async () => {
    await refused({ ...report(ids[1]!), nodes: [node('n1'), node('n1')] }, 'nodes[1].name');
    await refused({ ...report(ids[1]!), nodes: [node('n1', { usage: { cpu: '5', memory: '1Gi' } })] }, 'nodes[0].usage.cpu');
    await refused({ ...report(ids[1]!), nodes: [node('n1', { usage: { cpu: '1', memory: '20Gi' } })] }, 'nodes[0].usage.memory');
    // 3 planned nodes (1 + 2): up to 8 may be reported.
    expect((await beat(tokenFor(ids[1]!), { ...report(ids[1]!), nodes: Array.from({ length: 8 }, (_, i) => node(`n${i}`)) })).status).toBe(200);
    await refused({ ...report(ids[1]!), nodes: Array.from({ length: 9 }, (_, i) => node(`n${i}`)) }, 'nodes');
    await refused({ ...report(ids[1]!), nodes: [node('Not_A_DNS_Name')] }, 'nodes[0].name');
  });

  it('a generation ahead of the desired one is a 400', async () => {
    await refused({ ...report(ids[1]!), observedGeneration: 99 }, 'observedGeneration');
  });

  it('service links open only http(s) on an IP or a DNS name: no userinfo, no markup, no other scheme', async () => {
    const svc = (ingress: Record<string, string>) => ({ namespace: 'web', name: 'shop', type: 'LoadBalancer', ports: [{ port: 443 }], ingress: [ingress] });
    for (const hostname of ['javascript:alert(1)', 'user:pw@evil.example', '<img src=x onerror=alert(1)>', 'a b.example', 'evil.example/path']) {
      await refused({ ...report(ids[1]!), services: [svc({ hostname })] }, 'services[0].ingress[0].hostname');
    }
    await refused({ ...report(ids[1]!), services: [svc({ ip: '999.1.1.1' })] }, 'services[0].ingress[0].ip');
    await refused({ ...report(ids[1]!), nodes: [node('n1', { addresses: [{ type: 'ExternalIP', address: 'evil.example' }] })] }, 'nodes[0].addresses[0].address');
    expect((await beat(tokenFor(ids[1]!), { ...report(ids[1]!), services: [svc({ hostname: 'shop.example.com' }), svc({ ip: '2001:db8::1' })].map((s, i) => ({ ...s, name: `shop-${i}` })) })).status).toBe(200);
    const links = (await api.call('GET', `/v1/clusters/${ids[1]}/services`)).body.items.flatMap((s: { links: string[] }) => s.links);
    expect(links).toEqual(['https://shop.example.com:443', 'https://[2001:db8::1]:443']);
  });

  it('whatever a valid report holds, no later read answers 5xx', async () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
    const cpu = fc.oneof(fc.integer({ min: 0, max: 64 }).map(String), fc.integer({ min: 0, max: 64_000 }).map((m) => `${m}m`), fc.bigInt({ min: 0n, max: 64n * 10n ** 9n }).map((n) => `${n}n`));
    const mem = fc.oneof(fc.integer({ min: 0, max: 256 }).map((g) => `${g}Gi`), fc.integer({ min: 0, max: 2 ** 40 }).map(String), fc.integer({ min: 0, max: 999 }).map((m) => `${m}e6`));
    const condition = fc.record({ type: fc.constantFrom('Ready', 'MemoryPressure', 'DiskPressure', 'Custom'), status: fc.constantFrom('True', 'False', 'Unknown'), message: fc.string({ maxLength: 40 }) });
    const reportedNode = fc.record({
      name: label,
      role: fc.constantFrom('controlPlane', 'worker'),
      conditions: fc.array(condition, { maxLength: 4 }),
      capacity: fc.record({ cpu, memory: mem }, { requiredKeys: [] }),
      allocatable: fc.record({ cpu, memory: mem, pods: fc.integer({ min: 0, max: 500 }).map(String) }, { requiredKeys: [] }),
      usage: fc.record({ cpu, memory: mem }, { requiredKeys: [] }),
      requests: fc.record({ cpu, memory: mem }, { requiredKeys: [] }),
    });
    const service = fc.record({
      namespace: label,
      name: label,
      type: fc.constantFrom('LoadBalancer', 'NodePort', 'ClusterIP'),
      ports: fc.array(fc.record({ port: fc.integer({ min: 1, max: 65535 }), nodePort: fc.integer({ min: 30000, max: 32767 }) }), { maxLength: 3 }),
      ingress: fc.array(fc.oneof(fc.record({ ip: fc.ipV4() }), fc.record({ hostname: fc.domain() }), fc.record({ ip: fc.ipV6() })), { maxLength: 2 }),
    });
    // Names are unique, as the API demands, and half the reports carry no usage (usage beyond capacity is a 400),
    // so that enough reports are accepted to exercise the reads after them.
    const anyReport = fc
      .tuple(
        fc.record({
          nodes: fc.uniqueArray(reportedNode, { maxLength: 6, selector: (n) => n.name }),
          services: fc.uniqueArray(service, { maxLength: 4, selector: (s) => `${s.namespace}/${s.name}` }),
        }),
        fc.boolean(),
      )
      .map(([r, withUsage]) => (withUsage ? r : { ...r, nodes: r.nodes.map(({ usage: _usage, ...n }) => n) }));
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(anyReport, async (r) => {
        const res = await beat(tokenFor(ids[1]!), { ...report(ids[1]!), ...r });
        expect([200, 400]).toContain(res.status);
        if (res.status === 200) accepted++;
        for (const path of ['', '/usage', '/usage?window=24h&includeControlPlane=true', '/nodes', '/services', '/conditions']) {
          const read = await api.call('GET', `/v1/clusters/${ids[1]}${path}`);
          expect(read.status, `${path} after ${JSON.stringify(r)}`).toBe(200);
        }
        for (const n of r.nodes.slice(0, 2)) expect((await api.call('GET', `/v1/clusters/${ids[1]}/nodes/${n.name}`)).status).toBeLessThan(500);
      }),
      { numRuns: 40 },
    );
    expect(accepted, 'reports accepted of 40').toBeGreaterThan(8);
  });

  it('a cluster being deleted gets 410: its agent should stop', async () => {
    expect((await api.call('DELETE', `/v1/clusters/${ids[0]}`)).status).toBe(202);
    const res = await eventually(async () => {
      const r = await beat(tokenFor(ids[0]!), report(ids[0]!));
      return r.status === 410 ? r : undefined;
    }, '410 for a deleted cluster');
    expect(res.body.error).toBe('Gone');
  });
});
