import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Heartbeat, ReportedNode } from '../core/agent-protocol.js';
import { documentClient } from '../adapters/dynamodb/client.js';
import { tableName } from '../adapters/dynamodb/tables.js';
import { HB_SHARDS, staleClusters } from '../adapters/dynamodb/telemetry-store.js';
import type { Runtime } from '../local/runtime.js';

/** A small client of a local runtime's API for the benches, with the operator key. */
export function benchClient(rt: Runtime) {
  const headers = { authorization: `Bearer ${rt.apiKey}`, 'content-type': 'application/json' };
  const post = async <T = { id: string }>(path: string, body: unknown) => (await (await fetch(`${rt.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as T;
  const get = async <T = unknown>(path: string) => (await (await fetch(`${rt.url}${path}`, { headers })).json()) as T;
  return {
    headers,
    post,
    get,
    /** A cloud account on the simulated cloud. */
    simAccount: () => post('/v1/cloudaccounts', { name: 'sim', spec: { type: 'local' } }),
    /** A cluster of the sample profile: one control-plane node and `workers` workers. */
    createCluster: (name: string, cloudAccountId: string, workers: number) =>
      post('/v1/clusters', {
        name,
        profileId: 'pf-sample',
        cloudAccountId,
        region: 'sim-east-1',
        nodePools: [
          { name: 'cp', role: 'controlPlane', count: 1, instanceType: 'sim.large', zones: ['sim-east-1a'] },
          { name: 'workers', role: 'worker', count: workers, instanceType: 'sim.large', zones: ['sim-east-1a', 'sim-east-1b'] },
        ],
      }),
  };
}

/** A cluster's `n` nodes as its agent reports them; usage moves with `t` (seconds). */
function reportedNodes(count: number, t: number): ReportedNode[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `ip-10-0-${Math.floor(i / 250)}-${(i % 250) + 4}.ec2.internal`,
    role: i < 3 ? ('controlPlane' as const) : ('worker' as const),
    zone: `us-east-1${'abc'[i % 3]}`,
    instanceType: 'm6i.xlarge',
    addresses: [{ type: 'InternalIP', address: `10.0.${Math.floor(i / 250)}.${(i % 250) + 4}` }, { type: 'Hostname', address: `ip-10-0-${i}.ec2.internal` }],
    conditions: ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'].map((type) => ({
      type,
      status: type === 'Ready' ? ('True' as const) : ('False' as const),
      reason: type === 'Ready' ? 'KubeletReady' : `KubeletHasNo${type}`,
    })),
    capacity: { cpu: '4', memory: '16203620Ki', 'ephemeral-storage': '104845292Ki' },
    allocatable: { cpu: '3920m', memory: '15186788Ki', 'ephemeral-storage': '96625420711' },
    usage: { cpu: `${Math.round(1e9 * (1 + Math.sin(t / 600 + i)))}n`, memory: `${Math.round(6e6 + 1e6 * Math.cos(t / 900 + i))}Ki` },
    requests: { cpu: '1850m', memory: '4Gi' },
  }));
}

/** A heartbeat of a healthy cluster of `nodes` nodes (the first three control-plane) at `t` seconds. */
export const agentReport = (clusterId: string, nodes: number, t: number): Heartbeat => ({
  protocolVersion: 1,
  agentVersion: '1.0.0',
  clusterId,
  observedGeneration: 1,
  nodes: reportedNodes(nodes, t),
  services: [{ namespace: 'monitoring', name: 'grafana', type: 'LoadBalancer', ports: [{ port: 80, nodePort: 31080, protocol: 'TCP' }], ingress: [{ hostname: 'a1b2.elb.amazonaws.com' }] }],
  packs: ['ubuntu', 'kubernetes', 'calico', 'aws-ebs-csi', 'prometheus-operator'].map((name) => ({ name, version: '1.0.0', status: 'Installed' as const })),
});

/**
 * The health sweep's query over a deadline index of `total` clusters, 1 % of them past their
 * deadline: entries `seeded` to `total` are written first (earlier calls wrote those below).
 */
export async function sweepDeadlineIndex(total: number, seeded = 0): Promise<{ ms: number; stale: number; others: number; expected: number; readUnits: number }> {
  const db = documentClient();
  const now = Date.now();
  const items: Record<string, unknown>[] = [];
  for (let i = seeded; i < total; i++) {
    const stale = i % 100 === 0;
    const deadline = new Date(now + (stale ? -60_000 - (i % 1000) : 30_000 + (i % 60_000))).toISOString();
    items.push({ PutRequest: { Item: { pk: `HB#${i % HB_SHARDS}`, sk: `${deadline}#cl-sweep${i}`, tenantId: 't', clusterId: `cl-sweep${i}` } } });
  }
  for (let i = 0; i < items.length; i += 25) {
    let pending: Record<string, unknown> | undefined = { [tableName('telemetry')]: items.slice(i, i + 25) };
    while (pending && Object.keys(pending).length) pending = (await db.send(new BatchWriteCommand({ RequestItems: pending as never }))).UnprocessedItems;
  }
  const t0 = performance.now();
  const { items: stale, readUnits } = await staleClusters(new Date(now));
  const ms = performance.now() - t0;
  // Clusters not seeded here (a bench's own, silent since) are found too: say how many.
  return { ms, stale: stale.length, others: stale.filter((e) => !e.clusterId.startsWith('cl-sweep')).length, expected: Math.ceil(total / 100), readUnits };
}
