/**
 * API budgets, printed (not asserted):
 *  - local GET /v1/clusters/{id}: median latency (sequential), the DynamoDB reads each request makes,
 *    and requests per second at concurrency 16 next to a bare DynamoDB Local GetItem loop at the same
 *    concurrency in the same run (the cluster Running, its agents stopped, so nothing else reads),
 *    sent from node:http keep-alive sockets in this process (and, for comparison, from fetch);
 *  - each Lambda bundle's import time (esbuild with the CDK's options) next to a bare `node -e ''`:
 *    every API handler, the authorizer and the agent API.
 * Run: npm run bench:api
 */
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { AUTHORIZER_ENTRY, ROUTES, handlerEntry } from '../functions/api/routes.js';
import { AGENT_API_ENTRY } from '../functions/agent/routes.js';
import { documentClient } from '../adapters/dynamodb/client.js';
import { table, tenantPk } from '../adapters/dynamodb/definitions.js';
import { BUNDLE_SPLITTING, bundleOptions } from '../lib/strata-function.js';
import { startRuntime } from '../local/runtime.js';
import { benchClient } from './local-api.js';

const SEQUENTIAL = 500;
const CONCURRENCY = 16;
const LOAD_SECONDS = 5;
const SPAWNS = 9;
/** DynamoDB's read operations, as the SDK names their commands (plain and document client). */
const READ_COMMANDS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand', 'TransactGetItemsCommand', 'GetCommand', 'BatchGetCommand', 'TransactGetCommand']);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

/** Run `op` from CONCURRENCY loops for LOAD_SECONDS; how many it completed a second. */
async function perSecond(op: () => Promise<void>): Promise<{ rate: number; done: number }> {
  let done = 0;
  const started = performance.now();
  const until = started + LOAD_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        await op();
        done++;
      }
    }),
  );
  return { rate: done / ((performance.now() - started) / 1000), done };
}

async function latencyAndThroughput() {
  const rt = await startRuntime({ rateLimits: false, port: 0 });
  try {
    const client = benchClient(rt);
    const auth = client.headers;
    const account = await client.simAccount();
    const cluster = await client.createCluster('bench', account.id, 3);
    const url = `${rt.url}/v1/clusters/${cluster.id}`;
    for (let until = Date.now() + 120_000; (await client.get<{ phase: string }>(`/v1/clusters/${cluster.id}`)).phase !== 'Running'; ) {
      if (Date.now() > until) throw new Error('the bench cluster did not reach Running in 2 minutes');
      await new Promise((r) => setTimeout(r, 200));
    }
    // From here on only the bench reads: no heartbeats, no workflow running.
    rt.agents.stop();

    // Every DynamoDB read of this process: the handlers run in it and share this client.
    const db = documentClient();
    let reads = 0;
    db.middlewareStack.add(
      (next, context) => async (args) => {
        if (READ_COMMANDS.has(context.commandName ?? '')) reads++;
        return next(args);
      },
      { step: 'initialize', name: 'benchReadCounter' },
    );

    // node:http with keep-alive sockets: the load runs in the process it measures, and fetch would
    // spend about a third more of that process's CPU per request on the client's side.
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const target = new URL(url);
    const get = () =>
      new Promise<void>((resolve, reject) => {
        request({ host: target.hostname, port: target.port, path: target.pathname, headers: auth, agent }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`GET answered ${res.statusCode}`))));
        })
          .on('error', reject)
          .end();
      });
    const viaFetch = async () => {
      const res = await fetch(url, { headers: auth });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET answered ${res.status}`);
    };
    for (let i = 0; i < 50; i++) await get(); // warm: handler loaded, connections open

    const times: number[] = [];
    const readsBefore = reads;
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t = performance.now();
      await get();
      times.push(performance.now() - t);
    }
    const readsPerRequest = (reads - readsBefore) / SEQUENTIAL;

    // The same item the handler reads, as a bare GetItem through the same client.
    const key = { pk: tenantPk('default'), sk: `CLUSTER#${cluster.id}` };
    const bareGet = async () => {
      const res = await db.send(new GetCommand({ TableName: table(), Key: key }));
      if (!res.Item) throw new Error('bare GetItem found no cluster');
    };
    for (let i = 0; i < 50; i++) await bareGet();
    const bare = await perSecond(bareGet);
    const api = await perSecond(get);
    const fetched = await perSecond(viaFetch);
    const bareAgain = await perSecond(bareGet);
    const bareRate = (bare.rate + bareAgain.rate) / 2;
    agent.destroy();
    return { median: pct(times, 50), p95: pct(times, 95), p99: pct(times, 99), readsPerRequest, rps: api.rate, done: api.done, fetchRps: fetched.rate, bareRate, bare: [bare.rate, bareAgain.rate] };
  } finally {
    await rt.stop();
  }
}

