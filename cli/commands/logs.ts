import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import type { Cluster, LogRequest, LogRequestInput, LogRequestStatus, LogType } from '../api-types.js';
import { palette, type Palette } from '../colour.js';
import { clusterVerb, namedCluster } from '../context.js';
import { ApiError, Failure, UsageError } from '../errors.js';
import { renderTable } from '../table.js';
import { age, formatDuration, parseCount, parseDuration, sleep } from '../time.js';

const POLL_MS = 1000;
/** The agent has 15 minutes to collect and upload (the command's deadline); a little more to hear of it. */
const DEFAULT_TIMEOUT_MS = 16 * 60_000;
/** A URL this close to its end is asked for again rather than started on. */
const URL_MARGIN_MS = 15_000;
/** Times a download is started again with a fresh URL (one that expired on the way, or an S3 hiccup). */
const DOWNLOAD_ATTEMPTS = 3;
const PROGRESS_EVERY_MS = 1000;

/** Every type the API knows: one it gains fails the type check here. */
const TYPES: Record<LogType, true> = { 'kube-system': true, platform: true, node: true };
const FLAG_OF: Readonly<Record<string, string>> = { types: '--types', nodes: '--nodes', sinceMinutes: '--since', maxLines: '--max-lines' };

function parseTypes(text: string): LogType[] {
  const types = text.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = types.filter((t) => !(t in TYPES));
  if (!types.length || unknown.length) throw new InvalidArgumentError(`one or more of ${Object.keys(TYPES).join(', ')}, comma-separated${unknown.length ? ` (not: ${unknown.join(', ')})` : ''}`);
  return [...new Set(types)] as LogType[];
}

const parseList = (text: string) => [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))];

/** --since 30m, 2h, 1d: whole minutes, at least one. */
function parseSinceMinutes(text: string): number {
  const days = /^(\d+)d$/.exec(text);
  const ms = days ? Number(days[1]) * 86_400_000 : parseDuration(text);
  return Math.max(1, Math.ceil(ms / 60_000));
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB'];
/** 1.2 MiB, 512 B. */
export function bytesText(n: number): string {
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 || n >= 100 ? Math.round(n) : n.toFixed(1)} ${UNITS[i]}`;
}

const logsPath = (clusterId: string) => `/v1/clusters/${encodeURIComponent(clusterId)}/logs`;
const readRequest = (api: ApiClient, clusterId: string, id: string) => api.get<LogRequest>(`${logsPath(clusterId)}/${encodeURIComponent(id)}`);
const ended = (r: LogRequest) => r.status === 'Ready' || r.status === 'Failed';

/** A 403 said in the words of what logs need; a 400 with the flag of each field. */
function explained(err: unknown): unknown {
  if (!(err instanceof ApiError)) return err;
  if (err.status === 403) return new ApiError(403, err.code, `${err.message} (log bundles are for editors and admins: this API key is a viewer's)`, err.details);
  if (err.status !== 400) return err;
  const details = err.details.map((d) => {
    const flag = FLAG_OF[d.path.replace(/^body\./, '').replace(/\[\d+\]$/, '')];
    return flag ? { path: d.path, message: `${d.message} (${flag})` } : d;
  });
  return new ApiError(err.status, err.code, err.message, details);
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw explained(err);
  }
}

const statusOf = (p: Palette, s: LogRequestStatus) => (s === 'Ready' ? p.green(s) : s === 'Failed' ? p.red(s) : p.yellow(s));

const whatText = (r: LogRequest) => `${r.types.join(',')}${r.nodes?.length ? ` of ${r.nodes.join(',')}` : ''}, last ${formatDuration(r.sinceMinutes * 60_000)}, at most ${r.maxLines} lines a file`;

function requestsTable(items: readonly LogRequest[], p: Palette): string {
  return renderTable(
    [
      { header: 'REQUEST', cell: (r: LogRequest) => r.id },
      { header: 'STATUS', cell: (r) => statusOf(p, r.status) },
      { header: 'TYPES', cell: (r) => r.types.join(',') },
      { header: 'NODES', cell: (r) => r.nodes?.join(',') ?? 'all' },
      { header: 'SINCE', cell: (r) => formatDuration(r.sinceMinutes * 60_000) },
      { header: 'FILES', cell: (r) => (r.files === undefined ? '' : String(r.files)) },
      { header: 'MISSING', cell: (r) => (r.missing === undefined ? '' : String(r.missing)) },
      { header: 'SIZE', cell: (r) => (r.bytes === undefined ? '' : bytesText(r.bytes)) },
      { header: 'AGE', cell: (r) => age(r.requestedAt) },
      { header: 'BY', cell: (r) => r.requestedBy },
      { header: 'MESSAGE', cell: (r) => r.message ?? '' },
    ],
    items,
    p.bold,
  );
}

