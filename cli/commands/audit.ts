import { once } from 'node:events';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { AuditFilter } from '../../core/audit.js';
import type { ApiClient, Query } from '../api-client.js';
import type { AuditEntry, AuditOutcome, AuditPage } from '../api-types.js';
import { palette, type Palette } from '../colour.js';
import { apiOf } from '../context.js';
import { UsageError } from '../errors.js';
import { kindNamed } from '../kinds/index.js';
import { FORMATS, outputOption, say, serialize, type Format } from '../output.js';
import { renderTable, type Column } from '../table.js';
import { age, parseCount } from '../time.js';
import { parseSince } from './events.js';

/** The API's largest page. */
const MAX_LIMIT = 100;
/** What the API takes for an action: a method and a route of the API. */
const ACTION = /^(GET|POST|PUT|DELETE) \/[A-Za-z0-9/{}._-]{1,200}$/;

/** How each outcome reads in the table; its keys are the outcomes --outcome accepts. */
const OUTCOME_STYLE: Record<AuditOutcome, (p: Palette) => (s: string) => string> = {
  success: () => (s) => s,
  refused: (p) => p.yellow,
  error: (p) => p.red,
};

type AuditFormat = Format | 'jsonl';

/** The API's filters (core/audit.ts), as the flags give them, and how to show what comes. */
interface AuditOptions extends AuditFilter {
  readonly limit?: number;
  readonly all?: boolean;
  readonly output: AuditFormat;
}

/** An id as the API takes it: no blanks, not too long. */
const parseId = (max: number) => (text: string) => {
  if (!new RegExp(`^\\S{1,${max}}$`).test(text)) throw new InvalidArgumentError(`an id without spaces, up to ${max} characters`);
  return text;
};

/** "post /v1/clusters/{id}" is taken as POST /v1/clusters/{id}. */
function parseAction(text: string): string {
  const [method = '', ...route] = text.trim().split(/\s+/);
  const action = `${method.toUpperCase()} ${route.join('')}`;
  if (!ACTION.test(action)) throw new InvalidArgumentError('a method and a route, e.g. "POST /v1/clusters" or "PUT /v1/clusters/{id}"');
  return action;
}

/** A resource type as the API names it (clusters), or a kind as the CLI does (cluster, cl). */
function parseResourceType(text: string): string {
  const type = kindNamed(text)?.plural ?? text;
  if (!/^[a-z]{1,40}$/.test(type)) throw new InvalidArgumentError('a resource type such as clusters, profiles or apikeys');
  return type;
}

function parseLimit(text: string): number {
  const n = parseCount('--limit', 1)(text);
  if (n > MAX_LIMIT) throw new InvalidArgumentError(`--limit: at most ${MAX_LIMIT}`);
  return n;
}

/** PROJECT appears once some entry names a project. */
const columns = (p: Palette, items: readonly AuditEntry[]): Column<AuditEntry>[] => [
  { header: 'TIME', cell: (e) => age(e.at) },
  { header: 'ACTOR', cell: (e) => e.actor.name ?? e.actor.id },
  { header: 'ACTION', cell: (e) => e.action },
  { header: 'RESOURCE', cell: (e) => (e.resourceId ? `${e.resourceType}/${e.resourceId}` : e.resourceType) },
  ...(items.some((e) => e.project !== undefined) ? [{ header: 'PROJECT', cell: (e: AuditEntry) => e.project ?? '' }] : []),
  { header: 'OUTCOME', cell: (e) => OUTCOME_STYLE[e.outcome](p)(e.outcome) },
  { header: 'STATUS', cell: (e) => String(e.status) },
  { header: 'SOURCE IP', cell: (e) => e.sourceIp },
];

/** The newest page of entries, or with --all every one, following nextCursor. */
async function entries(api: ApiClient, filters: Query, opts: AuditOptions): Promise<{ items: AuditEntry[]; more: boolean }> {
  const items: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.get<AuditPage>('/v1/audit', { ...filters, limit: opts.limit ?? (opts.all ? MAX_LIMIT : undefined), cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && opts.all);
  return { items, more: cursor !== undefined };
}

/** The export, as the API writes it (one entry a line), straight to stdout; answer after answer while x-next-cursor says more follow. */
async function exportLines(api: ApiClient, filters: Query): Promise<void> {
  let cursor: string | undefined;
  do {
    const res = await api.getRaw('/v1/audit/export', { ...filters, cursor }, 'application/x-ndjson');
    let lastByte: number | undefined;
    const reader = res.body?.getReader();
    for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader!.read()) {
      if (!chunk.value.length) continue;
      lastByte = chunk.value[chunk.value.length - 1];
      if (!process.stdout.write(chunk.value)) await once(process.stdout, 'drain');
    }
    // The next answer's first line must not run on from this one's last.
    if (lastByte !== undefined && lastByte !== 0x0a) process.stdout.write('\n');
    cursor = res.headers.get('x-next-cursor') ?? undefined;
  } while (cursor);
}

export function auditCommand(): Command {
  return new Command('audit')
    .description('the audit log (admins): who changed what, and who read credentials, newest first; filtered by actor, action, resource, outcome and time')
    .option('--actor <id>', 'only requests of this API key (its id) or person (user:<subject>)', parseId(128))
    .option('--action <action>', 'only this route: "POST /v1/clusters", "PUT /v1/clusters/{id}"', parseAction)
    .option('--resource-type <type>', 'only requests on this kind of resource: clusters, profiles, apikeys…', parseResourceType)
    .option('--resource-id <id>', 'only requests on this resource (its id)', parseId(256))
    .option('--project <name>', "only requests on this project's resources, or by callers whose roles are in this project only", parseId(64))
    .addOption(new Option('--outcome <outcome>', 'only successes (2xx), refusals (4xx) or errors (5xx)').choices(Object.keys(OUTCOME_STYLE)))
    .option('--since <when>', 'only requests at or after: 30m, 1h, 2d back, or an ISO 8601 time', (t: string) => parseSince(t))
    .option('--until <when>', 'only requests before: 30m, 1h, 2d back, or an ISO 8601 time', (t: string) => parseSince(t))
    .option('--limit <n>', `entries a request, 1 to ${MAX_LIMIT}: without --all, how many of the newest to show (default 50)`, parseLimit)
    .option('--all', 'every matching entry, page after page')
    .addOption(outputOption().choices([...FORMATS, 'jsonl']))
    .addHelpText('after', '\n-o jsonl exports every matching entry, one JSON object a line, as it comes (GET /v1/audit/export).')
    .action(async (opts: AuditOptions, self: Command) => {
      if (opts.since && opts.until && opts.since >= opts.until) throw new UsageError(`--since (${opts.since}) must be before --until (${opts.until})`);
      if (opts.output === 'jsonl' && opts.limit !== undefined) throw new UsageError('-o jsonl exports every matching entry: leave out --limit');
      const api = apiOf(self);
      const filters: Query = { actor: opts.actor, action: opts.action, resourceType: opts.resourceType, resourceId: opts.resourceId, project: opts.project, outcome: opts.outcome, since: opts.since, until: opts.until };
      if (opts.output === 'jsonl') return exportLines(api, filters);
      const format: Format = opts.output;
      const p = palette();
      const { items, more } = await entries(api, filters, opts);
      const filtered = Object.values(filters).some((v) => v !== undefined) ? ' matching the filters' : '';
      process.stdout.write(serialize(format, items) ?? (items.length ? renderTable(columns(p, items), items, p.bold) : `No audit entries${filtered}.\n`));
      if (more) say(format, p.dim('Older entries follow: --all shows every one, -o jsonl exports them.'));
    });
}
