import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { isFinal, newCommand, type Command } from '../../core/agent-commands.js';
import { clock } from '../../core/clock.js';
import { conflict, DomainError } from '../../core/errors.js';
import { newTimeId } from '../../core/ids.js';
import { visibleProjects } from '../../core/projects.js';
import { clusterIdsOfProjects } from '../../adapters/dynamodb/clusters-store.js';
import { getCommand } from '../../adapters/dynamodb/commands-store.js';
import { getComplianceRun, lastScanRequest, listComplianceRuns, listLatestCompliance, requestScan, type ComplianceRunDetail } from '../../adapters/dynamodb/compliance-store.js';
import { archives } from '../commons/log-collection.js';
import { clusterFor } from '../commons/access.js';
import { changeable } from '../commons/cluster-guards.js';
import { httpApi, json, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { ListQuery } from './queries.js';

/** The command, while it is open and before its deadline; none once it ended or is gone. */
async function openCommand(tenantId: string, clusterId: string, id: string): Promise<Command | undefined> {
  try {
    const c = await getCommand(tenantId, clusterId, id);
    return isFinal(c.status) || clock.date().toISOString() >= c.deadline ? undefined : c;
  } catch (err) {
    if (err instanceof DomainError && err.status === 404) return undefined;
    throw err;
  }
}

/** How long the raw report's URL works. */
const REPORT_URL_SECONDS = 300;

/** A run as the API shows it: the raw report as a short-lived URL, not a key. */
async function runView({ reportKey, ...run }: ComplianceRunDetail) {
  return { ...run, report: await (await archives()).presignDownload(reportKey, REPORT_URL_SECONDS, `${run.id}.json`) };
}
const summaryView = <T extends { reportKey: string }>({ reportKey: _k, ...run }: T) => run;

/** CIS compliance from kube-bench: runs per cluster and across the tenant; scans on demand (editors). */
export const handler = middy(
  router({
    'GET /v1/clusters/{id}/compliance': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      const query = parseQuery(event, ListQuery);
      const [history, scan] = await Promise.all([listComplianceRuns(who.tenantId, cluster.id, query), lastScanRequest(who.tenantId, cluster.id)]);
      const newest = !query.cursor ? history.items[0] : undefined;
      const latest = newest ? await runView(await getComplianceRun(who.tenantId, cluster.id, newest.id)) : undefined;
      // A scan asked for shows until a run answers it, while its command is open and not past its deadline.
      const answered = scan && history.items.some((r) => r.scanId === scan.scanId);
      const command = scan && !answered ? await openCommand(who.tenantId, cluster.id, scan.commandId) : undefined;
      const scanning = scan && command ? { ...scan, status: command.status } : undefined;
      return json(200, {
        clusterId: cluster.id,
        ...(latest ? { latest } : {}),
        history: history.items.map(summaryView),
        ...(history.nextCursor ? { nextCursor: history.nextCursor } : {}),
        ...(scanning ? { scanning } : {}),
      });
    },
    'GET /v1/clusters/{id}/compliance/runs/{runId}': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'));
      return json(200, await runView(await getComplianceRun(who.tenantId, cluster.id, pathParam(event, 'runId'))));
    },
    'POST /v1/clusters/{id}/compliance/scans': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'), 'editor');
      changeable(cluster);
      if (cluster.phase !== 'Running') throw conflict(`cluster ${cluster.id} is ${cluster.phase}: kube-bench runs on a Running cluster`, 'phase');
      const now = clock.date();
      const at = now.toISOString();
      const scanId = newTimeId('scan', now.getTime());
      const command = newCommand(cluster.id, 'runCisScan', { scanId }, now);
      await requestScan(who.tenantId, { scanId, commandId: command.id, requestedAt: at }, command);
      return json(202, { scanId, commandId: command.id, status: command.status });
    },
    'GET /v1/compliance': async (event) => {
      const who = principalOf(event);
      const query = parseQuery(event, ListQuery);
      // A caller with project roles: the clusters it sees, named in the read (the ids of one query over
      // the tenant's clusters). A tenant-wide caller's read is unchanged.
      const projects = visibleProjects(who);
      const clusterIds = projects && (await clusterIdsOfProjects(who.tenantId, projects));
      const page = await listLatestCompliance(who.tenantId, { ...query, ...(clusterIds ? { clusterIds } : {}) });
      // Most failing first within the page: what needs attention leads.
      const items = [...page.items].sort((a, b) => b.totals.fail - a.totals.fail || a.clusterName.localeCompare(b.clusterName));
      return json(200, { ...page, items });
    },
  }),
)
  .use(injectLambdaContext(logger))
  .use(httpApi());