/** Until the request is Ready or Failed, each change of status said on stderr. */
async function waitFor(api: ApiClient, cluster: Cluster, request: LogRequest, timeout: number): Promise<LogRequest> {
  const deadline = Date.now() + timeout;
  let r = request;
  let last = '';
  for (;;) {
    const state = `${r.status}${r.message ? `: ${r.message}` : ''}`;
    if (state !== last) process.stderr.write(`log request ${r.id}: ${state}\n`);
    last = state;
    if (ended(r)) return r;
    if (Date.now() >= deadline) throw new Failure(`gave up after ${formatDuration(timeout)} waiting for log request ${r.id} of cluster ${cluster.name}: it is ${state}; strata logs cluster ${cluster.name} --request ${r.id} --output FILE goes on`);
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    r = await call(() => readRequest(api, cluster.id, r.id));
  }
}

/** Progress on stderr: redrawn in place on a terminal, a line a second otherwise. */
function progressLine(file: string, total: number | undefined): { update(n: number): void; done(n: number): void } {
  const tty = !!process.stderr.isTTY;
  let lastAt = 0;
  const text = (n: number) => `downloading ${file}: ${bytesText(n)}${total ? ` of ${bytesText(total)} (${Math.floor((n / total) * 100)} %)` : ''}`;
  const write = (n: number, final: boolean) => process.stderr.write(tty ? `\r\x1b[K${text(n)}${final ? '\n' : ''}` : `${text(n)}\n`);
  return {
    update: (n) => {
      if (Date.now() - lastAt < PROGRESS_EVERY_MS) return;
      lastAt = Date.now();
      write(n, false);
    },
    done: (n) => write(n, true),
  };
}

class ExpiredUrl extends Error {}

/** One download of the presigned URL into `temp`: its bytes, checked against content-length. */
async function downloadOnce(url: string, temp: string, shownAs: string): Promise<number> {
  // The presigned URL carries its own signature: the API's key must not go with it.
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Failure(`cannot reach the log bundle's storage: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  if (res.status === 403 || res.status === 400) {
    await res.body?.cancel();
    throw new ExpiredUrl(`the download URL was refused (${res.status})`);
  }
  if (!res.ok || !res.body) throw new Failure(`the log bundle's storage answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const header = res.headers.get('content-length');
  const total = header === null ? undefined : Number(header);
  const progress = progressLine(shownAs, total);
  const out = createWriteStream(temp, { mode: 0o600 });
  const closed = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  let received = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      received += chunk.byteLength;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      progress.update(received);
    }
  } finally {
    out.end();
    await closed;
  }
  progress.done(received);
  if (total !== undefined && received !== total) throw new Failure(`the download of ${shownAs} ended after ${received} of ${total} bytes`);
  return received;
}

/**
 * The archive into `output`: written to a file beside it and renamed once whole, so `output` is
 * never half a bundle. A URL near its end, or refused on the way, is asked for again.
 */
