/**
 * Web console budgets, printed (not asserted):
 *  - the bundle a browser downloads (console/dist), gzip, against 250 KB;
 *  - navigation → clusters list rendered (the app's `clusters-rendered` mark: every cluster with its
 *    health), on the local runtime with CLUSTERS clusters, in Chromium: a first visit (empty cache)
 *    and repeat visits; against 1 s.
 * Run: npm run bench:console
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CONSOLE_DIR, prepareConsole } from '../local/console.js';
import { startRuntime } from '../local/runtime.js';
import { benchClient } from './local-api.js';

const BUNDLE_BUDGET_KB = 250;
const RENDER_BUDGET_MS = 1000;
const CLUSTERS = 12;
const REPEATS = 9;
const LAUNCH = { executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

function bundleSize() {
  const dist = join(CONSOLE_DIR, 'dist');
  return files(dist)
    .map((path) => {
      const raw = readFileSync(path);
      return { file: relative(dist, path), raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length };
    })
    .sort((a, b) => b.gzip - a.gzip);
}

async function renderTimes() {
  const rt = await startRuntime({ rateLimits: false, port: 0, bootMs: 50, agentIntervalMs: 1000, workflowWaitMs: 50 });
  const browser = await chromium.launch(LAUNCH);
  try {
    const client = benchClient(rt);
    const account = await client.simAccount();
    const ids = await Promise.all(Array.from({ length: CLUSTERS }, (_, i) => client.createCluster(`bench-${i}`, account.id, 2).then((c) => c.id)));
    // Measured on a quiet control plane: every cluster provisioned first.
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const phases = await Promise.all(ids.map((id) => client.get<{ phase: string }>(`/v1/clusters/${id}`).then((c) => c.phase)));
      if (phases.every((p) => p === 'Running')) break;
      await new Promise((r) => setTimeout(r, 500));
    }

    const visit = async (page: import('playwright-core').Page) => {
      const started = performance.now();
      await page.goto(`${rt.url}/clusters`);
      await page.locator('table.clusters[data-state="ready"]').waitFor();
      const wall = performance.now() - started;
      const mark = Number(await page.evaluate('performance.getEntriesByName("clusters-rendered")[0].startTime'));
      const rows = await page.locator('table.clusters tbody tr').count();
      if (rows !== CLUSTERS) throw new Error(`the list shows ${rows} clusters, not ${CLUSTERS}`);
      return { mark, wall };
    };
    // A signed-in tab: the session's key is in sessionStorage before the app starts.
    const signedIn = async () => {
      const context = await browser.newContext();
      await context.addInitScript(`sessionStorage.setItem('strata.apiKey', ${JSON.stringify(rt.apiKey)}); sessionStorage.setItem('strata.role', 'admin');`);
      return context;
    };

    const cold: number[] = [];
    const coldWall: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const context = await signedIn();
      const t = await visit(await context.newPage());
      cold.push(t.mark);
      coldWall.push(t.wall);
      await context.close();
    }
    const context = await signedIn();
    const page = await context.newPage();
    await visit(page);
    const warm: number[] = [];
    for (let i = 0; i < REPEATS; i++) warm.push((await visit(page)).mark);
    await context.close();
    return { cold: median(cold), coldWall: median(coldWall), warm: median(warm), worst: Math.max(...cold, ...warm) };
  } finally {
    await browser.close();
    await rt.stop();
  }
}

const build = await prepareConsole();
if (build.state === 'unavailable') throw new Error(`the console could not be built: ${build.reason}`);
const bundle = bundleSize();
const total = bundle.reduce((n, f) => n + f.gzip, 0);
console.log(`Console bundle (console/dist, gzip -9), budget ${BUNDLE_BUDGET_KB} KB`);
for (const f of bundle) console.log(`  ${f.file.padEnd(36)} ${kb(f.raw).padStart(9)} raw  ${kb(f.gzip).padStart(9)} gzip`);
console.log(`  ${'total'.padEnd(36)} ${kb(bundle.reduce((n, f) => n + f.raw, 0)).padStart(9)} raw  ${kb(total).padStart(9)} gzip  ${total <= BUNDLE_BUDGET_KB * 1024 ? 'within budget' : 'OVER BUDGET'}`);

const t = await renderTimes();
console.log(`\nNavigation → clusters list rendered (${CLUSTERS} clusters, each with its health), Chromium, local runtime; budget ${RENDER_BUDGET_MS} ms`);
console.log(`  first visit (empty cache), median of ${REPEATS}: ${t.cold.toFixed(0)} ms   (goto → table on screen: ${t.coldWall.toFixed(0)} ms)`);
console.log(`  repeat visit, median of ${REPEATS}:              ${t.warm.toFixed(0)} ms`);
console.log(`  slowest of all:                         ${t.worst.toFixed(0)} ms   ${t.worst <= RENDER_BUDGET_MS ? 'within budget' : 'OVER BUDGET'}`);
