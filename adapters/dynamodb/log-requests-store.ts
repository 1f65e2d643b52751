import type { Command } from '../../core/agent-commands.js';
import { notFound } from '../../core/errors.js';
import { LOG_ARCHIVE_DAYS, type LogRequest, type LogRequestStatus } from '../../core/log-bundles.js';
import { commandIssueConflict, commandIssueItems } from './commands-store.js';
import { getItem, listPrefix, putNew, tenantPk, transact, updateIf, type Page } from './definitions.js';

/**
 * Log bundle requests: `LOG#<cluster>#<id>` in the tenant's partition (ids sort by time, so a list
 * is newest first). Written with the command that collects it, in one transaction: there is never
 * a request no agent will hear of, nor a collection no request shows.
 */
const logSk = (clusterId: string, id: string) => `LOG#${clusterId}#${id}`;
const OPEN: readonly LogRequestStatus[] = ['Pending', 'Collecting'];

export async function createLogRequest(tenantId: string, request: LogRequest, command: Command): Promise<void> {
  // Kept a day past its archive: after that there is nothing left to download.
  const expiresAt = Math.floor(Date.parse(request.requestedAt) / 1000) + (LOG_ARCHIVE_DAYS + 1) * 86400;
  await transact([...commandIssueItems(tenantId, command), putNew({ pk: tenantPk(tenantId), sk: logSk(request.clusterId, request.id), ...request, kind: 'LOGREQUEST', expiresAt })], (i) =>
    commandIssueConflict(command, i),
  );
}

export async function getLogRequest(tenantId: string, clusterId: string, id: string): Promise<LogRequest> {
  const r = await getItem<LogRequest>(tenantPk(tenantId), logSk(clusterId, id));
  if (!r) throw notFound('log request', id, 'path.requestId');
  return r;
}

export async function listLogRequests(tenantId: string, clusterId: string, opts: { limit?: number; cursor?: string }): Promise<Page<LogRequest>> {
  return listPrefix<LogRequest>(tenantPk(tenantId), `LOG#${clusterId}#`, { ...opts, newestFirst: true });
}

/**
 * Move an open request on (to Collecting, Ready or Failed) with what is known of it; a request
 * already Ready or Failed never changes again, so of two reports racing one wins. Returns whether
 * this call moved it.
 */
export async function moveLogRequest(
  tenantId: string,
  r: Pick<LogRequest, 'clusterId' | 'id'>,
  status: LogRequestStatus,
  at: string,
  fields: Partial<Pick<LogRequest, 'bytes' | 'files' | 'missing' | 'message' | 'archiveExpiresAt'>> = {},
): Promise<boolean> {
  const final = status === 'Ready' || status === 'Failed';
  const set: Record<string, unknown> = { status, updatedAt: at, ...(final ? { finishedAt: at } : {}), ...fields };
  const names = Object.fromEntries(Object.keys(set).map((k) => [`#${k}`, k]));
  const values = Object.fromEntries(Object.entries(set).map(([k, v]) => [`:${k}`, v]));
  return updateIf({
    Key: { pk: tenantPk(tenantId), sk: logSk(r.clusterId, r.id) },
    UpdateExpression: `SET ${Object.keys(set)
      .map((k) => `#${k} = :${k}`)
      .join(', ')}`,
    ConditionExpression: 'attribute_exists(pk) AND #status IN (:open0, :open1)',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: { ...values, ':open0': OPEN[0], ':open1': OPEN[1] },
  });
}
