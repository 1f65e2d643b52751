import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { newCommand, type Command } from '../../core/agent-commands.js';
import type { Cluster } from '../../core/clusters.js';
import { clock } from '../../core/clock.js';
import { conflict, DomainError } from '../../core/errors.js';
import { newTimeId } from '../../core/ids.js';
import { DOWNLOAD_URL_SECONDS, LogRequestInput, logArchiveKey, logBundleFileName, type LogRequest } from '../../core/log-bundles.js';
import { getCommand, updateCommand } from '../../adapters/dynamodb/commands-store.js';
import { createLogRequest, getLogRequest, listLogRequests, moveLogRequest } from '../../adapters/dynamodb/log-requests-store.js';
import { clusterFor } from '../commons/access.js';
import { changeable } from '../commons/cluster-guards.js';
import { archives, logCollectionEnded } from '../commons/log-collection.js';
import { httpApi, json, parseBody, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { ListQuery } from './queries.js';

/** The request's command, or none when it is gone (a read that fails otherwise is not a verdict). */
async function commandOf(tenantId: string, r: LogRequest): Promise<Command | undefined> {
  try {
    return await getCommand(tenantId, r.clusterId, r.commandId);
  } catch (err) {
    if (err instanceof DomainError && err.status === 404) return undefined;
    throw err;
  }
}

/**
 * The request as it stands. While open it follows its command (Pending until the agent has it,
 * then Collecting). A command that failed, or that this read expires at its deadline (under the
 * same condition an agent's report meets, so of the two one wins), fails the request: no report
 * will ever come for it. One whose report came but whose archive was not checked then (S3 was
 * unreachable) is checked now.
 */
async function current(tenantId: string, r: LogRequest, again = true): Promise<LogRequest> {
  if (r.status === 'Ready' || r.status === 'Failed') return r;
  const command = await commandOf(tenantId, r);
  const at = clock.date().toISOString();
  if (command?.status === 'Succeeded') {
    try {
      return await logCollectionEnded(tenantId, r, { status: 'Succeeded', result: command.result }, at);
    } catch (err) {
      logger.warn('log bundle not checked yet', { requestId: r.id, error: err as Error });
      return { ...r, status: 'Collecting' };
    }
  }
  let ended = !command || command.status === 'Failed' || command.status === 'Expired';
  if (command && !ended && at >= command.deadline) {
    ended = await updateCommand(tenantId, command, 'Expired', { message: `no outcome by its deadline ${command.deadline}` }, at);
    // The agent's report won: follow what it said.
    if (!ended) return again ? current(tenantId, await getLogRequest(tenantId, r.clusterId, r.id), false) : r;
  }
  if (ended) {
    const message = !command
      ? 'its collecting command is gone'
      : command.status === 'Failed'
        ? `the agent could not collect the logs: ${command.message ?? 'no reason given'}`
        : `no agent finished collecting by ${command.deadline}: is the cluster's agent reporting?`;
    return (await moveLogRequest(tenantId, r, 'Failed', at, { message })) ? { ...r, status: 'Failed', message, updatedAt: at, finishedAt: at } : getLogRequest(tenantId, r.clusterId, r.id);
  }
  return command!.status === 'Pending' ? r : { ...r, status: 'Collecting' };
}

/** The request as the API shows it: the object key stays inside. */
const shown = ({ key: _key, ...r }: LogRequest) => r;

/** The API's view of one request: a download URL, freshly signed, when Ready. */
async function view(cluster: Cluster, r: LogRequest) {
  if (r.status !== 'Ready') return shown(r);
  // The bucket's lifecycle rule has deleted it: say so rather than sign a URL to nothing.
  if (r.archiveExpiresAt && r.archiveExpiresAt <= clock.date().toISOString()) return { ...shown(r), message: `the archive expired at ${r.archiveExpiresAt}; ask for a new bundle` };
  const fileName = logBundleFileName(cluster.name, r.id);
  return { ...shown(r), download: { ...(await (await archives()).presignDownload(r.key, DOWNLOAD_URL_SECONDS, fileName)), fileName } };
}

/**
 * Log bundles (editors and admins: logs can hold what viewers may not see). A request is a
 * collectLogs command to the cluster's agent, written with it in one transaction.
 */
export const handler = middy(
  router({
    'POST /v1/clusters/{id}/logs': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'), 'editor');
      const input = parseBody(event, LogRequestInput);
      changeable(cluster);
      if (cluster.phase === 'Pending') throw conflict(`cluster ${cluster.id} has no nodes yet: there are no logs to collect`, 'phase');
      const now = clock.date();
      const at = now.toISOString();
      const id = newTimeId('log', now.getTime());
      const command = newCommand(cluster.id, 'collectLogs', { requestId: id, ...input }, now);
      const request: LogRequest = {
        id,
        clusterId: cluster.id,
        status: 'Pending',
        ...input,
        commandId: command.id,
        key: logArchiveKey(who.tenantId, cluster.id, id),
        requestedAt: at,
        requestedBy: who.keyId,
        updatedAt: at,
      };
      await createLogRequest(who.tenantId, request, command);
      return json(202, shown(request));
    },
    'GET /v1/clusters/{id}/logs': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'), 'editor');
      const page = await listLogRequests(who.tenantId, cluster.id, parseQuery(event, ListQuery));
      // Lists show status; a download URL comes with GET of one request.
      return json(200, { ...page, items: (await Promise.all(page.items.map((r) => current(who.tenantId, r)))).map(shown) });
    },
    'GET /v1/clusters/{id}/logs/{requestId}': async (event) => {
      const who = principalOf(event);
      const cluster = await clusterFor(who, pathParam(event, 'id'), 'editor');
      const r = await current(who.tenantId, await getLogRequest(who.tenantId, cluster.id, pathParam(event, 'requestId')));
      return json(200, await view(cluster, r));
    },
  }),
)
  .use(injectLambdaContext(logger))
  .use(httpApi());
