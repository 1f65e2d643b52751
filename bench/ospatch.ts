/**
 * OS patching budget, printed (not asserted): one patch run of a 1 control-plane + 10 worker
 * cluster (maxUnavailable 2) on the local runtime — the patch-os executions' state transitions and
 * the agent commands per node patched — and the cost per cluster-month of a weekly schedule for a
 * 50-node cluster in AWS.
 * Run: npm run bench:ospatch
 */
import { startRuntime } from '../local/runtime.js';
import { benchClient } from './local-api.js';

const WORKERS = 10;
/** us-east-1 prices, 2026-11: Step Functions Standard per state transition, Scheduler per invocation, Lambda per request and GB-s. */
const PRICE = { transition: 25 / 1e6, schedulerInvocation: 1 / 1e6, lambdaRequest: 0.2 / 1e6, lambdaGbSecond: 0.0000133334 };
const WEEKS_PER_MONTH = 4.33;

const rt = await startRuntime({ port: 0, bootMs: 0, agentIntervalMs: 500, workflowWaitMs: 10 });
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
  const started = performance.now();
  const run = await client.post<{ id: string; nodes: unknown[] }>(`/v1/clusters/${cluster.id}/ospatch/run`, {});
  const exec = [...rt.workflows.executions.values()].find((e) => e.name === `${cluster.id}-${run.id}`)!;
  await exec.done;
  const wall = performance.now() - started;
  const view = await client.get<{ runs: { id: string; state: string; nodes: { status: string; packages: unknown[] }[] }[] }>(`/v1/clusters/${cluster.id}/ospatch`);
  const done = view.runs.find((r) => r.id === run.id)!;
  const commands = (await client.get<{ items: { kind: string }[] }>(`/v1/clusters/${cluster.id}/commands?limit=100`)).items.filter((c) => c.kind === 'patchNodes').length - commandsBefore;
  const nodes = done.nodes.length;
  console.log(`\nOS patch run, 1 control plane + ${WORKERS} workers (maxUnavailable 2), simulated cloud with zero delays`);
  console.log(`  run ${done.state}: ${done.nodes.filter((n) => n.status === 'patched').length} of ${nodes} nodes patched, ${done.nodes.reduce((s, n) => s + n.packages.length, 0)} package updates, in ${(wall / 1000).toFixed(2)} s`);
  console.log(`  state transitions: ${exec.transitions} (${(exec.transitions / nodes).toFixed(2)} per node patched)`);
  console.log(`  agent commands: ${commands} patchNodes (${(commands / nodes).toFixed(2)} per node; one per pool)`);

  // A weekly run of a 50-node cluster in AWS: 1 control-plane pool + 1 worker pool, 4 min a node
  // (drain, upgrade, reboot, Ready), maxUnavailable 2, the workflow looking every 60 s.
  const minutes = 1 * 4 + Math.ceil(49 / 2) * 4;
  const polls = minutes; // one look a minute while a pool's command runs
  const transitions = 3 * 3 + 2 * 3 + polls * 3; // Begin, Patch, Finish groups, one command per pool, Task-Choice-Wait per look
  const lambdaInvocations = 3 + polls;
  const perRun = transitions * PRICE.transition + PRICE.schedulerInvocation + lambdaInvocations * (PRICE.lambdaRequest + 0.512 * 0.2 * PRICE.lambdaGbSecond);
  console.log(`\nWeekly schedule, 50-node cluster (AWS, us-east-1 prices of 2026-11):`);
  console.log(`  a run takes ~${minutes} min; ${transitions} state transitions, ${lambdaInvocations} task invocations, 1 Scheduler invocation: $${perRun.toFixed(4)} per run`);
  console.log(`  $${(perRun * WEEKS_PER_MONTH).toFixed(3)} per cluster-month (${WEEKS_PER_MONTH} runs); the schedule itself costs nothing while idle`);
} finally {
  await rt.stop();
}
