import { ReportError, summarizeKubeBench } from '../../core/compliance.js';
import { isFinal } from '../../core/agent-commands.js';
import { conflict, invalidField } from '../../core/errors.js';
import { newTimeId } from '../../core/ids.js';
import { appendEvent } from '../../adapters/dynamodb/events-store.js';
import { lastScanRequest, putComplianceRun } from '../../adapters/dynamodb/compliance-store.js';
import { getCommand } from '../../adapters/dynamodb/commands-store.js';
import { archives } from '../commons/log-collection.js';
import { validate } from '../commons/validation.js';
import { ComplianceReportQuery } from './compliance-query.js';
import type { AgentRequest, AgentResult } from './api.js';
import { agentReply } from './api.js';

const MAX_TARGETS = 50;

/** Where a run's raw report is kept; the tenant first, so a key never crosses tenants. */
export const complianceReportKey = (tenantId: string, clusterId: string, runId: string) => `compliance/${tenantId}/${clusterId}/${runId}.json`;

/**
 * POST /agent/v1/compliance — kube-bench's --json output as kube-bench printed it. Untrusted: read
 * in depth (a report that is not kube-bench's is a 400 naming where). The raw report goes to the
 * archive bucket, its summary (totals per target, the failing checks) to the table, and the run is
 * an event on the cluster's stream.
 */
export async function complianceReport(req: AgentRequest): Promise<AgentResult> {
  const { cluster, claims } = req.agent!;
  const query = validate(ComplianceReportQuery, req.event.queryStringParameters ?? {}, 'query');
  // A run answers a scan only if that scan was asked for and is still open: an agent cannot make one up.
  if (query.scanId) {
    const scan = await lastScanRequest(claims.tenantId, cluster.id);
    const command = scan?.scanId === query.scanId ? await getCommand(claims.tenantId, cluster.id, scan.commandId).catch(() => undefined) : undefined;
    if (!command || isFinal(command.status)) throw conflict(`scan ${query.scanId} is not a scan of this cluster that is still waiting for its report`, 'query.scanId');
  }
  let summary;
  try {
    summary = summarizeKubeBench(req.body);
  } catch (err) {
    if (err instanceof ReportError) throw invalidField(err.path ? `body.${err.path}` : 'body', err.message);
    throw err;
  }
  // A run has one control per target kube-bench knows (a handful): the run's item must stay small.
  if (summary.targets.length > MAX_TARGETS) throw invalidField('body.Controls', `at most ${MAX_TARGETS} controls`);
  const at = req.now.toISOString();
  const runId = newTimeId('cis', req.now.getTime());
  const raw = JSON.stringify(req.body);
  const reportKey = complianceReportKey(claims.tenantId, cluster.id, runId);
  await (await archives()).putObject(reportKey, raw, 'application/json');
  const { totals, targets, failing, failingTruncated, form } = summary;
  await putComplianceRun(claims.tenantId, cluster.name, {
    id: runId,
    clusterId: cluster.id,
    scanId: query.scanId ?? `sched-${runId}`,
    node: query.node,
    trigger: query.scanId ? 'command' : 'schedule',
    at,
    totals,
    targets,
    form,
    reportKey,
    reportBytes: Buffer.byteLength(raw),
    failing,
    failingTruncated,
  });
  await appendEvent({
    clusterId: cluster.id,
    clusterName: cluster.name,
    tenantId: claims.tenantId,
    type: totals.fail > 0 ? 'Warning' : 'Normal',
    reason: 'ComplianceScanCompleted',
    message: `kube-bench on ${query.node}: ${totals.pass} pass, ${totals.fail} fail, ${totals.warn} warn, ${totals.info} info (${targets.map((t) => t.target).join(', ')})`,
    subject: query.node,
  }, `cis#${runId}`);
  return agentReply(201, { runId, totals });
}
