import { z } from 'zod';
import { DomainError } from './errors.js';

/**
 * What a platform operator lets a tenant run: clusters, and nodes across them (every pool's count,
 * control planes included). No quota set means no limit. A cluster counts until it is Deleted:
 * while it is deleting, its machines still run.
 */
export interface TenantQuotas {
  readonly clusters?: number;
  readonly nodes?: number;
}

export interface TenantUsage {
  readonly clusters: number;
  readonly nodes: number;
}

/** Change of a tenant's usage that a write makes. */
export interface UsageDelta {
  readonly clusters: number;
  readonly nodes: number;
}

export const QUOTA_KINDS = ['clusters', 'nodes'] as const;
export const MAX_QUOTA = 1_000_000;

const Limit = z.int().min(0).max(MAX_QUOTA).nullable().optional();
/** PUT /v1/tenants/{id}/quotas: a number sets a quota, null lifts it, absent leaves it as it is. */
export const SetQuotasInput = z
  .strictObject({
    clusters: Limit.meta({ description: 'clusters the tenant may have (not yet Deleted); null: no limit' }),
    nodes: Limit.meta({ description: "nodes across the tenant's clusters (every pool's count); null: no limit" }),
  })
  .meta({ id: 'SetQuotasInput' });
export type SetQuotasInput = z.infer<typeof SetQuotasInput>;

/** Nodes a cluster asks for: every pool's count. */
export const nodesOf = (pools: readonly { readonly count: number }[]): number => pools.reduce((sum, p) => sum + p.count, 0);

/** The quotas after a change: numbers set, nulls lifted, the rest kept. */
export function applyQuotas(current: TenantQuotas, change: SetQuotasInput): TenantQuotas {
  const out: { clusters?: number; nodes?: number } = { ...current };
  for (const kind of QUOTA_KINDS) {
    const v = change[kind];
    if (v === null) delete out[kind];
    else if (v !== undefined) out[kind] = v;
  }
  return out;
}

/** The first quota a change would exceed, or undefined. Decreases never exceed (a lowered quota does not stop a scale-down). */
export function exceededQuota(quotas: TenantQuotas, usage: TenantUsage, delta: UsageDelta): { kind: (typeof QUOTA_KINDS)[number]; limit: number; wanted: number } | undefined {
  for (const kind of QUOTA_KINDS) {
    const limit = quotas[kind];
    if (limit === undefined || delta[kind] <= 0) continue;
    const wanted = usage[kind] + delta[kind];
    if (wanted > limit) return { kind, limit, wanted };
  }
  return undefined;
}

/** 403, as Kubernetes answers a request past a ResourceQuota: naming the quota (quotas.<kind>) and the usage. */
export function quotaExceeded(e: { kind: (typeof QUOTA_KINDS)[number]; limit: number; wanted: number }, usage: TenantUsage): DomainError {
  const path = `quotas.${e.kind}`;
  const message = `exceeds the tenant's quota of ${e.limit} ${e.kind}: ${usage[e.kind]} in use, this would make ${e.wanted}; ask a platform operator to raise it`;
  return new DomainError(403, 'QuotaExceeded', message, [{ path, message }]);
}
