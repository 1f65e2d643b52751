import type { Cluster, NodePool } from './clusters.js';

/** One node the cluster should have: stable name, zone spread round-robin over the pool's zones. */
export interface PlannedNode {
  readonly name: string;
  readonly pool: string;
  readonly role: NodePool['role'];
  readonly index: number;
  readonly zone: string;
  readonly instanceType: string;
  readonly diskGiB: number;
  /** Client token: the same node asked for twice is one instance (EC2 keeps tokens ~days). */
  readonly idempotencyToken: string;
}

export function planNodes(cluster: Pick<Cluster, 'id' | 'name' | 'nodePools'>): PlannedNode[] {
  return cluster.nodePools.flatMap((pool) =>
    Array.from({ length: pool.count }, (_, index) => ({
      name: `${cluster.name}-${pool.name}-${index}`.slice(0, 63),
      pool: pool.name,
      role: pool.role,
      index,
      zone: pool.zones[index % pool.zones.length]!,
      instanceType: pool.instanceType,
      diskGiB: pool.diskGiB,
      idempotencyToken: `${cluster.id}-${pool.name}-${index}`.slice(0, 64),
    })),
  );
}

/** All zones the cluster's pools use, in first-seen order. */
export function clusterZones(cluster: Pick<Cluster, 'nodePools'>): string[] {
  return [...new Set(cluster.nodePools.flatMap((p) => p.zones))];
}
