/**
 * Provisioning budget, printed (not asserted): a 1 control-plane + 2 worker cluster on the
 * simulated cloud with zero simulated delays — wall time from POST to Running, and the Step
 * Functions state transitions it took (what Standard workflows are billed by).
 * Run: npm run bench:provision
 */
import { startRuntime } from '../local/runtime.js';
import { benchClient } from './local-api.js';

const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rt = await startRuntime({ rateLimits: false, port: 0, bootMs: 0, agentIntervalMs: 1000, workflowWaitMs: 10 });
try {
  const client = benchClient(rt);
  const account = await client.simAccount();

  const walls: number[] = [];
  const transitions: number[] = [];
  const cloudCalls: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const callsBefore = rt.cloud.calls;
    const started = performance.now();
    const cluster = await client.createCluster(`bench-${run}`, account.id, 2);
    const exec = [...rt.workflows.executions.values()].find((e) => e.name.startsWith(cluster.id))!;
    await exec.done;
    const wall = performance.now() - started;
    const { phase } = await client.get<{ phase: string }>(`/v1/clusters/${cluster.id}`);
    if (phase !== 'Running' || exec.status !== 'SUCCEEDED') throw new Error(`run ${run}: ${phase} / ${exec.status}`);
    walls.push(wall);
    transitions.push(exec.transitions);
    cloudCalls.push(rt.cloud.calls - callsBefore);
  }
  console.log(`\nProvision 1 control-plane + 2 workers, simulated cloud with zero delays (${RUNS} runs)`);
  console.log(`  wall time POST → Running: median ${(median(walls) / 1000).toFixed(2)} s  (min ${(Math.min(...walls) / 1000).toFixed(2)}, max ${(Math.max(...walls) / 1000).toFixed(2)})   goal ≤ 3 s`);
  console.log(`  state transitions: median ${median(transitions)}  (min ${Math.min(...transitions)}, max ${Math.max(...transitions)})   goal ≤ 100`);
  console.log(`  cloud API calls: median ${median(cloudCalls)}`);
  console.log(`  Step Functions Standard cost at $25 per million transitions: $${((median(transitions) * 25) / 1e6).toFixed(5)} per cluster provisioned`);
} finally {
  await rt.stop();
}
