import type { Command } from '../../core/agent-commands.js';
import { conflict, notFound } from '../../core/errors.js';
import { LOG_ARCHIVE_DAYS, type LogRequest, type LogRequestStatus } from '../../core/log-bundles.js';
import { commandIssueConflict, commandIssueItems } from './commands-store.js';
import { getRaw, listPrefix, putNew, strip, table, tenantPk, transact, updateIf, type Page } from './definitions.js';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './client.js';
import { isConditionFailed } from './errors.js';

/**
 * Log bundle requests: `LOG#<cluster>#<id>` in the tenant's partition (ids sort by time, so a list
 * is newest first). Written with the command that collects it, in one transaction: there is never
 * a request no agent will hear of, nor a collection no request shows. `LOGOPEN#<cluster>` marks
 * the one collection a cluster may run at a time (an agent holds a bundle in memory while it
 * makes it); it lapses at the command's deadline whatever happens, and goes when the request ends.
 */
const logSk = (clusterId: string, id: string) => `LOG#${clusterId}#${id}`;
const openSk = (clusterId: string) => `LOGOPEN#${clusterId}`;
const OPEN: readonly LogRequestStatus[] = ['Pending', 'Collecting'];

export async function createLogRequest(tenantId: string, request: LogRequest, command: Command): Promise<void> {
  const pk = tenantPk(tenantId);
  // Kept a day past its archive: after that there is nothing left to download.
  const expiresAt = Math.floor(Date.parse(request.requestedAt) / 1000) + (LOG_ARCHIVE_DAYS + 1) * 86400;
  await transact(
    [
      ...commandIssueItems(tenantId, command),
      putNew({ pk, sk: logSk(request.clusterId, request.id), ...request, kind: 'LOGREQUEST', expiresAt }),
      {
        Put: {
          TableName: table(),
          Item: { pk, sk: openSk(request.clusterId), kind: 'LOGOPEN', requestId: request.id, until: command.deadline, expiresAt: Math.ceil(Date.parse(command.deadline) / 1000) },
          ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': request.requestedAt },
        },
      },
    ],
    (i) => (i === 3 ? conflict('a log bundle of this cluster is being collected: one at a time, wait for it to end (its status is in GET …/logs)', 'id') : commandIssueConflict(command, i)),
  );
}

/** The request as last written (a consistent read: right after a change, the change). */
export async function getLogRequest(tenantId: string, clusterId: string, id: string): Promise<LogRequest> {
  const r = await getRaw(tenantPk(tenantId), logSk(clusterId, id));
  if (!r) throw notFound('log request', id, 'path.requestId');
  return strip<LogRequest>(r);
}

export async function listLogRequests(tenantId: string, clusterId: string, opts: { limit?: number; cursor?: string }): Promise<Page<LogRequest>> {
  return listPrefix<LogRequest>(tenantPk(tenantId), `LOG#${clusterId}#`, { ...opts, newestFirst: true });
}

/**
 * Move an open request on (to Collecting, Ready or Failed) with what is known of it; a request
 * already Ready or Failed never changes again, so of two reports racing one wins. Returns whether
 * this call moved it. An ended request frees its cluster for the next one.
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
  const moved = await updateIf({
    Key: { pk: tenantPk(tenantId), sk: logSk(r.clusterId, r.id) },
    UpdateExpression: `SET ${Object.keys(set)
      .map((k) => `#${k} = :${k}`)
      .join(', ')}`,
    ConditionExpression: 'attribute_exists(pk) AND #status IN (:open0, :open1)',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: { ...values, ':open0': OPEN[0], ':open1': OPEN[1] },
  });
  if (moved && final) {
    try {
      await documentClient().send(
        new DeleteCommand({ TableName: table(), Key: { pk: tenantPk(tenantId), sk: openSk(r.clusterId) }, ConditionExpression: 'requestId = :id', ExpressionAttributeValues: { ':id': r.id } }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err; // a later request's mark: not this one's to remove
    }
  }
  return moved;
}
