import { hashApiKey, type ApiKeyRecord } from '../../core/api-keys.js';
import { DomainError } from '../../core/errors.js';
import { resolveLayers, type Profile, type ProfileRevision } from '../../core/profiles.js';
import { PUBLIC_PACKS, SAMPLE_PROFILE } from '../../core/public-catalog.js';
import { PUBLIC_REGISTRY_ID } from '../../core/registries.js';
import { DEFAULT_TENANT_ID } from '../../core/tenants.js';
import { createApiKey, findApiKeyByHash } from './api-keys-store.js';
import { createProfile } from './profiles-store.js';
import { putPublicPack } from './registries-store.js';
import { moveIntoDefaultProject } from './projects-store.js';
import { createTenant, getTenant, listTenants } from './tenants-store.js';
import { clock } from '../../core/clock.js';

/**
 * Make a platform ready to use, idempotently: tenant "default" whose admin key is also the
 * platform operator key, the public registry's packs, and a sample profile (shared by the default
 * tenant's projects). Every tenant made before projects has what it held moved into its default project.
 */
export async function bootstrapPlatform(operatorKey: string): Promise<{ tenantCreated: boolean; packsSeeded: number; movedIntoProjects: number }> {
  const now = clock.date().toISOString();
  const hash = hashApiKey(operatorKey);
  const record: ApiKeyRecord = { id: 'key-operator', tenantId: DEFAULT_TENANT_ID, name: 'platform operator', role: 'admin', operator: true, hash, createdAt: now };
  let tenantCreated = false;
  if (!(await getTenant(DEFAULT_TENANT_ID))) {
    await createTenant({ id: DEFAULT_TENANT_ID, name: DEFAULT_TENANT_ID, displayName: 'Default tenant', createdAt: now }, record);
    tenantCreated = true;
  } else if (!(await findApiKeyByHash(hash))) {
    // A new operator key for an existing platform (STRATA_API_KEY changed): register it too.
    await createApiKey({ ...record, id: `key-operator-${hash.slice(0, 8)}` });
  }

  let packsSeeded = 0;
  for (const pack of PUBLIC_PACKS) if (await putPublicPack(pack)) packsSeeded++;

  const byId = new Map(PUBLIC_PACKS.map((p) => [p.id, p]));
  const layers = resolveLayers(
    SAMPLE_PROFILE.packIds.map((packId) => ({ registryId: PUBLIC_REGISTRY_ID, packId })),
    (_r, id) => byId.get(id),
  );
  const profile: Profile = { id: 'pf-sample', name: SAMPLE_PROFILE.name, description: SAMPLE_PROFILE.description, latestRevision: 1, version: 1, createdAt: now, updatedAt: now };
  const revision: ProfileRevision = { profileId: profile.id, revision: 1, layers, createdAt: now };
  try {
    await createProfile(DEFAULT_TENANT_ID, profile, revision);
  } catch (err) {
    if (!(err instanceof DomainError && err.status === 409)) throw err; // already there
  }
  let movedIntoProjects = 0;
  for (const tenant of await listTenants()) movedIntoProjects += (await moveIntoDefaultProject(tenant.id)).moved;
  return { tenantCreated, packsSeeded, movedIntoProjects };
}