async function download(api: ApiClient, cluster: Cluster, ready: LogRequest, output: string): Promise<number> {
  const temp = join(dirname(output), `.${basename(output)}.${process.pid}.part`);
  let r = ready;
  try {
    for (let attempt = 1; ; attempt++) {
      if (!r.download || Date.parse(r.download.expiresAt) - Date.now() < URL_MARGIN_MS) r = await call(() => readRequest(api, cluster.id, r.id));
      if (!r.download) throw new Failure(`log request ${r.id} is ${r.status} and has no download${r.message ? `: ${r.message}` : ''}`);
      try {
        const bytes = await downloadOnce(r.download.url, temp, output);
        if (r.bytes !== undefined && bytes !== r.bytes) throw new Failure(`the downloaded archive has ${bytes} bytes, the stored one ${r.bytes}`);
        await rename(temp, output);
        return bytes;
      } catch (err) {
        if (!(err instanceof ExpiredUrl) || attempt >= DOWNLOAD_ATTEMPTS) throw err instanceof ExpiredUrl ? new Failure(`${err.message}, ${attempt} times; the archive may be gone (kept until ${r.archiveExpiresAt ?? 'its expiry'})`) : err;
        process.stderr.write(`${err.message}; asking for a new one\n`);
        r = { ...r, download: undefined };
      }
    }
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

interface LogsOptions {
  readonly types?: LogType[];
  readonly nodes?: string[];
  readonly since?: number;
  readonly maxLines?: number;
  readonly output?: string;
  readonly request?: string;
  readonly wait: boolean;
  readonly timeout: number;
}

async function logs(self: Command, name: string, o: LogsOptions): Promise<void> {
  if (o.types && o.request) throw new UsageError('--types asks for a new bundle, --request names one asked for before: one or the other');
  if (!o.types && (o.nodes || o.since !== undefined || o.maxLines !== undefined)) throw new UsageError('--nodes, --since and --max-lines go with --types');
  if ((o.types || o.request) && o.wait && !o.output) throw new UsageError('--output FILE: where to save the bundle (or --no-wait to only ask for it)');
  if (!o.types && !o.request && o.output) throw new UsageError('--output saves a bundle: give --types to ask for one, or --request ID for one asked for before');
  const { resolver, cluster } = await namedCluster(self, name);
  const api = resolver.api;
  const p = palette();

  if (!o.types && !o.request) {
    const items = await call(() => api.listAll<LogRequest>(logsPath(cluster.id)));
    process.stdout.write(items.length ? requestsTable(items, p) : `No log bundle asked for cluster ${cluster.name} yet; strata logs cluster ${cluster.name} --types kube-system,platform,node --output FILE asks for one.\n`);
    return;
  }

  let request: LogRequest;
  if (o.types) {
    const body: LogRequestInput = { types: o.types, ...(o.nodes ? { nodes: o.nodes } : {}), ...(o.since !== undefined ? { sinceMinutes: o.since } : {}), ...(o.maxLines !== undefined ? { maxLines: o.maxLines } : {}) };
    request = await call(() => api.request<LogRequest>('POST', logsPath(cluster.id), { body }));
    const later = `strata logs cluster ${cluster.name} --request ${request.id} --output FILE`;
    if (!o.wait) return void process.stdout.write(`log request ${request.id} of cluster/${cluster.name} ${request.status}: ${whatText(request)}; ${later} saves it once Ready\n`);
    process.stderr.write(`log request ${request.id} of cluster/${cluster.name}: ${whatText(request)}\n`);
  } else {
    request = await call(() => readRequest(api, cluster.id, o.request!));
    if (!o.wait) return void process.stdout.write(requestsTable([request], p));
  }

  const done = await waitFor(api, cluster, request, o.timeout);
  if (done.status === 'Failed') throw new Failure(`log request ${done.id} Failed: ${done.message ?? 'the agent gave no reason'}`);
  const bytes = await download(api, cluster, done, o.output!);
  const missing = done.missing ? `, ${done.missing} missing (manifest.json says why)` : ', nothing missing';
  process.stdout.write(`cluster/${cluster.name} logs saved to ${o.output} (${bytesText(bytes)}): ${done.files ?? 0} file(s)${missing}\n`);
}

export function logsCommand(): Command {
  const description = "a cluster's log bundles (editors and admins): list them, or ask for one (--types) and save it as a tar.gz with manifest.json";
  const { verb, cluster } = clusterVerb('logs', description);
  cluster
    .option('--types <types>', 'what to collect, comma-separated: kube-system (pod logs), platform (the agent), node (kubelet, container runtime)', parseTypes)
    .option('--nodes <names>', 'node logs of these nodes only (comma-separated; default every node)', parseList)
    .option('--since <duration>', 'lines of the last 30m, 2h, 1d (default 1h)', parseSinceMinutes)
    .option('--max-lines <n>', 'at most this many lines a file, the newest (default 5000)', parseCount('--max-lines', 1))
    .option('--output <file>', 'save the bundle there (written beside it, then renamed once whole)')
    .option('--request <id>', 'a bundle asked for before: wait for it and save it')
    .option('--no-wait', 'only ask for the bundle, and print its request id')
    .addOption(new Option('--timeout <duration>', 'give up waiting after this long').argParser(parseDuration).default(DEFAULT_TIMEOUT_MS, '16m'))
    .action((name: string, opts: LogsOptions, self: Command) => logs(self, name, opts));
  return verb;
}
