/**
 * CLI budgets, printed (not asserted):
 *  - `strata get clusters` wall time, process start to exit (node bin/strata.mjs: launcher, bundle,
 *    two list calls), median of 10 runs against a local runtime with a few clusters; goal ≤ 400 ms;
 *  - beside it, a bare `node -e ''` and `strata --version` (no API call), to show where the time goes;
 *  - the size of the bundle, dist/strata.mjs.
 * Run: npm run bench:cli
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { bundleCli } from '../cli/build.js';
import { startRuntime } from '../local/runtime.js';
import { benchClient } from './local-api.js';

const RUNS = 10;
const CLUSTERS = 3;
const GOAL_MS = 400;
const BIN = resolve('bin/strata.mjs');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One process, start to exit; asynchronous, since the runtime answering it lives in this process. */
function timed(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done({ ms: performance.now() - started, stdout }) : fail(new Error(`${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

async function medianOf(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  await timed(args, env); // warm: the file cache, and a bundle that is up to date
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await timed(args, env));
  return { ms: median(runs.map((r) => r.ms)), stdout: runs[0]!.stdout };
}

const bundle = await bundleCli();
const rt = await startRuntime({ rateLimits: false, port: 0 });
try {
  const client = benchClient(rt);
  const account = await client.simAccount();
  for (let i = 0; i < CLUSTERS; i++) await client.createCluster(`bench-${i}`, account.id, 2);
  // Measured in the steady state, not while this same process is busy provisioning.
  const deadline = Date.now() + 120_000;
  while ((await client.get<{ items: { phase: string }[] }>('/v1/clusters')).items.some((c) => c.phase !== 'Running')) {
    if (Date.now() > deadline) throw new Error('the bench clusters did not reach Running within 2 minutes');
    await new Promise((r) => setTimeout(r, 250));
  }
  const env = { ...process.env, STRATA_API_URL: rt.url, STRATA_API_KEY: rt.apiKey, NO_COLOR: '1' };

  const bare = await medianOf(['-e', ''], env);
  const version = await medianOf([BIN, '--version'], env);
  const get = await medianOf([BIN, 'get', 'clusters'], env);
  const rows = get.stdout.trim().split('\n').length - 1;
  if (rows !== CLUSTERS) throw new Error(`strata get clusters listed ${rows} clusters, not ${CLUSTERS}:\n${get.stdout}`);

  console.log(`\nstrata CLI (median of ${RUNS} process runs; local runtime with ${CLUSTERS} clusters)`);
  console.log(`  strata get clusters   ${get.ms.toFixed(0).padStart(5)} ms   goal ≤ ${GOAL_MS} ms: ${get.ms <= GOAL_MS ? 'met' : 'MISSED'}`);
  console.log(`  strata --version      ${version.ms.toFixed(0).padStart(5)} ms   (launcher and bundle, no API call)`);
  console.log(`  node -e ''            ${bare.ms.toFixed(0).padStart(5)} ms   (Node.js itself)`);
  console.log(`\nBundle dist/strata.mjs: ${(bundle.bytes / 1024).toFixed(1)} KiB`);
} finally {
  await rt.stop();
}
