/**
 * API budgets, printed (not asserted):
 *  - local GET /v1/clusters/{id}: median latency (sequential) and requests per second at concurrency 16;
 *  - each handler bundle's import time (esbuild, as the CDK bundles it) next to a bare `node -e ''`.
 * Run: npm run bench:api
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { AUTHORIZER_ENTRY, ROUTES, handlerEntry } from '../functions/api/routes.js';
import { startRuntime } from '../local/runtime.js';
import { benchClient } from './local-api.js';

const SEQUENTIAL = 500;
const CONCURRENCY = 16;
const LOAD_SECONDS = 5;
const SPAWNS = 9;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

async function latencyAndThroughput() {
  const rt = await startRuntime({ port: 0 });
  try {
    const client = benchClient(rt);
    const auth = client.headers;
    const account = await client.simAccount();
    const cluster = await client.createCluster('bench', account.id, 3);
    const url = `${rt.url}/v1/clusters/${cluster.id}`;
    const get = async () => {
      const res = await fetch(url, { headers: auth });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET answered ${res.status}`);
    };
    for (let i = 0; i < 50; i++) await get(); // warm: handler loaded, connections open

    const times: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t = performance.now();
      await get();
      times.push(performance.now() - t);
    }

    let done = 0;
    const until = performance.now() + LOAD_SECONDS * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < until) {
          await get();
          done++;
        }
      }),
    );
    const rps = done / ((performance.now() - started) / 1000);
    return { median: pct(times, 50), p95: pct(times, 95), p99: pct(times, 99), rps, done };
  } finally {
    await rt.stop();
  }
}

function spawnMedian(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < SPAWNS; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: 'pipe', env: { ...process.env, AWS_REGION: 'us-east-1' } });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr.toString()}`);
    times.push(performance.now() - t);
  }
  return pct(times, 50);
}

async function bundleImports() {
  const outDir = resolve('.bench/bundles');
  mkdirSync(outDir, { recursive: true });
  const entries: { name: string; entry: string }[] = [...new Set(ROUTES.map((r) => r.handler))].map((h) => ({ name: h, entry: handlerEntry(h) }));
  entries.push({ name: 'authorizer', entry: AUTHORIZER_ENTRY });
  const bare = spawnMedian(['--input-type=module', '-e', '']);
  const rows = [];
  for (const { name, entry } of entries) {
    const outfile = join(outDir, `${name}.mjs`);
    await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      sourcemap: false,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      outfile,
      banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
      logLevel: 'silent',
    });
    const total = spawnMedian(['--input-type=module', '-e', `await import(${JSON.stringify(outfile)})`]);
    rows.push({ name, kib: statSync(outfile).size / 1024, total, imports: total - bare });
  }
  return { bare, rows };
}

const api = await latencyAndThroughput();
console.log('\nGET /v1/clusters/{id} (local runtime, DynamoDB Local, authorizer on every request)');
console.log(`  median ${api.median.toFixed(2)} ms   p95 ${api.p95.toFixed(2)} ms   p99 ${api.p99.toFixed(2)} ms   (${SEQUENTIAL} sequential)`);
console.log(`  ${api.rps.toFixed(0)} requests/s at concurrency ${CONCURRENCY} (${api.done} requests in ${LOAD_SECONDS} s)`);

const imports = await bundleImports();
console.log(`\nHandler bundle import time (median of ${SPAWNS} process starts; bare \`node -e ''\` = ${imports.bare.toFixed(1)} ms)`);
console.log('  handler         bundle KiB   process ms   import ms (minus bare node)');
for (const r of imports.rows) {
  console.log(`  ${r.name.padEnd(15)} ${r.kib.toFixed(0).padStart(10)}   ${r.total.toFixed(1).padStart(10)}   ${r.imports.toFixed(1).padStart(9)}`);
}
