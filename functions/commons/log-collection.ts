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
 * A collectLogs command ended. Succeeded: the archive must be there, the size the agent says it
 * uploaded, and within the cap (S3's own size, HeadObject: the policy is S3's to enforce, and an
 * emulator or a bug may not); one that is not is deleted and the request fails. Failed: the
 * request fails with the agent's reason. Answers the request as it then stands.
 */
export async function logCollectionEnded(tenantId: string, request: Pick<LogRequest, 'clusterId' | 'id'>, outcome: { status: 'Succeeded' | 'Failed'; message?: string; result?: unknown }, at: string): Promise<LogRequest> {
  const current = await getLogRequest(tenantId, request.clusterId, request.id);
  if (current.status === 'Ready' || current.status === 'Failed') return current;
  const end = async (status: 'Ready' | 'Failed', fields: Parameters<typeof moveLogRequest>[4]) =>
    (await moveLogRequest(tenantId, current, status, at, fields)) ? { ...current, ...fields, status, updatedAt: at, finishedAt: at } : getLogRequest(tenantId, request.clusterId, request.id);
  if (outcome.status === 'Failed') return end('Failed', { message: `the agent could not collect the logs: ${outcome.message ?? 'no reason given'}` });
  const s3 = await archives();
  const size = await s3.objectSize(current.key);
  const cap = logBundleCap();
  const { bytes, files, missing } = (outcome.result ?? {}) as { bytes?: number; files?: number; missing?: number };
  if (size === undefined) return end('Failed', { message: 'the agent reported an upload, but no archive is stored' });
  if (size > cap) {
    await s3.deleteObject(current.key);
    return end('Failed', { message: `the archive is ${size} bytes, over the ${cap}-byte cap: it was deleted` });
  }
  if (bytes !== undefined && size !== bytes) {
    await s3.deleteObject(current.key);
    return end('Failed', { message: `the stored archive is ${size} bytes, not the ${bytes} the agent uploaded: it was deleted` });
  }
  const archiveExpiresAt = new Date(Date.parse(at) + LOG_ARCHIVE_DAYS * 86400_000).toISOString();
  return end('Ready', { bytes: size, archiveExpiresAt, ...(files !== undefined ? { files } : {}), ...(missing !== undefined ? { missing } : {}) });
}
