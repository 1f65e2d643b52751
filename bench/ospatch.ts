/**
 * OS patching budget, printed (not asserted): one patch run of a 1 control-plane + 10 worker
 * cluster (maxUnavailable 2) on the local runtime — the patch-os executions' state transitions and
 * the agent commands per node patched — and the cost per cluster-month of a weekly schedule for a
 * 50-node cluster in AWS.
 * The runtime's clock runs CLOCK_SPEED times faster than real time and every workflow Wait lasts
 * what it says on it, so the workflow looks at the agent as often as it would in AWS; a simulated
 * node takes NODE_MS of that clock to patch (twice that with a reboot), the agents report every
 * AGENT_MS of it.
 * Run: npm run bench:ospatch
 */
import { startRuntime } from '../local/runtime.js';
import { benchClient } from './local-api.js';
import { modelPatchRun } from './patch-model.js';

const WORKERS = 10;
const CLOCK_SPEED = 50;
const NODE_MS = 120_000;
const AGENT_MS = 25_000;
/** us-east-1 prices, 2026-11: Step Functions Standard per state transition, Scheduler per invocation, Lambda per request and GB-s. */
const PRICE = { transition: 25 / 1e6, schedulerInvocation: 1 / 1e6, lambdaRequest: 0.2 / 1e6, lambdaGbSecond: 0.0000133334 };
const WEEKS_PER_MONTH = 30 / 7;

const rt = await startRuntime({ rateLimits: false, port: 0, bootMs: NODE_MS, imageMs: 1000, bakeMs: 1000, agentIntervalMs: AGENT_MS / CLOCK_SPEED });
const TICK_MS = 20;
const ticking = setInterval(() => rt.clock.advance(TICK_MS * (CLOCK_SPEED - 1)), TICK_MS);
try {
  const client = benchClient(rt);
  const account = await client.simAccount();
  const cluster = await client.post<{ id: string }>('/v1/clusters', {
    name: 'patchbench',
    profileId: 'pf-sample',
    cloudAccountId: account.id,
    region: 'sim-east-1',
    nodePools: [
      { name: 'cp', role: 'controlPlane', count: 1, instanceType: 'sim.large', zones: ['sim-east-1a'] },
      { name: 'workers', role: 'worker', count: WORKERS, instanceType: 'sim.large', zones: ['sim-east-1a', 'sim-east-1b'], rollout: { maxSurge: 1, maxUnavailable: 2 } },
    ],
  });
  for (;;) {
    const c = await client.get<{ phase: string }>(`/v1/clusters/${cluster.id}`);
    if (c.phase === 'Running') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const commandsBefore = (await client.get<{ items: { kind: string }[] }>(`/v1/clusters/${cluster.id}/commands?limit=100`)).items.filter((c) => c.kind === 'patchNodes').length;
  const started = rt.clock.now();
  const run = await client.post<{ id: string; nodes: unknown[] }>(`/v1/clusters/${cluster.id}/ospatch/run`, {});
  const exec = [...rt.workflows.executions.values()].find((e) => e.name === `${cluster.id}-${run.id}`)!;
  await exec.done;
  const took = rt.clock.now() - started;
  const view = await client.get<{ runs: { id: string; state: string; nodes: { status: string; packages: unknown[] }[] }[] }>(`/v1/clusters/${cluster.id}/ospatch`);
  const done = view.runs.find((r) => r.id === run.id)!;
  const commands = (await client.get<{ items: { kind: string }[] }>(`/v1/clusters/${cluster.id}/commands?limit=100`)).items.filter((c) => c.kind === 'patchNodes').length - commandsBefore;
  const nodes = done.nodes.length;
  console.log(`\nOS patch run, 1 control plane + ${WORKERS} workers (maxUnavailable 2), ${NODE_MS / 60_000} min a node (twice that with a reboot), Waits as long as they say`);
  console.log(`  run ${done.state}: ${done.nodes.filter((n) => n.status === 'patched').length} of ${nodes} nodes patched, ${done.nodes.reduce((s, n) => s + n.packages.length, 0)} package updates, in ${(took / 60_000).toFixed(1)} min of the runtime's clock`);
  console.log(`  state transitions: ${exec.transitions} (${(exec.transitions / nodes).toFixed(2)} per node patched)`);
  console.log(`  agent commands: ${commands} patchNodes (${(commands / nodes).toFixed(2)} per node; one per pool)`);

  // A weekly run of a 50-node cluster in AWS: 1 control-plane node + 49 workers, 4 min a node
  // (drain, upgrade, reboot, Ready), maxUnavailable 2; tasks at 512 MB, ~200 ms.
  const aws = modelPatchRun([{ nodes: 1, concurrency: 1 }, { nodes: 49, concurrency: 2 }], 4);
  const perRun = aws.transitions * PRICE.transition + PRICE.schedulerInvocation + aws.tasks * (PRICE.lambdaRequest + 0.5 * 0.2 * PRICE.lambdaGbSecond);
  console.log(`\nWeekly schedule, 50-node cluster (AWS, us-east-1 prices of 2026-11):`);
  console.log(`  a run takes ~${aws.minutes} min; ${aws.transitions} state transitions (${aws.looks} looks at the agent's progress), ${aws.tasks} task invocations, 1 Scheduler invocation: $${perRun.toFixed(4)} per run`);
  console.log(`  $${(perRun * WEEKS_PER_MONTH).toFixed(4)} per cluster-month (${WEEKS_PER_MONTH.toFixed(2)} runs); the schedule itself costs nothing while idle`);
} finally {
  clearInterval(ticking);
  await rt.stop();
}
