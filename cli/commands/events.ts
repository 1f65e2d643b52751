import { Command, InvalidArgumentError, Option } from 'commander';
import { ApiError, Failure } from '../errors.js';
import type { ClusterEvent, EventFollow, EventPage } from '../api-types.js';
import { palette, type Palette } from '../colour.js';
import { resolverOf } from '../context.js';
import { clusters } from '../kinds/cluster.js';
import { outputOption, serialize, type Format } from '../output.js';
import { padVisible, renderTable, type Column } from '../table.js';
import { age, parseCount, parseDuration, sleep } from '../time.js';
import type { ApiClient, Query } from '../api-client.js';

/** The API's longest wait for news (API Gateway ends a request at 29 s). */
const FOLLOW_WAIT_SECONDS = 20;
const RETRY_MAX_MS = 10_000;
/** The API's reasons: letters and digits, up to 10 of them. */
const REASONS = /^[A-Za-z0-9]{1,100}(,[A-Za-z0-9]{1,100}){0,9}$/;
const DAY_MS = 86_400_000;

/** --since: a time back from now (30m, 1h, 2d) or a moment (ISO 8601). */
export function parseSince(text: string, now = Date.now()): string {
  const days = /^(\d+)d$/.exec(text);
  if (days) return new Date(now - Number(days[1]) * DAY_MS).toISOString();
  if (/^\d{4}-\d\d-\d\d/.test(text)) {
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw new InvalidArgumentError('a time back from now (30m, 1h, 2d) or a moment (2026-05-01T12:00:00Z)');
    return new Date(at).toISOString();
  }
  try {
    return new Date(now - parseDuration(text)).toISOString();
  } catch {
    throw new InvalidArgumentError('a time back from now (30m, 1h, 2d) or a moment (2026-05-01T12:00:00Z)');
  }
}

function parseReasons(text: string): string {
  const joined = text.split(',').map((r) => r.trim()).filter(Boolean).join(',');
  if (!REASONS.test(joined)) throw new InvalidArgumentError('one reason, or up to 10 separated by commas (letters and digits): NodePatchFailed,NodeRepair');
  return joined;
}

interface EventOptions {
  readonly type?: 'Normal' | 'Warning';
  readonly reason?: string;
  readonly subject?: string;
  readonly since?: string;
  readonly follow?: boolean;
  readonly limit: number;
  readonly output: Format;
}

/** Cluster names by id, for events that name their cluster by id only. */
type Names = ReadonlyMap<string, string>;

const columns = (p: Palette, names: Names | undefined, time: (e: ClusterEvent) => string, timeHeader: string, folded: boolean): Column<ClusterEvent>[] => [
  { header: timeHeader, cell: time },
  ...(names ? [{ header: 'CLUSTER', cell: (e: ClusterEvent) => e.clusterName ?? names.get(e.clusterId) ?? e.clusterId }] : []),
  { header: 'TYPE', cell: (e) => (e.type === 'Warning' ? p.yellow(e.type) : e.type) },
  { header: 'REASON', cell: (e) => e.reason },
  { header: 'OBJECT', cell: (e) => e.subject ?? '' },
  ...(folded
    ? [
        { header: 'COUNT', cell: (e: ClusterEvent) => String(e.count) },
        { header: 'FIRST SEEN', cell: (e: ClusterEvent) => age(e.firstSeen) },
      ]
    : []),
  { header: 'MESSAGE', cell: (e) => `${e.message}${!folded && e.count > 1 ? p.dim(` (×${e.count})`) : ''}` },
];

/** Streamed lines cannot be aligned on what has not come yet: fixed widths instead. */
const widths = (tenantWide: boolean) => (tenantWide ? [8, 16, 7, 26, 30] : [8, 7, 26, 30]);
const line = (cells: string[], w: readonly number[]) => cells.map((c, i) => (i < w.length ? padVisible(c, w[i]!) : c)).join(' ').trimEnd();

