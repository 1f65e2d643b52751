import type { Cluster } from '../../core/clusters.js';
import { conflict } from '../../core/errors.js';

/** A cluster that may still change: not being deleted (409 otherwise). */
export function changeable(c: Pick<Cluster, 'id' | 'phase'>): void {
  if (c.phase === 'Deleting' || c.phase === 'Deleted') throw conflict(`cluster ${c.id} is ${c.phase}`, 'phase');
}

/** The version the caller read, when it sent one: a stale one is 409 rather than a change made over another. */
export function expectVersion(c: Pick<Cluster, 'id' | 'version'>, version: number | undefined): void {
  if (version !== undefined && version !== c.version) throw conflict(`cluster ${c.id} is at version ${c.version}, not ${version}; read it again and retry`, 'version');
}
