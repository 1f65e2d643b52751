import type { Cluster } from '../../core/cluster-record.js';
import type { CloudAccount } from '../../core/cloud-accounts.js';
import type { Profile } from '../../core/profiles.js';
import { requireAccess, visibleProjects } from '../../core/projects.js';
import type { Registry } from '../../core/registries.js';
import type { Principal, Role } from '../../core/roles.js';
import { getCloudAccount } from '../../adapters/dynamodb/cloud-accounts-store.js';
import { getCluster } from '../../adapters/dynamodb/clusters-store.js';
import { getProfile } from '../../adapters/dynamodb/profiles-store.js';
import { getRegistry } from '../../adapters/dynamodb/registries-store.js';

/**
 * Reads of a tenant's project resources on a caller's behalf: each read is followed by the one
 * project check (core/projects.ts requireAccess), so another project's resource is a 404 and a
 * role short of `needed` in its project a 403. `path` names the field that carried the id.
 */
export async function clusterFor(who: Principal, id: string, needed: Role = 'viewer', opts: { consistent?: boolean; path?: string } = {}): Promise<Cluster> {
  const cluster = await getCluster(who.tenantId, id, opts);
  requireAccess(who, cluster, needed, 'cluster', id, opts.path);
  return cluster;
}

export async function profileFor(who: Principal, id: string, needed: Role = 'viewer', path = 'id'): Promise<Profile> {
  const profile = await getProfile(who.tenantId, id, path);
  requireAccess(who, profile, needed, 'profile', id, path);
  return profile;
}

export async function cloudAccountFor(who: Principal, id: string, needed: Role = 'viewer', path = 'id'): Promise<CloudAccount> {
  const account = await getCloudAccount(who.tenantId, id, path);
  requireAccess(who, account, needed, 'cloud account', id, path);
  return account;
}

export async function registryFor(who: Principal, id: string, needed: Role = 'viewer', path = 'id'): Promise<Registry> {
  const registry = await getRegistry(who.tenantId, id);
  requireAccess(who, registry, needed, 'registry', id, path);
  return registry;
}

/** The list option that shows a caller the shared resources and those of its projects only. */
export const listedFor = (who: Principal): { projects?: readonly string[] } => {
  const projects = visibleProjects(who);
  return projects ? { projects } : {};
};
