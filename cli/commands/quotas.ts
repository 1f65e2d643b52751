import { Command, InvalidArgumentError } from 'commander';
import type { Quotas } from '../api-types.js';
import { UsageError } from '../errors.js';
import { palette } from '../colour.js';
import { apiOf } from '../context.js';
import { outputOption, print, type Format } from '../output.js';
import { renderTable } from '../table.js';

/** --clusters / --nodes: a whole number, or "none" to lift the quota (commander turns a parsed null into ''). */
function parseLimit(text: string): number | 'none' {
  if (text === 'none') return 'none';
  if (!/^\d{1,7}$/.test(text)) throw new InvalidArgumentError('a whole number, or "none" to lift the quota');
  return Number(text);
}

function quotasText(q: Quotas): string {
  const p = palette();
  const rows = (['clusters', 'nodes'] as const).map((kind) => {
    const limit = q.quotas[kind];
    const used = q.usage[kind];
    const full = limit !== undefined && used >= limit;
    return { kind, used: String(used), limit: limit === undefined ? p.dim('no limit') : full ? p.yellow(String(limit)) : String(limit) };
  });
  const table = renderTable(
    [
      { header: 'QUOTA', cell: (r: (typeof rows)[number]) => r.kind },
      { header: 'USED', cell: (r) => r.used },
      { header: 'LIMIT', cell: (r) => r.limit },
    ],
    rows,
    p.bold,
  );
  return `Tenant ${q.tenantId}\n\n${table}`;
}

/** The body's entry of one quota: a number sets it, null lifts it. */
const limit = (kind: 'clusters' | 'nodes', v: number | 'none' | undefined) => (v === undefined ? {} : { [kind]: v === 'none' ? null : v });

export function quotasCommand(): Command {
  return new Command('quotas')
    .description("the tenant's quotas and what it uses; operators see and set any tenant's with --tenant")
    .option('--tenant <id>', "another tenant's (platform operators)")
    .option('--clusters <n>', 'set the clusters quota (operators; "none" lifts it)', parseLimit)
    .option('--nodes <n>', 'set the nodes quota, across all its clusters (operators; "none" lifts it)', parseLimit)
    .addOption(outputOption())
    .action(async (opts: { tenant?: string; clusters?: number | 'none'; nodes?: number | 'none'; output: Format }, self: Command) => {
      const api = apiOf(self);
      const setting = opts.clusters !== undefined || opts.nodes !== undefined;
      if (setting && !opts.tenant) throw new UsageError('--tenant names the tenant whose quotas to set (platform operators)');
      const path = opts.tenant ? `/v1/tenants/${encodeURIComponent(opts.tenant)}/quotas` : '/v1/quotas';
      const q = setting
        ? await api.request<Quotas>('PUT', path, { body: { ...limit('clusters', opts.clusters), ...limit('nodes', opts.nodes) } })
        : await api.get<Quotas>(path);
      print(opts.output, q, () => quotasText(q));
    });
}