/** Long polling from `after`, printing each event as it comes; transient failures are retried, a refusal ends it. */
async function follow(api: ApiClient, path: string, filters: Query, after: string | undefined, emit: (e: ClusterEvent) => void): Promise<never> {
  let delay = 500;
  for (;;) {
    try {
      const page = await api.get<EventFollow>(`${path}/follow`, { ...filters, after, waitSeconds: FOLLOW_WAIT_SECONDS });
      page.items.forEach(emit);
      after = page.after;
      delay = 500;
    } catch (err) {
      // Unreachable, throttled or failing for a moment: try again. A refusal (the cluster gone, the key revoked) ends it.
      const transient = err instanceof Failure && (!(err instanceof ApiError) || err.status === 429 || err.status >= 500);
      if (!transient) throw err;
      process.stderr.write(`warning: ${err.message}; trying again in ${Math.round(delay / 1000)} s\n`);
      await sleep(delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }
}

/**
 * One cluster's events (path /v1/clusters/{id}/events) or the tenant's (/v1/events, each with its
 * cluster), filtered by the API; then, with --follow, the new ones as they happen.
 */
async function showEvents(api: ApiClient, path: string, opts: EventOptions, scope: { names?: Names; what: string }): Promise<void> {
  const tenantWide = scope.names !== undefined;
  const p = palette();
  // The follow takes the same filters but since (what comes next is newer anyway) and cluster.
  const filters: Query = { type: opts.type, reason: opts.reason, subject: opts.subject };
  const page = await api.get<EventPage>(path, { ...filters, since: opts.since, limit: Math.min(opts.limit, 100) });
  const recent = page.items.slice().reverse();
  if (!opts.follow) {
    const folded = recent.some((e) => e.count > 1);
    const filtered = opts.type || opts.reason || opts.subject || opts.since ? ' matching the filters' : '';
    process.stdout.write(serialize(opts.output, recent) ?? (recent.length ? renderTable(columns(p, scope.names, (e) => age(e.lastSeen), 'LAST SEEN', folded), recent, p.bold) : `No events${filtered} ${scope.what}.\n`));
    return;
  }
  // One event per line (JSON lines, YAML documents), so each can be read as it comes.
  const cols = columns(p, scope.names, (e) => e.lastSeen.slice(11, 19), 'TIME', false);
  const w = widths(tenantWide);
  const emit = (e: ClusterEvent) => {
    if (opts.output === 'json') process.stdout.write(`${JSON.stringify(e)}\n`);
    else if (opts.output === 'yaml') process.stdout.write(`---\n${serialize('yaml', e)}`);
    else process.stdout.write(`${line(cols.map((c) => c.cell(e)), w)}\n`);
  };
  if (opts.output === 'table') process.stdout.write(`${p.bold(line(cols.map((c) => c.header), w))}\n`);
  recent.forEach(emit);
  await follow(api, path, filters, page.items[0]?.id, emit);
}

export function eventsCommand(): Command {
  const description = "events, oldest first: a cluster's (events cluster NAME) or every cluster's with a CLUSTER column; filtered by type, reason, subject and time; --follow prints new ones as they happen";
  // The options belong to the verb, so they may come before or after `cluster NAME`.
  const verb = new Command('events')
    .description(description)
    .addOption(new Option('--type <type>', 'only Normal or only Warning events').choices(['Normal', 'Warning']))
    .option('--reason <reasons>', 'only events of this reason, or of one of these (comma-separated, up to 10)', parseReasons)
    .option('--subject <subject>', 'only events about this subject (a node, a condition type), exactly')
    .option('--since <when>', 'only events last seen since: 30m, 1h, 2d back, or an ISO 8601 time', (t: string) => parseSince(t))
    .option('-w, --follow', 'keep printing new events until interrupted')
    .option('--limit <n>', 'how many recent events to show first', parseCount('--limit', 1), 50)
    .addOption(outputOption())
    .action(async (opts: EventOptions, self: Command) => {
      const resolver = resolverOf(self);
      const names = new Map((await resolver.list(clusters)).map((c) => [c.id, c.name]));
      await showEvents(resolver.api, '/v1/events', opts, { names, what: 'in any cluster' });
    });
  verb
    .command('cluster')
    .aliases(['clusters', 'cl'])
    .argument('<name>', 'the cluster: its name or id')
    .description(description)
    .action(async (name: string, _opts: unknown, self: Command) => {
      const resolver = resolverOf(self);
      const found = await resolver.one(clusters, name);
      await showEvents(resolver.api, `/v1/clusters/${encodeURIComponent(found.id)}/events`, self.optsWithGlobals<EventOptions>(), { what: `for cluster ${found.name}` });
    });
  return verb;
}
