/**
 * Fleet soak on the local runtime, printed (not asserted):
 *  - 1,000 clusters heartbeating every 30 s through the agent API, spread evenly over the period,
 *    for --minutes (default 10), while 20 clusters provision and 20 scale at once through the
 *    public API and the health sweep runs each minute: errors, heartbeat latency, sweep wall
 *    time, the runtime process's memory, and what became of the 40 changes;
 *  - then the sweep's query over 100,000 clusters in the deadline index, 1 % stale.
 * The heartbeats come from a child process, so their client work is not the runtime's.
 * Run: npm run bench:soak [-- --minutes 1] [--clusters 1000] [--nodes 50]
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MiddlewareObj, MiddyfiedHandler } from '@middy/core';
import { agentToken, INITIAL_TOKEN_STATE } from '../core/agent-token.js';
import { TAG_CLUSTER } from '../core/cloud.js';
import { checkClusterShape, CreateClusterInput, type Cluster } from '../core/clusters.js';
import { newId } from '../core/ids.js';
import { contentHashOf } from '../core/profiles.js';
import { createCluster } from '../adapters/dynamodb/clusters-store.js';
import { getProfile, getRevision } from '../adapters/dynamodb/profiles-store.js';
import { createTables, startDynamoLocal } from '../local/dynamodb-local.js';
import { startRuntime, type Runtime } from '../local/runtime.js';
import { agentReport, benchClient, sweepDeadlineIndex } from './local-api.js';

const HEARTBEAT_MS = 30_000;
/** Heartbeats in flight at most; a beat that finds them all busy waits, and its lateness is printed. */
const IN_FLIGHT = 32;
const CHANGES = 20;
const TENANT = 'default';
/** How long a change may take before it counts as not finished. */
const OUTCOME_WAIT_MS = 15 * 60_000;

interface ClientConfig {
  readonly url: string;
  readonly targets: readonly { clusterId: string; token: string }[];
  readonly nodes: number;
  readonly rounds: number;
  readonly startAt: number;
}
interface Figures {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}
type ClientMessage =
  | { type: 'ready' }
  | { type: 'round'; round: number; figures: Figures; errors: number; lateMs: number }
  | { type: 'done'; warmUp: Figures; steady: Figures; settled?: Figures; errors: Record<string, number>; samples: string[]; lateMs: number };

const figures = (ms: number[]): Figures => {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? NaN;
  return { count: s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1] ?? NaN };
};
const fmt = (f: Figures) => `p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms, max ${f.max.toFixed(0)} ms (${f.count.toLocaleString('en')} heartbeats)`;

/**
 * The agents' side, in its own process: cluster i reports at start + i/N of the period and every
 * period after, for `rounds` periods. Latency is from the request's first byte out to the answer's
 * last byte in; the report is built before the clock starts.
 */
