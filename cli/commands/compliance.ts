import { Command, Option } from 'commander';
import type { ApiClient } from '../api-client.js';
import type { AgentCommand, Cluster, ClusterCompliance, ScanAccepted, TenantComplianceItem } from '../api-types.js';
import { palette } from '../colour.js';
import { byMostFailing, complianceText, tenantTable, totalsText, type ComplianceRow } from '../compliance-view.js';
import { clusterVerb, namedCluster, resolverOf } from '../context.js';
import { ApiError, Failure } from '../errors.js';
import { clusters } from '../kinds/cluster.js';
import { say, serialize } from '../output.js';
import { formatDuration, parseDuration, sleep } from '../time.js';

const POLL_MS = 1000;
/** kube-bench runs as a Job within the command's deadline (30 minutes); a little more to hear of it. */
const DEFAULT_TIMEOUT_MS = 31 * 60_000;

type ComplianceFormat = 'table' | 'wide' | 'json' | 'yaml';
const FORMATS: readonly ComplianceFormat[] = ['table', 'wide', 'json', 'yaml'];
/** Machine formats as the others commands have them; wide is a table too. */
const dataFormat = (f: ComplianceFormat) => (f === 'wide' ? 'table' : f);

const compliancePath = (id: string) => `/v1/clusters/${encodeURIComponent(id)}/compliance`;
const readCompliance = (api: ApiClient, id: string) => api.get<ClusterCompliance>(compliancePath(id));

function show(format: ComplianceFormat, data: ClusterCompliance, cluster: Cluster): void {
  process.stdout.write(serialize(dataFormat(format), data) ?? complianceText(data, cluster.name, format === 'wide', palette()));
}

/** Every cluster of the tenant with its latest totals; those never scanned too. */
async function tenant(self: Command, format: ComplianceFormat): Promise<void> {
  const resolver = resolverOf(self);
  const [items, all] = await Promise.all([resolver.api.listAll<TenantComplianceItem>('/v1/compliance'), resolver.list(clusters)]);
  const scanned = new Set(items.map((i) => i.clusterId));
  const rows: ComplianceRow[] = byMostFailing([...items.map((i) => ({ clusterId: i.clusterId, clusterName: i.clusterName, latest: i })), ...all.filter((c) => !scanned.has(c.id)).map((c) => ({ clusterId: c.id, clusterName: c.name }))]);
  const data = rows.flatMap((r) => (r.latest ? [r.latest] : []));
  process.stdout.write(serialize(dataFormat(format), data) ?? (rows.length ? tenantTable(rows, palette()) : 'No clusters.\n'));
}

/** Until the run answering the scan is in, each change said on stderr; a command that failed or expired ends it. */
async function waitForScan(api: ApiClient, cluster: Cluster, scan: ScanAccepted, timeout: number): Promise<ClusterCompliance> {
  const deadline = Date.now() + timeout;
  let last = '';
  for (;;) {
    const c = await readCompliance(api, cluster.id);
    if (c.latest?.scanId === scan.scanId) return c;
    const scanning = c.scanning?.scanId === scan.scanId ? c.scanning : undefined;
    const failed = (s: AgentCommand['status'] | undefined) => s === 'Failed' || s === 'Expired';
    // Once the agent reported, the scan is no longer `scanning`; its command says how it ended, and why.
    const command = scanning && !failed(scanning.status) ? undefined : await api.get<AgentCommand>(`/v1/clusters/${encodeURIComponent(cluster.id)}/commands/${encodeURIComponent(scan.commandId)}`);
    const status = command?.status ?? scanning!.status;
    if (failed(status)) throw new Failure(`scan ${scan.scanId} of cluster ${cluster.name} ${status}: ${command?.message ?? 'the agent gave no reason'}`);
    const state = `${status}${command?.status === 'Succeeded' ? ', waiting for its report' : ''}`;
    if (state !== last) process.stderr.write(`scan ${scan.scanId}: ${state}\n`);
    last = state;
    if (Date.now() >= deadline) throw new Failure(`gave up after ${formatDuration(timeout)} waiting for scan ${scan.scanId} of cluster ${cluster.name}: it is ${state}; strata compliance cluster ${cluster.name} shows it once in`);
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
}

async function scan(self: Command, name: string, o: { wait?: boolean; timeout: number }): Promise<void> {
  const { output: format } = self.optsWithGlobals<{ output: ComplianceFormat }>();
  const { resolver, cluster } = await namedCluster(self, name);
  let accepted: ScanAccepted;
  try {
    accepted = await resolver.api.request<ScanAccepted>('POST', `${compliancePath(cluster.id)}/scans`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) throw new ApiError(403, err.code, `${err.message} (scans are for editors and admins: this API key is a viewer's)`, err.details);
    throw err;
  }
  if (!o.wait) {
    process.stdout.write(serialize(dataFormat(format), accepted) ?? `scan ${accepted.scanId} of cluster/${cluster.name} sent to its agent (command ${accepted.commandId}, ${accepted.status}); strata compliance cluster ${cluster.name} shows the results once in\n`);
    return;
  }
  say(dataFormat(format), `scan ${accepted.scanId} of cluster/${cluster.name} sent to its agent (command ${accepted.commandId})`);
  const done = await waitForScan(resolver.api, cluster, accepted, o.timeout);
  if (format === 'table' || format === 'wide') process.stdout.write(`scan ${accepted.scanId} done: ${totalsText(done.latest!.totals)}\n\n`);
  show(format, done, cluster);
}

export function complianceCommand(): Command {
  const description = "CIS compliance from kube-bench: every cluster's latest totals, most failing first; a cluster's (compliance cluster NAME) with its failing checks first; run a scan now (compliance scan cluster NAME)";
  // -o belongs to the verb, so it may come before or after the cluster.
  const verb = new Command('compliance')
    .description(description)
    .addOption(new Option('-o, --output <format>', 'output format (wide: with remediations)').choices(FORMATS).default('table'))
    .action((opts: { output: ComplianceFormat }, self: Command) => tenant(self, opts.output));
  verb
    .command('cluster')
    .aliases(['clusters', 'cl'])
    .argument('<name>', 'the cluster: its name or id')
    .description("a cluster's CIS results: totals per target, failing checks, the runs before")
    .action(async (name: string, _opts: unknown, self: Command) => {
      const { output } = self.optsWithGlobals<{ output: ComplianceFormat }>();
      const { resolver, cluster } = await namedCluster(self, name);
      show(output, await readCompliance(resolver.api, cluster.id), cluster);
    });
  const scanVerb = clusterVerb('scan', 'run kube-bench on a cluster now (editors and admins); --wait shows the results');
  scanVerb.cluster
    .option('--wait', 'wait for the results and show them; exit code 1 when the scan fails')
    .addOption(new Option('--timeout <duration>', 'with --wait: give up after this long').argParser(parseDuration).default(DEFAULT_TIMEOUT_MS, '31m'))
    .action((name: string, opts: { wait?: boolean; timeout: number }, self: Command) => scan(self, name, opts));
  verb.addCommand(scanVerb.verb);
  return verb;
}
