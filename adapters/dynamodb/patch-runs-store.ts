import type { PatchRun } from '../../core/os-patch.js';
import { clusterSk } from './clusters-store.js';
import { deleteKey, getItem, getRaw, listPrefix, putNew, table, tenantPk, transact, updateIf, type Page } from './definitions.js';

/**
 * Patch runs of a cluster (newest first by id, which starts with the run's time) and the cluster's
 * patch lock: a run patches only while it holds the lock, and takes it only while no reconcile is
 * under way (the cluster's generation is its observed one), in one transaction; the reconciler
 * waits while the lock is held. So a patch run and a reconcile never run at once on one cluster.
 */
const runSk = (clusterId: string, runId: string) => `PATCHRUN#${clusterId}#${runId}`;
const lockSk = (clusterId: string) => `PATCHLOCK#${clusterId}`;
const RUN_RETENTION_S = 400 * 86400;

/** A run as stored: with its version, which every update moves on. */
export type StoredRun = PatchRun & { readonly version: number; readonly commands?: Readonly<Record<string, string>>; readonly attempts?: Readonly<Record<string, number>>; readonly resumes?: string };

/** Record a new run; false when a run of that id exists already (a schedule delivered twice). */
export async function createRun(tenantId: string, run: StoredRun): Promise<boolean> {
  try {
    await transact([putNew({ pk: tenantPk(tenantId), sk: runSk(run.clusterId, run.id), kind: 'PATCHRUN', ...run, expiresAt: Math.floor(Date.parse(run.startedAt) / 1000) + RUN_RETENTION_S })]);
    return true;
  } catch (err) {
    if ((err as { status?: number }).status === 409) return false;
    throw err;
  }
}

export async function getRun(tenantId: string, clusterId: string, runId: string): Promise<StoredRun | undefined> {
  return getItem<StoredRun>(tenantPk(tenantId), runSk(clusterId, runId));
}

export async function listRuns(tenantId: string, clusterId: string, opts: { limit?: number; cursor?: string } = {}): Promise<Page<StoredRun>> {
  return listPrefix<StoredRun>(tenantPk(tenantId), `PATCHRUN#${clusterId}#`, { ...opts, newestFirst: true });
}

/** Write a run's new state if nobody moved it since `from` was read; the stored result, or undefined when it moved. */
export async function updateRun(tenantId: string, from: StoredRun, changes: Partial<StoredRun>): Promise<StoredRun | undefined> {
  const next: StoredRun = { ...from, ...changes, version: from.version + 1 };
  const fields = Object.entries(next).filter(([k, v]) => v !== undefined && k !== 'id' && k !== 'clusterId');
  const moved = await updateIf({
    Key: { pk: tenantPk(tenantId), sk: runSk(from.clusterId, from.id) },
    UpdateExpression: `SET ${fields.map((_, i) => `#f${i} = :f${i}`).join(', ')}`,
    ConditionExpression: '#v = :expected',
    ExpressionAttributeNames: { ...Object.fromEntries(fields.map(([k], i) => [`#f${i}`, k])), '#v': 'version' },
    ExpressionAttributeValues: { ...Object.fromEntries(fields.map(([, v], i) => [`:f${i}`, v])), ':expected': from.version },
  });
  return moved ? next : undefined;
}

export interface PatchLock {
  readonly runId: string;
  readonly acquiredAt: string;
}

export async function getPatchLock(tenantId: string, clusterId: string): Promise<PatchLock | undefined> {
  return (await getRaw(tenantPk(tenantId), lockSk(clusterId))) as PatchLock | undefined;
}

/**
 * Take the cluster's patch lock for a run: only while the cluster is Running with no reconcile
 * under way (its generation observed), and only if no other run holds it. True when the run holds it.
 */
export async function acquirePatchLock(tenantId: string, clusterId: string, runId: string, at: string): Promise<boolean> {
  const pk = tenantPk(tenantId);
  try {
    await transact([
      {
        ConditionCheck: {
          TableName: table(),
          Key: { pk, sk: clusterSk(clusterId) },
          ConditionExpression: '#phase = :running AND #g = #s.#og',
          ExpressionAttributeNames: { '#phase': 'phase', '#g': 'generation', '#s': 'status', '#og': 'observedGeneration' },
          ExpressionAttributeValues: { ':running': 'Running' },
        },
      },
      {
        Put: {
          TableName: table(),
          Item: { pk, sk: lockSk(clusterId), kind: 'PATCHLOCK', runId, acquiredAt: at },
          ConditionExpression: 'attribute_not_exists(pk) OR runId = :run',
          ExpressionAttributeValues: { ':run': runId },
        },
      },
    ]);
    return true;
  } catch (err) {
    if ((err as { status?: number }).status === 409) return false;
    throw err;
  }
}

/** Give the lock back (a no-op when this run does not hold it). */
export async function releasePatchLock(tenantId: string, clusterId: string, runId: string): Promise<void> {
  await transact([{ Delete: { ...deleteKey(tenantPk(tenantId), lockSk(clusterId)).Delete!, ConditionExpression: 'runId = :run', ExpressionAttributeValues: { ':run': runId } } }]).catch((err: { status?: number }) => {
    if (err.status !== 409) throw err;
  });
}

/** A deleted cluster's runs and lock go with it. */
export async function forgetPatchRuns(tenantId: string, clusterId: string): Promise<void> {
  const pk = tenantPk(tenantId);
  for (let page = await listRuns(tenantId, clusterId, { limit: 100 }); ; page = await listRuns(tenantId, clusterId, { limit: 100, cursor: page.nextCursor })) {
    for (const r of page.items) await transact([deleteKey(pk, runSk(clusterId, r.id))]);
    if (!page.nextCursor) break;
  }
  await transact([deleteKey(pk, lockSk(clusterId))]);
}
