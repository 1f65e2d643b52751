import { COMPLIANCE_HISTORY_DAYS, type ComplianceSummary, type Counts, type TargetSummary } from '../../core/compliance.js';
import type { Command } from '../../core/agent-commands.js';
import { notFound } from '../../core/errors.js';
import { clock } from '../../core/clock.js';
import { commandIssueConflict, commandIssueItems } from './commands-store.js';
import { deleteItem, getItem, getRaw, listPrefix, putNew, strip, table, tenantPk, transact, updateIf, type Page } from './definitions.js';
import { queryPage } from './pagination.js';
import { clusterIdFilter } from './clusters-store.js';

/**
 * kube-bench runs of a cluster, in the tenant's partition: `CIS#<cluster>#<run>` the run's figures
 * (small: what lists read), `CISD#<cluster>#<run>` its failing checks, `CISL#<cluster>` the latest
 * run's figures (the tenant-wide view reads only those), and `CISQ#<cluster>` the scan last asked
 * for. The raw report is in the archive bucket (it can pass DynamoDB's 400 KB item limit).
 */
export interface ComplianceRunRecord {
  readonly id: string;
  readonly clusterId: string;
  readonly scanId: string;
  readonly node: string;
  readonly trigger: 'command' | 'schedule';
  readonly at: string;
  readonly totals: Counts;
  readonly targets: readonly TargetSummary[];
  readonly form: ComplianceSummary['form'];
  readonly reportKey: string;
  readonly reportBytes: number;
}
export type ComplianceRunDetail = ComplianceRunRecord & Pick<ComplianceSummary, 'failing' | 'failingTruncated'>;
export interface LatestCompliance {
  readonly clusterId: string;
  readonly clusterName: string;
  readonly runId: string;
  readonly at: string;
  readonly totals: Counts;
  readonly targets: readonly TargetSummary[];
}
export interface ScanRequest {
  readonly scanId: string;
  readonly commandId: string;
  readonly requestedAt: string;
}

/** What a details item may hold of failing checks (DynamoDB's item limit is 400 KB; UTF-8 text can take 3 bytes a character). */
const DETAIL_MAX_BYTES = 300 * 1024;
function withinItemLimit(failing: ComplianceSummary['failing']): ComplianceSummary['failing'] {
  let bytes = 0;
  const kept = [];
  for (const f of failing) {
    bytes += Buffer.byteLength(JSON.stringify(f)) + 16;
    if (bytes > DETAIL_MAX_BYTES) break;
    kept.push(f);
  }
  return kept;
}

const runSk = (clusterId: string, id: string) => `CIS#${clusterId}#${id}`;
const detailSk = (clusterId: string, id: string) => `CISD#${clusterId}#${id}`;
const latestSk = (clusterId: string) => `CISL#${clusterId}`;
const scanSk = (clusterId: string) => `CISQ#${clusterId}`;

/** Record a run (its figures and its failing checks in one transaction), then make it the cluster's latest unless a newer one is. */
export async function putComplianceRun(tenantId: string, clusterName: string, run: ComplianceRunDetail): Promise<void> {
  const pk = tenantPk(tenantId);
  const expiresAt = Math.floor(clock.now() / 1000) + COMPLIANCE_HISTORY_DAYS * 86400;
  const { failing: all, failingTruncated: cut, ...figures } = run;
  const failing = withinItemLimit(all);
  const failingTruncated = cut || failing.length < all.length;
  await transact([putNew({ pk, sk: runSk(run.clusterId, run.id), kind: 'CISRUN', ...figures, expiresAt }), putNew({ pk, sk: detailSk(run.clusterId, run.id), kind: 'CISDETAIL', failing, failingTruncated, expiresAt })]);
  const latest: LatestCompliance = { clusterId: run.clusterId, clusterName, runId: run.id, at: run.at, totals: run.totals, targets: run.targets };
  // Reports can arrive out of order: an older run joins the history but does not replace the latest.
  await updateIf({
    Key: { pk, sk: latestSk(run.clusterId) },
    UpdateExpression: `SET #kind = :kind, ${Object.keys(latest)
      .map((k) => `#${k} = :${k}`)
      .join(', ')}`,
    ConditionExpression: 'attribute_not_exists(pk) OR #at <= :at',
    ExpressionAttributeNames: { '#kind': 'kind', ...Object.fromEntries(Object.keys(latest).map((k) => [`#${k}`, k])) },
    ExpressionAttributeValues: { ':kind': 'CISLATEST', ...Object.fromEntries(Object.entries(latest).map(([k, v]) => [`:${k}`, v])) },
  });
}

