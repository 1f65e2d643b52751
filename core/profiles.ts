import { z } from 'zod';
import { NewProjectId } from './projects.js';
import { Description, Text } from './text.js';
import { invalidField, validationFailed, type ErrorDetail } from './errors.js';
import { createHash } from 'node:crypto';
import { canonicalJson, kubernetesMismatch } from './images.js';
import { ResourceName, ValuesText, type Layer, type Pack } from './packs.js';

export const LayerInput = z.strictObject({
  registryId: Text(64, 1),
  packId: Text(64, 1),
  /** Values for this profile, YAML text; defaults to the pack's own values. */
  values: ValuesText.optional(),
});

export const CreateProfileInput = z
  .strictObject({
    name: ResourceName,
    projectId: NewProjectId,
    description: Description.optional(),
    layers: z.array(LayerInput).min(4).max(50),
  })
  .meta({ id: 'CreateProfileInput' });
export type CreateProfileInput = z.infer<typeof CreateProfileInput>;

export const UpdateProfileInput = z
  .strictObject({
    /** The profile version you read; a stale one is refused with 409. */
    version: z.int().positive(),
    description: Description.optional(),
    layers: z.array(LayerInput).min(4).max(50),
  })
  .meta({ id: 'UpdateProfileInput' });
export type UpdateProfileInput = z.infer<typeof UpdateProfileInput>;

/** A layer as pinned in a revision: a snapshot, so revisions never change under a cluster. */
export interface ResolvedLayer {
  readonly layer: Layer;
  readonly registryId: string;
  readonly packId: string;
  readonly name: string;
  readonly version: string;
  readonly values: string;
  /** What the agent applies: manifests or a Helm chart; none for os and k8s packs built into images. */
  readonly content?: Pack['content'];
}

export interface Profile {
  readonly id: string;
  readonly name: string;
  /** The project it belongs to (core/projects.ts); absent: shared by the tenant's projects. */
  readonly projectId?: string;
  readonly description?: string;
  readonly latestRevision: number;
  /** contentHash of the latest revision: a cluster whose revision has another one is behind. */
  readonly latestHash?: string;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ProfileRevision {
  readonly profileId: string;
  readonly revision: number;
  readonly layers: readonly ResolvedLayer[];
  readonly createdAt: string;
  /** revisionHash of its layers: two revisions with equal hashes run the same (a reverted change). */
  readonly contentHash?: string;
}

/**
 * What a cluster runs from a revision, as one short hash: equal layers (packs, versions, values,
 * content) give equal hashes, so a change reverted before it is applied is no update.
 */
export function revisionHash(layers: readonly ResolvedLayer[]): string {
  return createHash('sha256').update(canonicalJson(layers)).digest('base64url').slice(0, 22);
}

/** The hash of a revision, for revisions stored before they carried it. */
export const contentHashOf = (r: ProfileRevision): string => r.contentHash ?? revisionHash(r.layers);

const INFRA_ORDER: readonly Layer[] = ['os', 'k8s', 'cni', 'csi'];
export const MAX_REVISION_BYTES = 300 * 1024;

/**
 * Resolve each layer's pack and check the profile's shape: exactly one os, k8s, cni and csi,
 * in that order from the bottom, then any number of add-ons; no pack twice.
 * `lookup` returns undefined for a pack the caller cannot see.
 */
export function resolveLayers(
  layers: CreateProfileInput['layers'],
  lookup: (registryId: string, packId: string) => Pack | undefined,
): ResolvedLayer[] {
  const details: ErrorDetail[] = [];
  const resolved: ResolvedLayer[] = [];
  const packs: Pack[] = [];
  layers.forEach((l, i) => {
    const pack = lookup(l.registryId, l.packId);
    if (!pack) {
      details.push({ path: `layers[${i}].packId`, message: `pack ${l.packId} not found in registry ${l.registryId}` });
      return;
    }
    packs.push(pack);
    resolved.push({
      layer: pack.layer,
      registryId: l.registryId,
      packId: pack.id,
      name: pack.name,
      version: pack.version,
      values: l.values ?? pack.values,
      content: pack.content,
    });
  });
  if (details.length) throw validationFailed(details);

  INFRA_ORDER.forEach((layer, i) => {
    const count = resolved.filter((r) => r.layer === layer).length;
    if (count !== 1) {
      throw invalidField('layers', `a profile needs exactly one ${layer} layer, found ${count}`);
    }
    if (resolved[i]!.layer !== layer) {
      throw invalidField(`layers[${i}]`, `layer ${i} must be the ${layer} pack (order: os, k8s, cni, csi, then add-ons), found ${resolved[i]!.layer}`);
    }
  });
  // An image that ships Kubernetes runs only the version it ships.
  const os = packs[0]!.os;
  const mismatch = os && kubernetesMismatch(os, resolved[1]!.version);
  if (mismatch) throw invalidField('layers[1].packId', mismatch);
  // A revision is one DynamoDB item (400 KB): its pinned values and content must fit.
  const size = Buffer.byteLength(JSON.stringify(resolved));
  if (size > MAX_REVISION_BYTES) {
    throw invalidField('layers', `the packs of this profile hold ${Math.ceil(size / 1024)} KB of values and content; a revision holds at most ${MAX_REVISION_BYTES / 1024} KB`);
  }
  const seen = new Map<string, number>();
  resolved.forEach((r, i) => {
    const before = seen.get(r.name);
    if (before !== undefined) throw invalidField(`layers[${i}].packId`, `pack ${r.name} is already layer ${before}`);
    seen.set(r.name, i);
  });
  return resolved;
}
