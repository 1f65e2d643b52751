/**
 * What a cluster stuck for a day costs in Step Functions state transitions, printed (not asserted):
 * a cluster whose every launch fails with a retryable error (InsufficientInstanceCapacity), run on
 * the local runtime's clock through 24 simulated hours — the real ASL, the real backoff, continuing
 * as new executions as it goes. Budget: at most 300 transitions per stuck cluster-day.
 * Run: npm run bench:stuck
 */
import { startRuntime } from '../local/runtime.js';
import { benchClient } from './local-api.js';

const DAY_MS = 24 * 3600_000;
const STEP_MS = 30_000;
const PRICE_PER_TRANSITION = 0.000025; // Standard workflows, us-east-1

process.env.LOG_LEVEL ??= 'ERROR'; // the step's backoff warnings, once a loop, are not the figures
const rt = await startRuntime({ rateLimits: false, port: 0, bootMs: 0, agentIntervalMs: 3_600_000 }); // waits last what they say
try {
  const client = benchClient(rt);
  const account = await client.simAccount();
  await client.post('/local/faults', { operation: 'RunInstances', error: 'InsufficientInstanceCapacity', rate: 1 });
  const cluster = await client.createCluster('stuck', account.id, 2);
  const executions = () => [...rt.workflows.executions.values()].filter((e) => e.name.startsWith(cluster.id));
  /** Every execution of the cluster is waiting for a time still ahead (or has ended). */
  const idle = () => executions().every((e) => e.status !== 'RUNNING' || e.dueAt > rt.clock.now());
  const settle = async () => {
    for (let i = 0; i < 2000 && !idle(); i++) await new Promise((r) => setTimeout(r, 2));
  };

  const started = performance.now();
  await settle();
  const start = rt.clock.now();
  const hourly: number[] = [];
  while (rt.clock.now() - start < DAY_MS) {
    rt.clock.advance(STEP_MS);
    await settle();
    const hour = Math.floor((rt.clock.now() - start) / 3600_000);
    hourly[hour] = executions().reduce((n, e) => n + e.transitions, 0);
  }
  const transitions = executions().reduce((n, e) => n + e.transitions, 0);
  const conditions = (await client.get<{ items: { type: string; attempts: number; message: string }[] }>(`/v1/clusters/${cluster.id}/conditions`)).items;
  const stuck = conditions.find((c) => c.type === 'ControlPlaneNodeAdded/stuck-cp-0')!;
  console.log(`A cluster stuck for a simulated day (every launch refused: InsufficientInstanceCapacity), ${((performance.now() - started) / 1000).toFixed(1)} s real:`);
  console.log(`  state transitions: ${transitions} (first hour ${hourly[0]}, then ${((transitions - hourly[0]!) / 23).toFixed(1)} an hour)   budget ≤ 300 a day`);
  console.log(`  launch attempts: ${stuck.attempts}; executions: ${executions().length} (${executions().map((e) => e.name.replace(cluster.id, '<id>')).join(', ')})`);
  console.log(`  cost: $${(transitions * PRICE_PER_TRANSITION).toFixed(4)} a stuck cluster-day, $${(transitions * PRICE_PER_TRANSITION * 30).toFixed(3)} a month`);
  console.log(`  condition now: ${stuck.message}`);
} finally {
  await rt.stop();
}
