import { conflict, forbidden, notFound } from '../../core/errors.js';
import type { Pack } from '../../core/packs.js';
import { PUBLIC_REGISTRY, PUBLIC_REGISTRY_ID, registryOwner, type Registry } from '../../core/registries.js';
import { PUBLIC_OWNER } from '../../core/tenants.js';
import {
  entitySk,
  getItem,
  listAll,
  listPrefix,
  nameLock,
  nameSk,
  putNew,
  table,
  tenantPk,
  transact,
  type ListOptions,
  type Page,
} from './definitions.js';
import { noSuchProject, projectMembership } from './project-membership.js';

const packSk = (registryId: string, packId: string) => `PACK#${registryId}#${packId}`;
/** A registry holds one pack per name and version. */
const packName = (registryId: string, p: Pick<Pack, 'name' | 'version'>) => `${registryId}#${p.name}@${p.version}`;

/** A registry of a project joins it in the same transaction: the project must exist, and is not deleted while the registry is. */
export async function createRegistry(tenantId: string, registry: Registry): Promise<void> {
  const pk = tenantPk(tenantId);
  const { projectId } = registry;
  await transact(
    [
      putNew({ pk, sk: entitySk('REGISTRY', registry.id), kind: 'REGISTRY', ...registry, packCount: 0 }),
      nameLock(pk, 'REGISTRY', registry.name, registry.id),
      ...(projectId ? [projectMembership(tenantId, projectId, 1)] : []),
    ],
    (i) => (i === 2 && projectId ? noSuchProject(projectId) : conflict(i === 1 ? `a registry named ${registry.name} already exists` : 'registry id collision; retry', 'name')),
  );
}

/** The public registry or one of the tenant's own; undefined for any other id (another tenant's too). */
export async function findRegistry(tenantId: string, id: string): Promise<Registry | undefined> {
  if (id === PUBLIC_REGISTRY_ID) return PUBLIC_REGISTRY;
  return getItem<Registry & { packCount?: number }>(tenantPk(tenantId), entitySk('REGISTRY', id));
}

/** The public registry or one of the caller's own; another tenant's is not found. */
export async function getRegistry(tenantId: string, id: string): Promise<Registry> {
  const reg = await findRegistry(tenantId, id);
  if (!reg) throw notFound('registry', id);
  return reg;
}

/** The public registry first, then the tenant's (only the shared ones and those of `projects`, when given). */
export async function listRegistries(tenantId: string, opts: Pick<ListOptions, 'projects'> = {}): Promise<Registry[]> {
  return [PUBLIC_REGISTRY, ...(await listAll<Registry>(tenantPk(tenantId), 'REGISTRY#', opts))];
}

/** Delete a registry read just before (its name lock and its project's count go with it). */
export async function deleteRegistry(tenantId: string, reg: Registry): Promise<void> {
  const { id } = reg;
  if (id === PUBLIC_REGISTRY_ID) throw forbidden('the public registry cannot be deleted');
  const pk = tenantPk(tenantId);
  await transact(
    [
      {
        Delete: {
          TableName: table(),
          Key: { pk, sk: entitySk('REGISTRY', id) },
          ConditionExpression: 'attribute_exists(pk) AND packCount = :zero',
          ExpressionAttributeValues: { ':zero': 0 },
        },
      },
      { Delete: { TableName: table(), Key: { pk, sk: nameSk('REGISTRY', reg.name) } } },
      ...(reg.projectId ? [projectMembership(tenantId, reg.projectId, -1)] : []),
    ],
    () => conflict(`registry ${id} still holds packs, or was deleted meanwhile; packs are permanent, so a registry with packs cannot be deleted`, 'id'),
  );
}

/** Add a pack to a private registry; the registry's pack count moves in the same transaction. */
export async function createPack(tenantId: string, pack: Pack): Promise<void> {
  const pk = tenantPk(tenantId);
  await transact(
    [
      putNew({ pk, sk: packSk(pack.registryId, pack.id), kind: 'PACK', ...pack }),
      putNew({ pk, sk: nameSk('PACK', packName(pack.registryId, pack)), kind: 'NAME', id: pack.id }),
      {
        Update: {
          TableName: table(),
          Key: { pk, sk: entitySk('REGISTRY', pack.registryId) },
          UpdateExpression: 'SET packCount = packCount + :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1 },
        },
      },
    ],
    (i) =>
      i === 1
        ? conflict(`pack ${pack.name} ${pack.version} already exists in registry ${pack.registryId}; publish a new version`, 'version')
        : i === 2
          ? notFound('registry', pack.registryId)
          : conflict('pack id collision; retry'),
  );
}

/** Seed or update a pack of the built-in public registry (platform-owned; no registry item). */
export async function putPublicPack(pack: Pack): Promise<boolean> {
  const pk = tenantPk(PUBLIC_OWNER);
  try {
    await transact([
      putNew({ pk, sk: packSk(PUBLIC_REGISTRY_ID, pack.id), kind: 'PACK', ...pack }),
      putNew({ pk, sk: nameSk('PACK', packName(PUBLIC_REGISTRY_ID, pack)), kind: 'NAME', id: pack.id }),
    ]);
    return true;
  } catch {
    return false; // already seeded
  }
}

export async function getPack(tenantId: string, registryId: string, packId: string): Promise<Pack | undefined> {
  return getItem<Pack>(tenantPk(registryOwner(registryId, tenantId)), packSk(registryId, packId));
}

export async function listPacks(
  tenantId: string,
  registryId: string,
  opts: { limit?: number; cursor?: string; filter?: Record<string, string> },
): Promise<Page<Pack>> {
  return listPrefix<Pack>(tenantPk(registryOwner(registryId, tenantId)), `PACK#${registryId}#`, opts);
}