/**
 * Median wall time of a process that imports `file` (none: a bare start), and of the CPU time it
 * used, which other work on a busy machine does not inflate.
 */
function spawnMedian(file?: string): { wall: number; cpu: number } {
  const times: number[] = [];
  const cpus: number[] = [];
  const code = `${file ? `await import(${JSON.stringify(file)});` : ''} const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));`;
  for (let i = 0; i < SPAWNS; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { stdio: 'pipe', env: { ...process.env, AWS_REGION: 'us-east-1' } });
    if (r.status !== 0) throw new Error(`importing ${file ?? 'nothing'} failed: ${r.stderr.toString()}`);
    times.push(performance.now() - t);
    cpus.push(Number(r.stdout.toString().trim().split('\n').pop()));
  }
  return { wall: pct(times, 50), cpu: pct(cpus, 50) };
}

async function bundleImports() {
  const outDir = resolve('.bench/bundles');
  const entries: { name: string; entry: string }[] = [...new Set(ROUTES.map((r) => r.handler))].map((h) => ({ name: h, entry: handlerEntry(h) }));
  entries.push({ name: 'authorizer', entry: AUTHORIZER_ENTRY }, { name: 'agent-api', entry: AGENT_API_ENTRY });
  const bare = spawnMedian();
  const rows = [];
  for (const { name, entry } of entries) {
    const dir = join(outDir, name);
    rmSync(dir, { recursive: true, force: true });
    await build(bundleOptions(entry, dir));
    const outfile = join(dir, `${BUNDLE_SPLITTING.entryNames}${BUNDLE_SPLITTING.outExtension}`);
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    const kib = files.reduce((sum, f) => sum + statSync(join(f.parentPath, f.name)).size, 0) / 1024;
    const run = spawnMedian(outfile);
    rows.push({ name, kib, total: run.wall, imports: run.wall - bare.wall, cpu: run.cpu - bare.cpu });
  }
  return { bare, rows };
}

const api = await latencyAndThroughput();
console.log('\nGET /v1/clusters/{id} (local runtime, DynamoDB Local, authorizer decision cached per key as on API Gateway)');
console.log(`  median ${api.median.toFixed(2)} ms   p95 ${api.p95.toFixed(2)} ms   p99 ${api.p99.toFixed(2)} ms   (${SEQUENTIAL} sequential)`);
console.log(`  ${api.readsPerRequest.toFixed(2)} DynamoDB reads per request`);
console.log(`  ${api.rps.toFixed(0)} requests/s at concurrency ${CONCURRENCY} (${api.done} requests in ${LOAD_SECONDS} s)`);
console.log(`  bare GetItem loop, same concurrency: ${api.bareRate.toFixed(0)} reads/s (before ${api.bare[0]!.toFixed(0)}, after ${api.bare[1]!.toFixed(0)})`);
console.log(`  API requests/s ÷ bare reads/s: ${(api.rps / api.bareRate).toFixed(2)}`);
console.log(`  (the same load sent with fetch: ${api.fetchRps.toFixed(0)} requests/s, ${(api.fetchRps / api.bareRate).toFixed(2)} of the bare reads: the client's own CPU is in the measured process)`);

const imports = await bundleImports();
console.log(`\nBundle import time (median of ${SPAWNS} process starts; bare \`node -e ''\` = ${imports.bare.wall.toFixed(1)} ms, ${imports.bare.cpu.toFixed(1)} ms CPU)`);
console.log('  function        bundle KiB (all chunks)   process ms   import ms (minus bare node)   import CPU ms (minus bare node)');
for (const r of imports.rows) {
  console.log(`  ${r.name.padEnd(15)} ${r.kib.toFixed(0).padStart(23)}   ${r.total.toFixed(1).padStart(10)}   ${r.imports.toFixed(1).padStart(9)}   ${r.cpu.toFixed(1).padStart(29)}`);
}
