import { createHash } from 'node:crypto';
import type { Cloud, Pack } from './packs.js';

/**
 * Node images. An OS pack either names images that are used as they are (bring your own image
 * that already ships Kubernetes and needs nothing else), or it needs customization: Strata bakes
 * an image from the pack's base image (Kubernetes installed at the profile's version unless the
 * pack skips it, then the pack's Ansible roles in order), tags it with a signature of everything
 * that made it, and reuses it for every later cluster that needs the same signature.
 */

export type OsSettings = NonNullable<Pack['os']>;

/** How a cluster gets its node image from an OS pack. */
export type ImageDecision =
  | { readonly kind: 'asIs' }
  | {
      readonly kind: 'bake';
      /** Kubernetes version Strata installs (kubeadm, kubelet, kubectl, containerd); undefined when the image ships it. */
      readonly installKubernetes?: string;
      readonly roles: OsSettings['ansibleRoles'];
    };

/** Customization is needed when the pack lists Ansible roles or does not skip the Kubernetes install. */
export function imageDecision(os: OsSettings, kubernetesVersion: string): ImageDecision {
  if (os.skipK8sInstall && os.ansibleRoles.length === 0) return { kind: 'asIs' };
  return { kind: 'bake', installKubernetes: os.skipK8sInstall ? undefined : kubernetesVersion, roles: os.ansibleRoles };
}

/**
 * Why an OS pack cannot run a profile's Kubernetes version, or undefined: an image that ships
 * Kubernetes declares its version, and a profile must name that one.
 */
export function kubernetesMismatch(os: OsSettings, kubernetesVersion: string): string | undefined {
  if (!os.skipK8sInstall || !os.kubernetesVersion) return undefined;
  if (os.kubernetesVersion === kubernetesVersion) return undefined;
  return `the OS pack's image ships Kubernetes ${os.kubernetesVersion}, the Kubernetes layer names ${kubernetesVersion}; use a Kubernetes pack of ${os.kubernetesVersion}, or an OS pack with skipK8sInstall false so Strata installs ${kubernetesVersion}`;
}

/** What makes a baked image: the signature is a hash of exactly this. */
export interface SignatureInput {
  readonly cloud: Cloud;
  readonly arch: OsSettings['arch'];
  /** The base image's identity: the pack's name and its whole per-region map for this cloud (ids differ per region, the signature must not). */
  readonly baseImage: { readonly pack: string; readonly images: Readonly<Record<string, string>> };
  readonly kubernetesVersion?: string;
  readonly roles: readonly { readonly name: string; readonly source?: string; readonly version?: string; readonly digest?: string; readonly vars?: unknown }[];
  /** The version of the bake recipe (the generated playbook's shape): a new recipe makes new images. */
  readonly recipe: number;
}

/** Bumped when the generated bake (playbook, clean-up) changes what an image holds. */
export const BAKE_RECIPE_VERSION = 1;

/** JSON with every object's keys sorted, undefined members left out: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** sha256 (hex) of the canonical form: key order never changes it, any input that differs does. */
export function imageSignature(input: SignatureInput): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

/**
 * The signature input of an OS pack for a cluster's cloud and Kubernetes version. Role vars are
 * YAML text; `parseVars` turns them into data so that formatting and key order do not count.
 */
export function signatureInput(pack: Pick<Pack, 'name'> & { os: OsSettings }, cloud: Cloud, kubernetesVersion: string, parseVars: (text: string) => unknown): SignatureInput {
  const decision = imageDecision(pack.os, kubernetesVersion);
  return {
    cloud,
    arch: pack.os.arch,
    baseImage: { pack: pack.name, images: pack.os.images[cloud] ?? {} },
    kubernetesVersion: (decision.kind === 'bake' ? decision.installKubernetes : undefined) ?? pack.os.kubernetesVersion,
    roles: pack.os.ansibleRoles.map((r) => ({ name: r.name, source: r.source, version: r.version, digest: r.digest, vars: r.vars === undefined ? undefined : parseVars(r.vars) })),
    recipe: BAKE_RECIPE_VERSION,
  };
}