/** TTL deletion is lazy: a run past its history (and its report, gone from the bucket) is left out by the reads themselves. */
const live = (item: Record<string, unknown> | undefined) => (item && (typeof item.expiresAt !== 'number' || item.expiresAt > clock.now() / 1000) ? item : undefined);

export async function getComplianceRun(tenantId: string, clusterId: string, id: string): Promise<ComplianceRunDetail> {
  const [run, detail] = await Promise.all([getRaw(tenantPk(tenantId), runSk(clusterId, id)), getRaw(tenantPk(tenantId), detailSk(clusterId, id))]);
  if (!live(run)) throw notFound('compliance run', id, 'path.runId');
  const d = live(detail) ? strip<Pick<ComplianceSummary, 'failing' | 'failingTruncated'>>(detail!) : undefined;
  return { ...strip<ComplianceRunRecord>(run!), failing: d?.failing ?? [], failingTruncated: d?.failingTruncated ?? false };
}

export async function listComplianceRuns(tenantId: string, clusterId: string, opts: { limit?: number; cursor?: string }): Promise<Page<ComplianceRunRecord>> {
  const pk = tenantPk(tenantId);
  const prefix = `CIS#${clusterId}#`;
  return queryPage<ComplianceRunRecord>({
    query: {
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'expiresAt > :now',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix, ':now': Math.floor(clock.now() / 1000) },
      ScanIndexForward: false,
    },
    pk,
    skPrefix: prefix,
    limit: opts.limit,
    cursor: opts.cursor,
    map: (i) => strip<ComplianceRunRecord>(i),
  });
}

/**
 * Each cluster's latest run, in cluster id order. With `clusterIds`, those clusters' only: named in
 * the filter expression, so pages fill as usual, unless there are too many to name; then the others
 * are dropped from what was read, and a page may hold fewer items.
 */
export async function listLatestCompliance(tenantId: string, opts: { limit?: number; cursor?: string; clusterIds?: ReadonlySet<string> }): Promise<Page<LatestCompliance>> {
  const { clusterIds, ...page } = opts;
  if (!clusterIds) return listPrefix<LatestCompliance>(tenantPk(tenantId), 'CISL#', page);
  if (clusterIds.size === 0) return { items: [] };
  const only = clusterIdFilter(clusterIds);
  const pk = tenantPk(tenantId);
  const read = await queryPage<LatestCompliance>({
    query: {
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ...(only ? { FilterExpression: only.expression, ExpressionAttributeNames: only.names } : {}),
      ExpressionAttributeValues: { ':pk': pk, ':prefix': 'CISL#', ...only?.values },
    },
    pk,
    skPrefix: 'CISL#',
    limit: page.limit ?? 100,
    cursor: page.cursor,
    map: (i) => strip<LatestCompliance>(i),
  });
  return only ? read : { ...read, items: read.items.filter((c) => clusterIds.has(c.clusterId)) };
}

/** Ask for a scan: the command and the record of it, in one transaction with the cluster's open count. */
export async function requestScan(tenantId: string, scan: ScanRequest, command: Command): Promise<void> {
  await transact([...commandIssueItems(tenantId, command), { Put: { TableName: table(), Item: { pk: tenantPk(tenantId), sk: scanSk(command.clusterId), kind: 'CISSCAN', ...scan } } }], (i) =>
    commandIssueConflict(command, i),
  );
}

export async function lastScanRequest(tenantId: string, clusterId: string): Promise<ScanRequest | undefined> {
  return getItem<ScanRequest>(tenantPk(tenantId), scanSk(clusterId));
}

/** A deleted cluster leaves the tenant-wide view and its pending scan; its runs stay in the history until their TTL. */
export async function forgetClusterCompliance(tenantId: string, clusterId: string): Promise<void> {
  await Promise.all([deleteItem(tenantPk(tenantId), latestSk(clusterId)), deleteItem(tenantPk(tenantId), scanSk(clusterId))]);
}