async function heartbeatClient() {
  const send = (m: ClientMessage) => process.send!(m);
  const cfg = await new Promise<ClientConfig>((resolve) => {
    process.once('message', (m) => resolve(m as ClientConfig));
    send({ type: 'ready' });
  });
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT, scheduling: 'lifo' });
  const url = new URL('/agent/v1/heartbeat', cfg.url);
  const n = cfg.targets.length;
  const total = n * cfg.rounds;
  const spacing = HEARTBEAT_MS / n;
  const rounds = Array.from({ length: cfg.rounds }, () => ({ ms: [] as number[], done: 0, errors: 0, lateMs: 0 }));
  const errors: Record<string, number> = {};
  const samples: string[] = [];
  let next = 0;
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let finished: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));

  const finish = (round: number, status: number, ms: number, detail: string) => {
    inFlight--;
    const r = rounds[round]!;
    if (status >= 200 && status < 300) r.ms.push(ms);
    else {
      r.errors++;
      const key = status ? `HTTP ${status}` : 'no answer';
      errors[key] = (errors[key] ?? 0) + 1;
      if (samples.length < 5) samples.push(`${key}: ${detail.slice(0, 300)}`);
    }
    if (++r.done === n) send({ type: 'round', round, figures: figures(r.ms), errors: r.errors, lateMs: r.lateMs });
    if (rounds.every((x) => x.done === n)) finished();
    pump();
  };
  const beat = (b: number) => {
    const target = cfg.targets[b % n]!;
    const round = Math.floor(b / n);
    const body = JSON.stringify(agentReport(target.clusterId, cfg.nodes, (b * spacing) / 1000));
    rounds[round]!.lateMs = Math.max(rounds[round]!.lateMs, Date.now() - (cfg.startAt + b * spacing));
    inFlight++;
    const t0 = performance.now();
    const req = request(url, { method: 'POST', agent, headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(round, res.statusCode ?? 0, performance.now() - t0, Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', (err) => finish(round, 0, performance.now() - t0, err.message));
    req.end(body);
  };
  const pump = () => {
    while (next < total && inFlight < IN_FLIGHT && Date.now() >= cfg.startAt + next * spacing) beat(next++);
    clearTimeout(timer);
    if (next < total && inFlight < IN_FLIGHT) timer = setTimeout(pump, Math.max(0, cfg.startAt + next * spacing - Date.now()));
  };
  pump();
  await allDone;
  const steady = rounds.slice(1).flatMap((r) => r.ms);
  agent.destroy();
  // The second period still carries the first one's backlog (every cluster's first report at once): also without it.
  const settled = cfg.rounds > 2 ? figures(rounds.slice(2).flatMap((r) => r.ms)) : undefined;
  const last: ClientMessage = { type: 'done', warmUp: figures(rounds[0]!.ms), steady: figures(steady), settled, errors, samples, lateMs: Math.max(...rounds.map((r) => r.lateMs)) };
  process.send!(last, () => process.disconnect());
}

/** Errors the runtime logs (a handler's logger.error, a failed scheduled run or async invoke), counted as they are written. */
function countLoggedErrors() {
  const counted = { errors: 0, warnings: 0, samples: [] as string[] };
  const note = (line: string) => counted.samples.length < 5 && counted.samples.push(line.slice(0, 300));
  const consoleError = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    counted.errors++;
    note(args.map(String).join(' '));
    consoleError(...args);
  };
  // Handlers log through Powertools, whose own Console writes JSON lines to the process's streams.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = String(chunk);
      if (/"level":"(ERROR|CRITICAL)"/.test(text)) {
        counted.errors++;
        note(text);
      } else if (text.includes('"level":"WARN"')) counted.warnings++;
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
  return counted;
}

async function soak() {
  const { values: args } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, clusters: { type: 'string', default: '1000' }, nodes: { type: 'string', default: '50' } } });
  const minutes = Number(args.minutes);
  const fleet = Number(args.clusters);
  const nodes = Number(args.nodes);
  if (!(minutes > 0) || !(fleet > 0) || !(nodes >= 3)) throw new Error('--minutes > 0, --clusters > 0 and --nodes ≥ 3, please');
  const rounds = Math.max(2, Math.round((minutes * 60_000) / HEARTBEAT_MS));

  // Our own DynamoDB Local, so the index measurement after the soak can use fresh tables in it.
  const dynamo = await startDynamoLocal();
  try {
    await fleetSoak(dynamo.endpoint, { rounds, fleet, nodes });
    // The deadline index of a large fleet, on fresh tables in the same DynamoDB Local (nothing sweeps them).
    Object.assign(process.env, await createTables(dynamo.endpoint, 'strata-index-'));
    const total = 100_000;
    const r = await sweepDeadlineIndex(total);
    console.log(`\nHealth sweep's query: ${total.toLocaleString('en')} clusters in the deadline index, ${r.expected.toLocaleString('en')} stale`);
    console.log(`  ${r.stale.toLocaleString('en')} items read (${r.readUnits} read units) in ${r.ms.toFixed(0)} ms, not ${total.toLocaleString('en')}`);
  } finally {
    await dynamo.stop();
  }
}

