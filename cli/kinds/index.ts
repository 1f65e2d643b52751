import { apiKeys } from './apikey.js';
import { cloudAccounts } from './cloudaccount.js';
import { clusters } from './cluster.js';
import { images } from './image.js';
import type { Kind } from './kind.js';
import { packs } from './pack.js';
import { profiles } from './profile.js';
import { projects } from './project.js';
import { registries } from './registry.js';
import { tenants } from './tenant.js';

/** Every kind of resource the CLI knows, in the order a manifest's resources depend on each other. */
export const KINDS: readonly Kind[] = [tenants, projects, apiKeys, registries, packs, cloudAccounts, profiles, clusters, images];

/** A kind by any name a user may type or a manifest may say: cluster, clusters, cl, Cluster. */
export function kindNamed(name: string): Kind | undefined {
  const n = name.toLowerCase();
  return KINDS.find((k) => k.name === n || k.plural === n || k.aliases.includes(n) || k.manifestKind.toLowerCase() === n);
}
