/**
 * Heartbeat budgets, printed (not asserted):
 *  - handler CPU per heartbeat at 10, 50 and 500 nodes (the real handler, in process);
 *  - DynamoDB write/read units per heartbeat in steady state, from ReturnConsumedCapacity, over
 *    two simulated hours of 30 s heartbeats;
 *  - the health sweep's wall time and items read at 10,000 and 100,000 clusters, 1 % stale.
 * Figures go to .bench/heartbeat.json for bench/cost. Run: npm run bench:heartbeat
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Heartbeat, ReportedNode } from '../core/agent-protocol.js';
import { agentToken } from '../core/agent-token.js';
import { nodeFigures, toSample } from '../core/usage.js';
import { documentClient } from '../adapters/dynamodb/client.js';
import { HB_SHARDS, ingestHeartbeat, staleClusters } from '../adapters/dynamodb/telemetry-store.js';
import { tableName } from '../adapters/dynamodb/tables.js';
import { lambdaContext } from '../local/lambda-context.js';
import { startRuntime } from '../local/runtime.js';
import { benchClient } from './local-api.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function nodes(count: number, t: number): ReportedNode[] {
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

const report = (clusterId: string, n: number, t: number): Heartbeat => ({
  protocolVersion: 1,
  agentVersion: '1.0.0',
  clusterId,
  observedGeneration: 1,
  nodes: nodes(n, t),
  services: [{ namespace: 'monitoring', name: 'grafana', type: 'LoadBalancer', ports: [{ port: 80, nodePort: 31080, protocol: 'TCP' }], ingress: [{ hostname: 'a1b2.elb.amazonaws.com' }] }],
  packs: ['ubuntu', 'kubernetes', 'calico', 'aws-ebs-csi', 'prometheus-operator'].map((name) => ({ name, version: '1.0.0', status: 'Installed' as const })),
});

const rt = await startRuntime({ port: 0, bootMs: 0, agentIntervalMs: 3_600_000, workflowWaitMs: 10 });
const out: Record<string, unknown> = {};
try {
  const client = benchClient(rt);
  const account = await client.simAccount();
  const cluster = await client.createCluster('bench', account.id, 1);
  await [...rt.workflows.executions.values()].find((e) => e.name.startsWith(cluster.id))!.done;
  rt.cloud.silencedAgents.add(cluster.id);
  const token = agentToken(process.env.PLATFORM_SECRET!, 'default', cluster.id);
  // Reports are checked against the planned nodes: plan 500 workers, with no quota to launch them.
  await client.post('/local/faults', { quota: { region: 'sim-east-1', vcpus: 0 } });
  const current = await client.get<{ version: number; nodePools: { role: string; count: number }[] }>(`/v1/clusters/${cluster.id}`);
  const scaled = current.nodePools.map((p) => (p.role === 'worker' ? { ...p, count: 500 } : p));
  const put = await fetch(`${rt.url}/v1/clusters/${cluster.id}`, { method: 'PUT', headers: client.headers, body: JSON.stringify({ version: current.version, nodePools: scaled }) });
  if (put.status !== 200) throw new Error(`scaling the bench cluster answered ${put.status}: ${await put.text()}`);
  (await import('../functions/agent/auth.js')).forgetCluster('default', cluster.id); // the cached record predates the change
  const { handler } = (await import('../functions/agent/api.js')) as unknown as { handler: (e: APIGatewayProxyEventV2, c: unknown) => Promise<APIGatewayProxyStructuredResultV2> };

  console.log('\nHeartbeat handler CPU (in process; median of 200 after 20 warm-up; DynamoDB Local time is another process)');
  for (const n of [10, 50, 500]) {
    const cpu: number[] = [];
    for (let i = 0; i < 220; i++) {
      const body = JSON.stringify(report(cluster.id, n, i * 30));
      const event = {
        rawPath: '/agent/v1/heartbeat',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
        isBase64Encoded: false,
        requestContext: { requestId: String(i), http: { method: 'POST', path: '/agent/v1/heartbeat' } },
      } as unknown as APIGatewayProxyEventV2;
      const before = process.cpuUsage();
      const res = await handler(event, lambdaContext('strata-heartbeat'));
      const used = process.cpuUsage(before);
      if (res.statusCode !== 200) throw new Error(`heartbeat answered ${res.statusCode}: ${res.body}`);
      if (i >= 20) cpu.push((used.user + used.system) / 1000);
    }
    const bytes = Buffer.byteLength(JSON.stringify(report(cluster.id, n, 0)));
    console.log(`  ${String(n).padStart(3)} nodes (${(bytes / 1024).toFixed(1)} KB report): median ${median(cpu).toFixed(2)} ms CPU, p90 ${[...cpu].sort((a, b) => a - b)[Math.floor(cpu.length * 0.9)]!.toFixed(2)} ms${n === 50 ? '   goal ≤ 1 ms' : ''}`);
    out[`cpuMsMedian${n}`] = median(cpu);
  }
  await rt.lambda.settle();

  console.log('\nDynamoDB units per heartbeat, steady state (two simulated hours of 30 s heartbeats, ReturnConsumedCapacity)');
  for (const n of [10, 50, 500]) {
    const clusterId = `cl-bench${n}`;
    const start = Date.parse('2026-11-24T00:00:10Z');
    let w = 0;
    let r = 0;
    let snapshots = 0;
    let beats = 0;
    for (let i = 0; i < 2 * 120 + 10; i++) {
      const now = new Date(start + i * 30_000);
      const rep = report(clusterId, n, i * 30);
      const figures = rep.nodes.map(nodeFigures);
      const res = await ingestHeartbeat({ tenantId: 'default', clusterId, report: rep, sample: () => toSample(now.toISOString().slice(0, 16), figures, 'k'), now, missingAfterSeconds: 90 });
      if (i < 10) continue; // the first report writes everything once
      beats++;
      w += res.writeUnits;
      r += res.readUnits;
      if (res.snapshotWritten) snapshots++;
    }
    console.log(`  ${String(n).padStart(3)} nodes: ${(w / beats).toFixed(2)} write units and ${(r / beats).toFixed(2)} read units per heartbeat; snapshot rewritten ${snapshots}×${n === 50 ? '   goal at 50 nodes ≤ 1 write unit' : ''}`);
    out[`wcuPerHeartbeat${n}`] = w / beats;
    out[`rcuPerHeartbeat${n}`] = r / beats;
  }

  console.log(`\nHealth sweep: clusters past their heartbeat deadline, from the deadline index (${HB_SHARDS} shards)`);
  const db = documentClient();
  let seeded = 0;
  for (const total of [10_000, 100_000]) {
    const now = Date.now();
    const items: Record<string, unknown>[] = [];
    for (let i = seeded; i < total; i++) {
      const stale = i % 100 === 0;
      const deadline = new Date(now + (stale ? -60_000 - (i % 1000) : 30_000 + (i % 60_000))).toISOString();
      items.push({ PutRequest: { Item: { pk: `HB#${i % HB_SHARDS}`, sk: `${deadline}#cl-sweep${i}`, tenantId: 't', clusterId: `cl-sweep${i}` } } });
    }
    for (let i = 0; i < items.length; i += 25) {
      const batch = items.slice(i, i + 25);
      let pending: Record<string, unknown> | undefined = { [tableName('telemetry')]: batch };
      while (pending && Object.keys(pending).length) pending = (await db.send(new BatchWriteCommand({ RequestItems: pending as never }))).UnprocessedItems;
    }
    seeded = total;
    const t0 = performance.now();
    const { items: stale, readUnits } = await staleClusters(new Date(now));
    const ms = performance.now() - t0;
    const expected = Math.ceil(total / 100);
    console.log(`  ${total.toLocaleString('en')} clusters, ${expected.toLocaleString('en')} stale: found ${stale.length.toLocaleString('en')} in ${ms.toFixed(0)} ms, ${stale.length.toLocaleString('en')} items read (${readUnits} read units), not ${total.toLocaleString('en')}`);
    out[`sweep${total}`] = { ms, itemsRead: stale.length, readUnits };
  }
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/heartbeat.json', JSON.stringify(out, null, 2));
} finally {
  await rt.stop();
}
