/**
 * Heartbeat budgets, printed (not asserted):
 *  - handler CPU per heartbeat at 10, 50 and 500 nodes (the real handler, in process);
 *  - DynamoDB write/read units per heartbeat in steady state, from ReturnConsumedCapacity, over
 *    two simulated hours of 30 s heartbeats at two phases in the minute; and at 50 nodes for
 *    heartbeat records standing for more minutes, next to how late each finds a silent cluster;
 *  - the health sweep's wall time and items read at 10,000 and 100,000 clusters, 1 % stale.
 * Figures go to .bench/heartbeat.json for bench/cost. Run: npm run bench:heartbeat
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { agentToken } from '../core/agent-token.js';
import { DEFAULT_HEALTH, lookaheadMs, recordedUntil } from '../core/health.js';
import { nodeFigures, toSample } from '../core/usage.js';
import { HB_SHARDS, ingestHeartbeat } from '../adapters/dynamodb/telemetry-store.js';
import { SWEEP_SCHEDULE } from '../functions/health/schedule.js';
import { lambdaContext } from '../local/lambda-context.js';
import { rateMs } from '../local/scheduler.js';
import { startRuntime } from '../local/runtime.js';
import { agentReport, benchClient, sweepDeadlineIndex } from './local-api.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// The scheduled sweep stays out of the way (a day): it would clear the stale entries seeded below.
const rt = await startRuntime({ rateLimits: false, port: 0, bootMs: 0, agentIntervalMs: 3_600_000, workflowWaitMs: 10, sweepIntervalMs: 86_400_000 });
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
      const body = JSON.stringify(agentReport(cluster.id, n, i * 30));
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
    const bytes = Buffer.byteLength(JSON.stringify(agentReport(cluster.id, n, 0)));
    console.log(`  ${String(n).padStart(3)} nodes (${(bytes / 1024).toFixed(1)} KB report): median ${median(cpu).toFixed(2)} ms CPU, p90 ${[...cpu].sort((a, b) => a - b)[Math.floor(cpu.length * 0.9)]!.toFixed(2)} ms${n === 50 ? '   goal ≤ 1 ms' : ''}`);
    out[`cpuMsMedian${n}`] = median(cpu);
  }
  await rt.lambda.settle();

  /** Two simulated hours of 30 s heartbeats of one cluster, the first at `firstSecond` past a minute: units per heartbeat after the first ten. */
  const steadyState = async (clusterId: string, n: number, firstSecond: number, recordedUntil?: (at: number) => number) => {
    const start = Date.parse('2026-11-24T00:00:00Z') + firstSecond * 1000;
    let w = 0;
    let r = 0;
    let snapshots = 0;
    let beats = 0;
    for (let i = 0; i < 2 * 120 + 10; i++) {
      const now = new Date(start + i * 30_000);
      const rep = agentReport(clusterId, n, i * 30);
      const figures = rep.nodes.map(nodeFigures);
      const res = await ingestHeartbeat({ tenantId: 'default', clusterId, report: rep, sample: () => toSample(now.toISOString().slice(0, 16), figures, 'k'), now, health: DEFAULT_HEALTH, recordedUntil });
      if (i < 10) continue; // the first report writes everything once
      beats++;
      w += res.writeUnits;
      r += res.readUnits;
      if (res.snapshotWritten) snapshots++;
    }
    return { w: w / beats, r: r / beats, snapshots };
  };

  // Where in the minute an agent's heartbeats fall is chance: measure two, 30 s apart.
  const phases = [10, 40];
  console.log(`\nDynamoDB units per heartbeat, steady state (two simulated hours of 30 s heartbeats, ReturnConsumedCapacity; mean of heartbeats at ${phases.map((p) => `:${p}`).join(' and ')} past the minute)`);
  for (const n of [10, 50, 500]) {
    const runs = [];
    for (const p of phases) runs.push(await steadyState(`cl-bench${n}-${p}`, n, p));
    const w = runs.reduce((a, x) => a + x.w, 0) / runs.length;
    const r = runs.reduce((a, x) => a + x.r, 0) / runs.length;
    console.log(`  ${String(n).padStart(3)} nodes: ${w.toFixed(2)} write units (${runs.map((x) => x.w.toFixed(2)).join(' / ')}) and ${r.toFixed(2)} read units per heartbeat; snapshot rewritten ${runs.map((x) => x.snapshots).join(' / ')}×${n === 50 ? '   goal at 50 nodes ≤ 1 write unit' : ''}`);
    out[`wcuPerHeartbeat${n}`] = w;
    out[`rcuPerHeartbeat${n}`] = r;
  }

  // What the record's length costs against how late a silent cluster is found: its deadline is
  // the threshold after the record's end; the sweep runs once a minute and reads entries up to
  // the lookahead before their deadline, waiting for them.
  const sweepSeconds = rateMs(SWEEP_SCHEDULE)! / 1000;
  const threshold = DEFAULT_HEALTH.missingAfterSeconds;
  const late = sweepSeconds - lookaheadMs(DEFAULT_HEALTH) / 1000;
  console.log(`\nHow long a recorded heartbeat stands, at 50 nodes (30 s heartbeats, ${threshold} s threshold, sweep every ${sweepSeconds} s reading ${lookaheadMs(DEFAULT_HEALTH) / 1000} s ahead): write units against the latest a silent cluster is found`);
  const variants: Record<string, { wcuPerHeartbeat: number; worstDetectionSeconds: number }> = {};
  const rules: [string, string, ((at: number) => number) | undefined, number][] = [
    ['every minute', 'to the end of its minute (at most half the threshold)', (at) => Math.min(at + (threshold / 2) * 1000, (Math.floor(at / 60_000) + 1) * 60_000), Math.min(threshold / 2, 60)],
    ['every other minute', `${(recordedUntil(0, DEFAULT_HEALTH) / 1000).toFixed(0)} s, to the end of the next minute at most (the rule)`, undefined, recordedUntil(0, DEFAULT_HEALTH) / 1000],
  ];
  for (const [key, label, until, stands] of rules) {
    const runs = [];
    for (const p of phases) runs.push(await steadyState(`cl-record-${key.replace(/ /g, '-')}-${p}`, 50, p, until));
    const w = runs.reduce((a, x) => a + x.w, 0) / runs.length;
    const worst = threshold + stands + late;
    console.log(`  ${label}: ${w.toFixed(2)} write units per heartbeat; found within ${worst} s of its last heartbeat${worst <= threshold + 120 ? '' : '   (past threshold + 2 min)'}`);
    variants[key] = { wcuPerHeartbeat: w, worstDetectionSeconds: worst };
  }
  out.recordVariants = variants;

  console.log(`\nHealth sweep: clusters past their heartbeat deadline, from the deadline index (${HB_SHARDS} shards)`);
  let seeded = 0;
  for (const total of [10_000, 100_000]) {
    const { ms, stale, others, expected, readUnits } = await sweepDeadlineIndex(total, seeded);
    seeded = total;
    console.log(`  ${total.toLocaleString('en')} clusters, ${expected.toLocaleString('en')} stale: found ${stale.toLocaleString('en')} (${others} of them the clusters above) in ${ms.toFixed(0)} ms, ${stale.toLocaleString('en')} items read (${readUnits} read units), not ${total.toLocaleString('en')}`);
    out[`sweep${total}`] = { ms, itemsRead: stale, readUnits };
  }
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/heartbeat.json', JSON.stringify(out, null, 2));
} finally {
  await rt.stop();
}