async function fleetSoak(dynamoEndpoint: string, { rounds, fleet, nodes }: { rounds: number; fleet: number; nodes: number }) {
  // A forced collection before each memory figure, so heap figures compare live data, not garbage.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  const memory = (collect: boolean) => {
    if (collect) gc();
    const m = process.memoryUsage();
    return { rss: m.rss, heap: m.heapUsed, text: `RSS ${mb(m.rss)}, heap ${mb(m.heapUsed)}` };
  };
  const logged = countLoggedErrors();
  const errors: string[] = [];

  const rt = await startRuntime({ rateLimits: false, port: 0, dynamoEndpoint, agentIntervalMs: HEARTBEAT_MS, sweepIntervalMs: 60_000 });
  let client: ReturnType<typeof fork> | undefined;
  try {
    const atStart = memory(true);
    const sweeps = await watchSweeps();
    const api = benchClient(rt);
    const call = async <T>(what: string, method: string, path: string, body?: unknown): Promise<T | undefined> => {
      const res = await fetch(`${rt.url}${path}`, { method, headers: api.headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      if (res.ok) return JSON.parse(text) as T;
      errors.push(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
      return undefined;
    };
    const post = await call<unknown>('vCPU quota', 'POST', '/local/faults', { quota: { region: 'sim-east-1', vcpus: 4096 } });
    const account = await call<{ id: string }>('cloud account', 'POST', '/v1/cloudaccounts', { name: 'sim', spec: { type: 'local' } });
    if (!post || !account) throw new Error(errors.join('\n'));
    const spec = (name: string, workers: number) => ({
      name,
      profileId: 'pf-sample',
      cloudAccountId: account.id,
      region: 'sim-east-1',
      nodePools: [
        { name: 'cp', role: 'controlPlane', count: 1, instanceType: 'sim.large', zones: ['sim-east-1a'] },
        { name: 'workers', role: 'worker', count: workers, instanceType: 'sim.large', zones: ['sim-east-1a', 'sim-east-1b'] },
      ],
    });

    console.log(`\nSetup: ${CHANGES} clusters to scale later, through the API and the simulated cloud; ${fleet.toLocaleString('en')} reporting clusters through the store`);
    let t0 = performance.now();
    const toScale: string[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const c = await call<{ id: string }>('create (setup)', 'POST', '/v1/clusters', spec(`scale-${i}`, 1));
      if (c) toScale.push(c.id);
    }
    const setup = await Promise.all(toScale.map((id) => outcome(rt, id, 1, 2)));
    if (setup.some((o) => !o.ok)) throw new Error(`setup clusters did not provision: ${setup.filter((o) => !o.ok).map((o) => o.detail).join('; ')}`);
    console.log(`  ${CHANGES} clusters provisioned in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // The reporting fleet: cluster items as POST /v1/clusters writes them (the same store transaction),
    // already Running, with no instances behind them: their agents are the child process.
    t0 = performance.now();
    const reporting = await seedClusters(account.id, fleet, nodes);
    console.log(`  ${fleet.toLocaleString('en')} clusters of ${nodes} nodes written with createCluster in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const secret = process.env.PLATFORM_SECRET!;
    const targets = reporting.map((clusterId) => ({ clusterId, token: agentToken(secret, TENANT, clusterId) }));
    const beforeLoad = memory(true);

    // What the 20 scaled clusters are now, read before the changes so that all 40 go out at once.
    const current = await Promise.all(toScale.map((id) => call<{ id: string; version: number; nodePools: { role: string; count: number }[] }>('read (setup)', 'GET', `/v1/clusters/${id}`)));

    client = fork(fileURLToPath(import.meta.url), ['--heartbeat-client'], { stdio: 'inherit' });
    const messages: ClientMessage[] = [];
    const waiters: (() => void)[] = [];
    let exited: number | null | undefined;
    const wake = () => waiters.splice(0).forEach((w) => w());
    client.on('message', (m) => {
      messages.push(m as ClientMessage);
      wake();
    });
    client.on('close', (code) => {
      exited = code;
      wake();
    });
    const next = async <T extends ClientMessage['type']>(type: T): Promise<Extract<ClientMessage, { type: T }>> => {
      for (;;) {
        const i = messages.findIndex((m) => m.type === type);
        if (i >= 0) return messages.splice(i, 1)[0] as Extract<ClientMessage, { type: T }>;
        if (exited !== undefined) throw new Error(`the heartbeat client exited (${exited}) before its ${type} message`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    await next('ready');
    const startAt = Date.now() + 1000;
    client.send({ url: rt.url, targets, nodes, rounds, startAt } satisfies ClientConfig);
    console.log(`\nSoak: ${fleet.toLocaleString('en')} clusters × ${nodes} nodes, a heartbeat each every ${HEARTBEAT_MS / 1000} s, ${rounds} periods (${(rounds * HEARTBEAT_MS) / 60_000} min; the first is warm-up), at most ${IN_FLIGHT} in flight`);
    console.log('  period   heartbeats   p50 ms   p99 ms   max ms   errors   latest send   runtime CPU   load   runtime memory');

    let cpu = { at: performance.now(), used: process.cpuUsage() };
    const period = (m: Extract<ClientMessage, { type: 'round' }>, collect: boolean) => {
      const used = process.cpuUsage(cpu.used);
      const share = (used.user + used.system) / 1000 / (performance.now() - cpu.at);
      cpu = { at: performance.now(), used: process.cpuUsage() };
      return printPeriod(m, share, memory(collect));
    };
    const afterWarmUp = period(await next('round'), true);
    // Warm-up done: every cluster has reported once. Now the 40 changes, all at once.
    const changesAt = performance.now();
    const changed = await Promise.all([
      ...Array.from({ length: CHANGES }, async (_, i) => {
        const c = await call<{ id: string }>('create', 'POST', '/v1/clusters', spec(`new-${i}`, 2));
        return c ? { kind: 'provision' as const, id: c.id, generation: 1, nodes: 3 } : undefined;
      }),
      ...current.map(async (c) => {
        if (!c) return undefined;
        const nodePools = c.nodePools.map((p) => (p.role === 'worker' ? { ...p, count: 3 } : p));
        const put = await call<{ generation: number }>('scale', 'PUT', `/v1/clusters/${c.id}`, { version: c.version, nodePools });
        return put ? { kind: 'scale' as const, id: c.id, generation: put.generation, nodes: 4 } : undefined;
      }),
    ]);
    const outcomes = Promise.all(changed.flatMap((c) => (c ? [outcome(rt, c.id, c.generation, c.nodes, changesAt).then((o) => ({ ...c, ...o }))] : [])));

    for (let r = 1; r < rounds; r++) period(await next('round'), false);
    const done = await next('done');
    const atEnd = memory(true);
    const soakMs = rounds * HEARTBEAT_MS;
    console.log(`  (latest send: how long after its slot a heartbeat of the period went out, at most; runtime CPU: this process, share of one core; load: the machine's 1-minute load average on ${cpus().length} CPUs; memory as it stands, after a forced collection on the first line only)`);

    const results = await outcomes;
    await rt.lambda.settle();
    const inSoak = sweeps.runs.filter((s) => s.at >= startAt && s.at <= startAt + soakMs);

    const heartbeatErrors = Object.values(done.errors).reduce((a, b) => a + b, 0);
    const failed = results.filter((r) => !r.ok);
    const total = heartbeatErrors + errors.length + failed.length + logged.errors + sweeps.failed;
    console.log(`\nErrors: ${total}   goal 0`);
    console.log(`  heartbeats answered other than 2xx: ${heartbeatErrors}${heartbeatErrors ? ` (${Object.entries(done.errors).map(([k, v]) => `${k} ×${v}`).join(', ')})` : ''}`);
    for (const s of done.samples) console.log(`    ${s}`);
    console.log(`  API answers other than 2xx: ${errors.length}`);
    for (const e of errors.slice(0, 5)) console.log(`    ${e}`);
    console.log(`  workflows that failed or did not finish: ${failed.length}`);
    for (const f of failed.slice(0, 5)) console.log(`    ${f.kind} ${f.id}: ${f.detail}`);
    console.log(`  errors the runtime logged: ${logged.errors} (warnings: ${logged.warnings}); sweeps that threw: ${sweeps.failed}`);
    for (const s of logged.samples) console.log(`    ${s}`);

    console.log(`\nHeartbeat latency through the agent API (child process → local runtime → DynamoDB Local)`);
    console.log(`  warm-up (first period, every cluster's first report): ${fmt(done.warmUp)}`);
    console.log(`  steady state: ${fmt(done.steady)}`);
    if (done.settled) console.log(`  from the second minute on (periods 3–${rounds}): ${fmt(done.settled)}`);
    console.log(`  latest send after its slot: ${done.lateMs} ms`);

    const ms = inSoak.map((s) => s.ms).sort((a, b) => a - b);
    console.log(`\nHealth sweep (each minute, timed around the sweep handler): ${inSoak.length} runs during the soak`);
    if (ms.length) console.log(`  wall time median ${ms[Math.floor(ms.length / 2)]!.toFixed(0)} ms, max ${ms[ms.length - 1]!.toFixed(0)} ms; clusters past their deadline per run: ${inSoak.map((s) => s.stale).join(', ')}`);

    console.log(`\nRuntime process memory (after a forced collection)`);
    console.log(`  at start (runtime up, no clusters): ${atStart.text}`);
    console.log(`  before the load (${CHANGES + fleet} clusters): ${beforeLoad.text}`);
    console.log(`  after warm-up: ${afterWarmUp.text}`);
    console.log(`  at the end: ${atEnd.text}   growth past warm-up: RSS ${mb(atEnd.rss - afterWarmUp.rss)}, heap ${mb(atEnd.heap - afterWarmUp.heap)}`);

    console.log(`\n${CHANGES} clusters provisioning and ${CHANGES} scaling 1 → 3 workers, sent at once after warm-up`);
    for (const kind of ['provision', 'scale'] as const) {
      const of = results.filter((r) => r.kind === kind);
      const ok = of.filter((r) => r.ok);
      const secs = ok.map((r) => r.seconds).sort((a, b) => a - b);
      console.log(`  ${kind}: ${ok.length}/${CHANGES} Running with ${kind === 'provision' ? 3 : 4} nodes${secs.length ? `, finished after ${secs[0]!.toFixed(1)}–${secs[secs.length - 1]!.toFixed(1)} s (median ${secs[Math.floor(secs.length / 2)]!.toFixed(1)} s)` : ''}`);
    }
  } finally {
    client?.kill();
    await rt.stop();
  }
}

function printPeriod(m: Extract<ClientMessage, { type: 'round' }>, cpuShare: number, mem: { text: string; rss: number; heap: number }) {
  const f = m.figures;
  console.log(
    `  ${String(m.round + 1).padStart(6)}   ${String(f.count + m.errors).padStart(10)}   ${f.p50.toFixed(1).padStart(6)}   ${f.p99.toFixed(1).padStart(6)}   ${f.max.toFixed(0).padStart(6)}   ${String(m.errors).padStart(6)}   ${`${m.lateMs} ms`.padStart(11)}   ${`${(cpuShare * 100).toFixed(0)} %`.padStart(11)}   ${loadavg()[0]!.toFixed(1).padStart(4)}   ${mem.text}${m.round === 0 ? ' (warm-up; collected)' : ''}`,
  );
  return mem;
}

/** Times each run of the health sweep the runtime's scheduler makes, with a middleware on its handler. */
async function watchSweeps() {
  const state = { runs: [] as { at: number; ms: number; stale: number }[], failed: 0 };
  const started = new WeakMap<object, { at: number; t: number }>();
  const { handler } = await import('../functions/health/sweep.js');
  const timing: MiddlewareObj<unknown, { stale: number }> = {
      before: (request) => void started.set(request, { at: Date.now(), t: performance.now() }),
    after: (request) => {
      const s = started.get(request)!;
      state.runs.push({ at: s.at, ms: performance.now() - s.t, stale: request.response?.stale ?? 0 });
    },
    onError: () => void state.failed++,
  };
  (handler as unknown as MiddyfiedHandler<unknown, { stale: number }>).use(timing);
  return state;
}

/**
 * The reporting fleet's cluster items, written as POST /v1/clusters writes them (createCluster: the
 * item, its name lock, the reference counts, its revision history), one at a time: they share the
 * profile's and account's counters. Running, as if provisioned: nothing else runs for them.
 */
async function seedClusters(cloudAccountId: string, count: number, nodes: number): Promise<string[]> {
  const profile = await getProfile(TENANT, 'pf-sample');
  const revision = await getRevision(TENANT, profile.id, profile.latestRevision);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const input = CreateClusterInput.parse({
      name: `fleet-${i}`,
      profileId: profile.id,
      cloudAccountId,
      region: 'sim-east-1',
      nodePools: [
        { name: 'cp', role: 'controlPlane', count: 3, instanceType: 'sim.large', zones: ['sim-east-1a', 'sim-east-1b', 'sim-east-1c'] },
        { name: 'workers', role: 'worker', count: nodes - 3, instanceType: 'sim.large', zones: ['sim-east-1a', 'sim-east-1b', 'sim-east-1c'] },
      ],
    });
    checkClusterShape(input, 'local', revision.layers);
    const now = new Date().toISOString();
    const cluster: Cluster = {
      id: newId('cl'),
      ...input,
      profileRevision: revision.revision,
      revisionHash: contentHashOf(revision),
      cloud: 'local',
      phase: 'Running',
      agentToken: INITIAL_TOKEN_STATE,
      generation: 1,
      version: 1,
      createdAt: now,
      updatedAt: now,
      status: { observedGeneration: 1 },
    };
    await createCluster(TENANT, cluster);
    ids.push(cluster.id);
  }
  return ids;
}

/**
 * What became of a cluster's generation: its workflow execution succeeded, the cluster is Running
 * with that generation observed, and the simulated cloud runs the planned number of nodes.
 */
async function outcome(rt: Runtime, clusterId: string, generation: number, nodes: number, since = performance.now()) {
  const name = `${clusterId}-g${generation}`;
  const exec = [...rt.workflows.executions.values()].find((e) => e.name === name);
  if (!exec) return { ok: false, seconds: NaN, detail: `no execution ${name}` };
  await Promise.race([exec.done, new Promise((resolve) => setTimeout(resolve, OUTCOME_WAIT_MS).unref())]);
  const seconds = (performance.now() - since) / 1000;
  const res = await fetch(`${rt.url}/v1/clusters/${clusterId}`, { headers: benchClient(rt).headers });
  const c = (await res.json()) as { phase?: string; status?: { observedGeneration?: number } };
  const running = [...rt.cloud.instances.values()].filter((i) => i.tags[TAG_CLUSTER] === clusterId && i.state === 'running').length;
  const ok = exec.status === 'SUCCEEDED' && res.ok && c.phase === 'Running' && c.status?.observedGeneration === generation && running === nodes;
  return { ok, seconds, detail: `${exec.status}${exec.error ? ` (${exec.error})` : ''}, phase ${c.phase}, observed generation ${c.status?.observedGeneration}, ${running}/${nodes} nodes running` };
}

if (process.argv.includes('--heartbeat-client')) await heartbeatClient();
else await soak();
