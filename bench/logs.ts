/**
 * Log bundle budget, printed (not asserted): seconds from POST /v1/clusters/{id}/logs to a
 * downloadable bundle on the local runtime with its default agent heartbeat (2 s), split into the
 * wait for the agent to take the command and the collection, upload and size check; then the
 * download itself. Goal: ≤ 10 s. Also a kube-bench scan, request to report.
 * Run: npm run bench:logs
 */
import { startRuntime } from '../local/runtime.js';
import { benchClient } from './local-api.js';

const RUNS = 5;
const WORKERS = 3;

interface LogRequestView {
  id: string;
  status: string;
  bytes?: number;
  files?: number;
  missing?: number;
  download?: { url: string };
  message?: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const rt = await startRuntime({ rateLimits: false, port: 0 });
try {
  const client = benchClient(rt);
  const account = await client.simAccount();
  const cluster = await client.createCluster('logbench', account.id, WORKERS);
  for (;;) {
    const c = await client.get<{ phase: string }>(`/v1/clusters/${cluster.id}`);
    if (c.phase === 'Running') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const pickups: number[] = [];
  const collections: number[] = [];
  const totals: number[] = [];
  const downloads: number[] = [];
  let last: LogRequestView | undefined;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const made = await client.post<LogRequestView>(`/v1/clusters/${cluster.id}/logs`, { types: ['kube-system', 'platform', 'node'], sinceMinutes: 60, maxLines: 5000 });
    let collectingAt: number | undefined;
    let view: LogRequestView;
    for (;;) {
      view = await client.get<LogRequestView>(`/v1/clusters/${cluster.id}/logs/${made.id}`);
      if (view.status !== 'Pending') collectingAt ??= performance.now();
      if (view.status === 'Ready' || view.status === 'Failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const readyAt = performance.now();
    if (view.status !== 'Ready') throw new Error(`the bundle failed: ${view.message}`);
    const res = await fetch(view.download!.url);
    const bytes = (await res.arrayBuffer()).byteLength;
    if (bytes !== view.bytes) throw new Error(`downloaded ${bytes} bytes, the request says ${view.bytes}`);
    downloads.push(performance.now() - readyAt);
    pickups.push(collectingAt! - started);
    collections.push(readyAt - collectingAt!);
    totals.push(readyAt - started);
    last = view;
  }
  console.log(`\nLog bundles on the local runtime: 1 control plane + ${WORKERS} workers, kube-system + platform + node logs, agent heartbeat every 2 s, ${RUNS} runs`);
  console.log(`  request to downloadable: median ${seconds(median(totals))}, worst ${seconds(Math.max(...totals))} (goal ≤ 10 s)`);
  console.log(`    waiting for the agent to take the command: median ${seconds(median(pickups))} (at most one heartbeat interval)`);
  console.log(`    collecting, uploading and checking the size: median ${seconds(median(collections))}`);
  console.log(`  download of the ${last!.bytes} B archive (${last!.files} files, ${last!.missing} not collected): median ${seconds(median(downloads))}`);
  console.log('  in AWS the agent takes the command with its next heartbeat (30 s by default): up to 30 s more');

  const scanStarted = performance.now();
  const scan = await client.post<{ scanId: string }>(`/v1/clusters/${cluster.id}/compliance/scans`, {});
  for (;;) {
    const view = await client.get<{ latest?: { scanId: string; totals: { pass: number; fail: number; warn: number } } }>(`/v1/clusters/${cluster.id}/compliance`);
    if (view.latest?.scanId === scan.scanId) {
      console.log(`  kube-bench scan, request to report: ${seconds(performance.now() - scanStarted)} (${view.latest.totals.pass} pass, ${view.latest.totals.fail} fail, ${view.latest.totals.warn} warn)`);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
} finally {
  await rt.stop();
}
