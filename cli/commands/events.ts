import type { Command } from 'commander';
import { ApiError, Failure } from '../errors.js';
import type { ClusterEvent, EventFollow, EventPage } from '../api-types.js';
import { palette, type Palette } from '../colour.js';
import { clusterVerb, namedCluster } from '../context.js';
import { outputOption, serialize, type Format } from '../output.js';
import { padVisible, renderTable, type Column } from '../table.js';
import { age, parseCount, sleep } from '../time.js';
import type { ApiClient } from '../api-client.js';

/** The API's longest wait for news (API Gateway ends a request at 29 s). */
const FOLLOW_WAIT_SECONDS = 20;
const RETRY_MAX_MS = 10_000;

const columns = (p: Palette, time: (e: ClusterEvent) => string, timeHeader: string): Column<ClusterEvent>[] => [
  { header: timeHeader, cell: time },
  { header: 'TYPE', cell: (e) => (e.type === 'Warning' ? p.yellow(e.type) : e.type) },
  { header: 'REASON', cell: (e) => e.reason },
  { header: 'OBJECT', cell: (e) => e.subject ?? '' },
  { header: 'MESSAGE', cell: (e) => `${e.message}${e.count > 1 ? p.dim(` (×${e.count})`) : ''}` },
];

/** Streamed lines cannot be aligned on what has not come yet: fixed widths instead. */
const WIDTHS = [8, 7, 26, 30];
const line = (cells: string[]) => cells.map((c, i) => (i < WIDTHS.length ? padVisible(c, WIDTHS[i]!) : c)).join(' ').trimEnd();

/** Long polling from `after`, printing each event as it comes; transient failures are retried, a refusal ends it. */
async function follow(api: ApiClient, clusterId: string, after: string | undefined, emit: (e: ClusterEvent) => void): Promise<never> {
  let delay = 500;
  for (;;) {
    try {
      const page = await api.get<EventFollow>(`/v1/clusters/${encodeURIComponent(clusterId)}/events/follow`, { after, waitSeconds: FOLLOW_WAIT_SECONDS });
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

export function eventsCommand(): Command {
  const { verb, cluster } = clusterVerb('events', "a cluster's events, oldest first; --follow prints new ones as they happen");
  cluster
    .option('-w, --follow', 'keep printing new events until interrupted')
    .option('--limit <n>', 'how many recent events to show first', parseCount('--limit', 1), 50)
    .addOption(outputOption())
    .action(async (name: string, opts: { follow?: boolean; limit: number; output: Format }, self: Command) => {
      const { resolver, cluster: found } = await namedCluster(self, name);
      const p = palette();
      const page = await resolver.api.get<EventPage>(`/v1/clusters/${encodeURIComponent(found.id)}/events`, { limit: Math.min(opts.limit, 100) });
      const recent = page.items.slice().reverse();
      if (!opts.follow) {
        process.stdout.write(serialize(opts.output, recent) ?? (recent.length ? renderTable(columns(p, (e) => age(e.lastSeen), 'LAST SEEN'), recent, p.bold) : `No events for cluster ${found.name}.\n`));
        return;
      }
      // One event per line (JSON lines, YAML documents), so each can be read as it comes.
      const cols = columns(p, (e) => e.lastSeen.slice(11, 19), 'TIME');
      const emit = (e: ClusterEvent) => {
        if (opts.output === 'json') process.stdout.write(`${JSON.stringify(e)}\n`);
        else if (opts.output === 'yaml') process.stdout.write(`---\n${serialize('yaml', e)}`);
        else process.stdout.write(`${line(cols.map((c) => c.cell(e)))}\n`);
      };
      if (opts.output === 'table') process.stdout.write(`${p.bold(line(cols.map((c) => c.header)))}\n`);
      recent.forEach(emit);
      await follow(resolver.api, found.id, page.items[0]?.id, emit);
    });
  return verb;
}
