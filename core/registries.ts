import { z } from 'zod';
import { NewProjectId } from './projects.js';
import { Description } from './text.js';
import { ResourceName } from './text.js';
import { PUBLIC_OWNER } from './tenants.js';

export const PUBLIC_REGISTRY_ID = 'public';

export const CreateRegistryInput = z
  .strictObject({
    name: ResourceName,
    projectId: NewProjectId,
    description: Description.optional(),
  })
  .meta({ id: 'CreateRegistryInput' });
export type CreateRegistryInput = z.infer<typeof CreateRegistryInput>;

export interface Registry {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  /** The project a private registry belongs to (core/projects.ts); absent: shared by the tenant's projects. */
  readonly projectId?: string;
  readonly scope: 'public' | 'private';
  /** Tenant that owns it; the public registry belongs to nobody. */
  readonly ownerTenantId: string;
  readonly createdAt: string;
}

export const PUBLIC_REGISTRY: Registry = {
  id: PUBLIC_REGISTRY_ID,
  name: 'public',
  description: 'Built-in registry of packs maintained by the platform',
  scope: 'public',
  ownerTenantId: PUBLIC_OWNER,
  createdAt: '2026-01-01T00:00:00.000Z',
};

/** The tenant whose partition holds a registry's packs. */
export function registryOwner(registryId: string, tenantId: string): string {
  return registryId === PUBLIC_REGISTRY_ID ? PUBLIC_OWNER : tenantId;
}