/** An image record's id: one per cloud account, region and signature, so claiming a bake is one conditional put. */
export function imageRecordId(cloudAccountId: string, region: string, signature: string): string {
  return `img-${createHash('sha256').update(`${cloudAccountId}\n${region}\n${signature}`).digest('hex').slice(0, 24)}`;
}

/** The name a baked image gets in the cloud (AMI names: 3-128 chars of letters, digits, ()[] ./-'@_). */
export const bakedImageName = (packName: string, signature: string) => `strata-${packName}-${signature.slice(0, 16)}`;

/** Image lifecycle. */
export const IMAGE_STATUSES = ['Pending', 'Baking', 'Copying', 'Available', 'Failed', 'Deleting'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** The step of a bake the record is at (what the console shows as progress). */
export type BakeStage = 'launchingBuilder' | 'customizing' | 'creatingImage' | 'copying' | 'cleaningUp' | 'done';

/** An image Strata baked or copied, in one cloud account and region. */
export interface ImageRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly signature: string;
  readonly cloud: Cloud;
  readonly cloudAccountId: string;
  readonly region: string;
  /** The cloud's id (AMI id, Azure gallery image version id, simulated image name); set once created. */
  readonly imageId?: string;
  readonly name: string;
  readonly status: ImageStatus;
  readonly stage?: BakeStage;
  /** The OS pack and the profile revision it was first made for. */
  readonly source: { readonly registryId: string; readonly packId: string; readonly packName: string; readonly packVersion: string; readonly profileId: string; readonly profileRevision: number };
  /** What was baked: Kubernetes version installed (if any) and the roles, by name. */
  readonly contents: { readonly kubernetesVersion?: string; readonly roles: readonly string[]; readonly arch: OsSettings['arch'] };
  /** What the bake needs, fixed when it is claimed (not shown by the API: role vars may be private). */
  readonly recipe?: BakeRecipe;
  /** Copied from another region's image rather than baked. */
  readonly copiedFrom?: { readonly region: string; readonly imageId: string };
  /** Attempts so far (each a bake-image execution). */
  readonly attempt: number;
  /**
   * The bake-image execution of the current attempt: named once per claim (Step Functions keeps a
   * finished execution's name for 90 days, and a deleted image's record starts again at attempt 1).
   */
  readonly execution?: string;
  /** The cluster whose provisioning started the current attempt. */
  readonly requestedBy: string;
  /** Builder instance of the current attempt, while there is one. */
  readonly builderId?: string;
  /** The builder's report: set when customization finished (or failed). */
  readonly customization?: { readonly succeeded: boolean; readonly message: string; readonly at: string };
  /** Why the last attempt failed, in the cloud's (or the playbook's) own words. */
  readonly failure?: { readonly code: string; readonly message: string; readonly retryable: boolean; readonly at: string };
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastUsedAt?: string;
  /** Optimistic-lock version. */
  readonly version: number;
}

export interface BakeRecipe {
  /** The pack's base image reference in the region (resolved when the builder launches). */
  readonly baseImageRef: string;
  readonly packName: string;
  readonly arch: OsSettings['arch'];
  readonly kubernetesVersion?: string;
  readonly roles: OsSettings['ansibleRoles'];
  /** Where the builder runs: the requesting cluster's network (it has egress to the package mirrors and to Strata). */
  readonly subnetId: string;
  readonly securityGroupId: string;
  readonly publicIp: boolean;
}

/** The instance type a builder runs on: small, general purpose, of the image's architecture. */
export function builderInstanceType(cloud: Cloud, arch: OsSettings['arch']): string {
  switch (cloud) {
    case 'aws':
      return arch === 'arm64' ? 't4g.medium' : 't3.medium';
    case 'azure':
      return arch === 'arm64' ? 'Standard_D2ps_v5' : 'Standard_D2s_v5';
    case 'local':
      return 'sim.medium';
  }
}

/** A builder that has not reported within this long has failed (a hung package mirror, a role waiting for input). */
export const BAKE_TIMEOUT_MINUTES = 60;
