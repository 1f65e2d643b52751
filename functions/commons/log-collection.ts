import { LOG_ARCHIVE_DAYS, LOG_BUNDLE_MAX_BYTES, type LogRequest } from '../../core/log-bundles.js';
import { getLogRequest, moveLogRequest } from '../../adapters/dynamodb/log-requests-store.js';

/** The size cap of an archive: LOG_BUNDLE_MAX_BYTES, lower where the deployment sets LOG_BUNDLE_MAX_BYTES. */
export function logBundleCap(): number {
  const set = Number(process.env.LOG_BUNDLE_MAX_BYTES);
  return Number.isInteger(set) && set > 0 ? Math.min(set, LOG_BUNDLE_MAX_BYTES) : LOG_BUNDLE_MAX_BYTES;
}

/** The S3 code, loaded by the log routes only: heartbeats, the bulk of the agent API's calls, never pay for it. */
export const archives = () => import('../../adapters/s3/archives.js');

/**
 * A collectLogs command ended. Succeeded: the archive must be there and within the cap (S3's own
 * size, HeadObject: the policy is S3's to enforce, and an emulator or a bug may not); one over it
 * is deleted and the request fails. Failed: the request fails with the agent's reason.
 */
export async function logCollectionEnded(tenantId: string, request: Pick<LogRequest, 'clusterId' | 'id'>, outcome: { status: 'Succeeded' | 'Failed'; message?: string; result?: unknown }, at: string): Promise<void> {
  const current = await getLogRequest(tenantId, request.clusterId, request.id);
  if (current.status === 'Ready' || current.status === 'Failed') return;
  if (outcome.status === 'Failed') {
    await moveLogRequest(tenantId, current, 'Failed', at, { message: `the agent could not collect the logs: ${outcome.message ?? 'no reason given'}` });
    return;
  }
  const s3 = await archives();
  const size = await s3.objectSize(current.key);
  const cap = logBundleCap();
  if (size === undefined) {
    await moveLogRequest(tenantId, current, 'Failed', at, { message: 'the agent reported an upload, but no archive is stored' });
  } else if (size > cap) {
    await s3.deleteObject(current.key);
    await moveLogRequest(tenantId, current, 'Failed', at, { message: `the archive is ${size} bytes, over the ${cap}-byte cap: it was deleted` });
  } else {
    const { files, missing } = (outcome.result ?? {}) as { files?: number; missing?: number };
    const archiveExpiresAt = new Date(Date.parse(at) + LOG_ARCHIVE_DAYS * 86400_000).toISOString();
    await moveLogRequest(tenantId, current, 'Ready', at, { bytes: size, archiveExpiresAt, ...(files !== undefined ? { files } : {}), ...(missing !== undefined ? { missing } : {}) });
  }
}
