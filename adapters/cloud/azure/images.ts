import type { ComputeManagementClient, GalleryImage, GalleryImageVersion, TargetRegion, VirtualMachine } from '@azure/arm-compute';
import type { ResourceManagementClient } from '@azure/arm-resources';
import { CloudError, TAG_BAKE, TAG_IMAGE_SIGNATURE, TAG_NAME, type BakedImage, type CopyImageSpec, type CreateImageSpec } from '../../../core/cloud.js';
import { azureCall, isNotFound, toCloudError } from './errors.js';
import { parseImageRef, sameLocation } from './image-ref.js';

/**
 * Baked node images on Azure, the way Azure Image Builder and Packer's azure-arm builder make them:
 * a builder VM is customized, deallocated and generalized, and becomes an image version in an Azure
 * Compute Gallery; other regions get the same version by replication.
 *
 * Layout, in the account's image resource group (`strata-images` unless the provider is given one):
 * - one gallery per region builders run in, `strata_images_<region>`. A gallery's definitions and
 *   versions live in the gallery's location, and a version captured from a VM is made in the VM's
 *   (Packer's azure-arm, too, creates the version in its build location): a gallery per region
 *   keeps every bake in its own region, whichever region baked first;
 * - one image definition per OS pack and architecture, `<pack>-<amd64|arm64>` (Linux, Generalized,
 *   Hyper-V generation 2, publisher `strata`, offer the pack, SKU the architecture);
 * - one image version per signature, named by imageVersionName(), tagged with the signature
 *   (TAG_IMAGE_SIGNATURE), the bake (TAG_BAKE) and the bake's own tags. Copying to another region
 *   adds that region to the version's target regions: the version's id is the image's id in every
 *   region it is replicated to, so deleting the image in one region takes only that region out
 *   (deleteGalleryImage);
 * - the builders: VM `strata-builder-<bakeId>` with its NIC, OS disk and (if asked) public IP.
 */

/** The account's image resource group when the provider is given neither an image group nor a shared group. */
export const IMAGE_RESOURCE_GROUP = 'strata-images';
export const IMAGE_PUBLISHER = 'strata';
export const VERSION_TYPE = 'microsoft.compute/galleries/images/versions';

/** Gallery names: letters, digits, underscores and periods (no dashes); Azure regions are letters and digits. */
export const galleryName = (region: string) => `strata_images_${region.replace(/[^A-Za-z0-9]/g, '').toLowerCase()}`;

export const builderName = (bakeId: string) => `strata-builder-${bakeId}`;

export type Arch = 'amd64' | 'arm64';

/** An image definition per OS pack and architecture (names: letters, digits, dashes, periods, underscores, up to 80). */
export const imageDefinitionName = (pack: string, arch: Arch) => `${pack}-${arch}`;

/**
 * The image version named after a signature (a sha256 in hex). Azure names versions
 * `major.minor.patch`, each a non-negative 32-bit integer: the three parts are the signature's
 * first three 32-bit words with their top bit cleared, 93 bits of the hash. Deterministic, so a
 * repeated createImage lands on the same version; and two signatures collide in one definition
 * (same pack and architecture) with probability about n²/2^94 for n images — never in practice,
 * and createImage refuses a version of that name that carries another signature rather than
 * reusing it.
 */
export function imageVersionName(signature: string): string {
  if (!/^[0-9a-f]{24,}$/i.test(signature)) throw new CloudError('InvalidParameter', `${signature}: not an image signature (hex sha256)`, false);
  return [0, 1, 2].map((i) => String(Number.parseInt(signature.slice(i * 8, i * 8 + 8), 16) & 0x7fffffff)).join('.');
}

/**
 * The architecture of a VM size: Azure names Arm-based sizes with a `p` among the feature letters
 * after the vCPU count (Standard_D2ps_v5, Standard_E4pds_v5, Standard_B2pts_v2); every other size is x64.
 */
export function archOfVmSize(vmSize: string | undefined): Arch {
  const m = /^(?:Standard_|Basic_)?[A-Za-z]+\d+(?:-\d+)?([a-z]*)/.exec(vmSize ?? '');
  return m?.[1]!.includes('p') ? 'arm64' : 'amd64';
}

/** The OS pack a baked image's name (core/images.ts bakedImageName: `strata-<pack>-<signature[0,16)>`) names. */
export function packOfImageName(name: string, signature: string): string {
  const suffix = `-${signature.slice(0, 16)}`;
  const pack = name.startsWith('strata-') && name.endsWith(suffix) ? name.slice('strata-'.length, -suffix.length) : name;
  const clean = pack.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 70);
  if (!/^[A-Za-z0-9]/.test(clean)) throw new CloudError('InvalidParameter', `${name}: no OS pack name to name an image definition after`, false);
  return clean;
}

/** The image definition of a pack and architecture, in the gallery's location. */
export function imageDefinition(pack: string, arch: Arch, location: string): GalleryImage {
  return {
    location,
    tags: { [TAG_NAME]: imageDefinitionName(pack, arch) },
    description: `Node images Strata baked from OS pack ${pack} (${arch})`,
    osType: 'Linux',
    osState: 'Generalized',
    hyperVGeneration: 'V2',
    architecture: arch === 'arm64' ? 'Arm64' : 'x64',
    identifier: { publisher: IMAGE_PUBLISHER, offer: pack, sku: arch },
    // Builders and nodes launch without a security profile, which Azure may make Trusted Launch:
    // a definition that supports it takes a version captured from either, and launches either.
    features: [{ name: 'SecurityType', value: 'TrustedLaunchSupported' }],
  };
}

/** The power state from a VM's instance view (`PowerState/deallocated` → `deallocated`), if it has one. */
export function powerStateOf(vm: Pick<VirtualMachine, 'instanceView'>): string | undefined {
  return vm.instanceView?.statuses?.find((s) => s.code?.startsWith('PowerState/'))?.code?.slice('PowerState/'.length);
}

export function isGeneralized(vm: Pick<VirtualMachine, 'instanceView'>): boolean {
  return vm.instanceView?.statuses?.some((s) => s.code?.toLowerCase() === 'osstate/generalized') ?? false;
}

const targetNames = (v: GalleryImageVersion) => v.publishingProfile?.targetRegions?.map((t) => t.name) ?? (v.location ? [v.location] : []);

/**
 * A version's state in one region, or undefined when it is not (or no longer) an image there: it is
 * being deleted, or the region is not among its target regions. With the replication status (a GET
 * with $expand=ReplicationStatus) the region's own replica decides: Completed is available — once
 * the version exists, i.e. not while Azure is still creating it —, Failed is failed with Azure's
 * details, anything else pending. Without it, the version's provisioning state stands in.
 */
export function regionalState(v: GalleryImageVersion, region: string): Pick<BakedImage, 'state' | 'message'> | undefined {
  if (v.provisioningState === 'Deleting') return undefined;
  if (!targetNames(v).some((t) => sameLocation(t, region))) return undefined;
  const replica = v.replicationStatus?.summary?.find((s) => sameLocation(s.region, region));
  if (replica) {
    if (replica.state === 'Failed') return { state: 'failed', message: replica.details || `replication of the image to ${region} failed` };
    if (replica.state === 'Completed' && v.provisioningState !== 'Creating') return { state: 'available' };
    return { state: 'pending', message: `replicating to ${region}${replica.progress !== undefined ? ` (${replica.progress}%)` : ''}` };
  }
  switch (v.provisioningState) {
    case 'Succeeded':
      return { state: 'available' };
    case 'Failed':
      return { state: 'failed', message: `the image version's provisioning failed` };
    default:
      return { state: 'pending' };
  }
}

/** The port's view of a version in a region; undefined when it is no image there. */
export function toBakedImage(v: GalleryImageVersion, region: string): BakedImage | undefined {
  const state = regionalState(v, region);
  if (!state) return undefined;
  const signature = v.tags?.[TAG_IMAGE_SIGNATURE];
  return {
    imageId: v.id ?? '',
    name: v.tags?.[TAG_NAME] ?? v.name ?? '',
    region,
    state: state.state,
    ...(signature ? { signature } : {}),
    ...(state.message ? { message: state.message } : {}),
  };
}

export interface GalleryClients {
  readonly compute: ComputeManagementClient;
  readonly resources: ResourceManagementClient;
  /** A compute client for another subscription, which an image id may name. */
  readonly computeFor: (subscriptionId: string) => ComputeManagementClient;
}

export interface GalleryTarget {
  readonly subscriptionId: string;
  /** The provider's region: where images are baked, and the region findImage and describeImage answer for. */
  readonly region: string;
  /** The image resource group: galleries and builders. */
  readonly resourceGroup: string;
}

interface VersionRef {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly gallery: string;
  readonly image: string;
  readonly version: string;
}

function versionRef(imageId: string): VersionRef {
  const ref = parseImageRef(imageId);
  if (ref?.kind !== 'gallery') throw new CloudError('InvalidImageReference', `${imageId}: not an Azure Compute Gallery image version id`, false);
  return ref;
}

/** The version with its replication status; undefined when there is none (or no gallery, definition or group). */
async function getVersion(clients: GalleryClients, ref: VersionRef): Promise<GalleryImageVersion | undefined> {
  try {
    return await clients.computeFor(ref.subscriptionId).galleryImageVersions.get(ref.resourceGroup, ref.gallery, ref.image, ref.version, { expand: 'ReplicationStatus' });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw toCloudError(e);
  }
}

/** Make the image resource group if it is not there (it may be the customer's own: then it is only read). */
export async function ensureImageGroup(resources: ResourceManagementClient, target: GalleryTarget): Promise<void> {
  try {
    await resources.resourceGroups.get(target.resourceGroup);
    return;
  } catch (e) {
    if (!isNotFound(e)) throw toCloudError(e);
  }
  await azureCall(() => resources.resourceGroups.createOrUpdate(target.resourceGroup, { location: target.region, tags: { [TAG_NAME]: target.resourceGroup } }));
}

/**
 * The versions of the image group tagged `tagName=value`. Azure Resource Manager filters the
 * group's resources by tag in one call, but returns neither their tags nor their properties; each
 * version found (one, normally) is then read with its replication status.
 */
async function taggedVersions(clients: GalleryClients, target: GalleryTarget, tagName: string, value: string): Promise<GalleryImageVersion[]> {
  const ids: string[] = [];
  try {
    const filter = `tagName eq '${tagName}' and tagValue eq '${value.replace(/'/g, "''")}'`;
    for await (const r of clients.resources.resources.listByResourceGroup(target.resourceGroup, { filter })) {
      if (r.id && r.type?.toLowerCase() === VERSION_TYPE) ids.push(r.id);
    }
  } catch (e) {
    if (isNotFound(e)) return []; // no image group: nothing was ever baked
    throw toCloudError(e);
  }
  const found = await Promise.all(ids.map((id) => getVersion(clients, versionRef(id))));
  // The tag index may trail a change of the tags: the version's own tags decide.
  return found.filter((v): v is GalleryImageVersion => v !== undefined && v.tags?.[tagName] === value);
}

/**
 * The image of a signature in the region: a version tagged with it whose target regions include the
 * region. A version whose replica here failed, or that is being deleted, is no image (the port's
 * findImage); describeImage tells why.
 */
export async function findGalleryImage(clients: GalleryClients, target: GalleryTarget, signature: string): Promise<BakedImage | undefined> {
  const images = (await taggedVersions(clients, target, TAG_IMAGE_SIGNATURE, signature))
    .map((v) => toBakedImage(v, target.region))
    .filter((i): i is BakedImage => i !== undefined && i.state !== 'failed');
  return images.find((i) => i.state === 'available') ?? images[0];
}

export async function describeGalleryImage(clients: GalleryClients, target: GalleryTarget, imageId: string): Promise<BakedImage | undefined> {
  const v = await getVersion(clients, versionRef(imageId));
  return v && toBakedImage(v, target.region);
}

/**
 * Capture the deallocated builder as the signature's image version in the region's gallery.
 * Idempotent: the version's name comes from the signature, and an existing one is returned as it
 * is (a failed one is deleted, so the next attempt makes it again). The builder must be
 * deallocated; it is generalized here (once: Azure never starts a generalized VM again).
 * The version is created, not waited for: replication takes minutes, describeImage follows it.
 */
export async function createGalleryImage(
  clients: GalleryClients,
  target: GalleryTarget,
  spec: CreateImageSpec,
  builder: VirtualMachine | undefined,
): Promise<BakedImage> {
  const rg = target.resourceGroup;
  const vmName = builderName(spec.bakeId);
  if (!builder) {
    // The builder is gone: the image is the one this bake made, or there is none and never will be.
    const made = (await taggedVersions(clients, target, TAG_BAKE, spec.bakeId)).find((v) => sameLocation(v.location, target.region));
    if (made) return adoptVersion(clients, target, made, spec);
    throw new CloudError('BuilderNotFound', `builder ${vmName} of bake ${spec.bakeId} is gone and made no image; the bake has to start over`, false);
  }
  const gallery = galleryName(target.region);
  const arch = archOfVmSize(builder.hardwareProfile?.vmSize);
  const pack = packOfImageName(spec.name, spec.signature);
  const ref: VersionRef = {
    subscriptionId: target.subscriptionId,
    resourceGroup: rg,
    gallery,
    image: imageDefinitionName(pack, arch),
    version: imageVersionName(spec.signature),
  };
  const existing = await getVersion(clients, ref);
  if (existing) return adoptVersion(clients, target, existing, spec);

  const power = powerStateOf(builder);
  if (power === 'stopped') {
    // The builder shut itself down: stopped, but still allocated (and billed). Deallocating is the
    // rest of stopping it, and nothing else would start it (the port reports both as stopped).
    await azureCall(() => clients.compute.virtualMachines.deallocate(rg, vmName).submitted());
  }
  if (power !== 'deallocated') {
    throw new CloudError(
      'BuilderNotDeallocated',
      power === 'stopped'
        ? `builder ${vmName} is stopped but still allocated; deallocating it, then its disk becomes an image`
        : `builder ${vmName} is ${power ?? (builder.provisioningState ?? 'in an unknown state').toLowerCase()}; it must be deallocated (stopBuilder) before its disk becomes an image`,
      true,
    );
  }
  const compute = clients.compute;
  if (!isGeneralized(builder)) await azureCall(() => compute.virtualMachines.generalize(rg, vmName));
  await azureCall(() =>
    compute.galleries.createOrUpdate(rg, gallery, {
      location: target.region,
      tags: { [TAG_NAME]: gallery },
      description: `Node images Strata baked in ${target.region}: one image definition per OS pack and architecture, one version per image signature`,
    }),
  );
  await azureCall(() => compute.galleryImages.createOrUpdate(rg, gallery, ref.image, imageDefinition(pack, arch, target.region)));
  const version: GalleryImageVersion = {
    location: target.region,
    tags: { ...spec.tags, [TAG_NAME]: spec.name, [TAG_IMAGE_SIGNATURE]: spec.signature, [TAG_BAKE]: spec.bakeId },
    storageProfile: { source: { virtualMachineId: builder.id } },
    publishingProfile: { targetRegions: [{ name: target.region }] },
    // Let a region be taken out of the target regions again (Azure refuses that by default).
    safetyProfile: { allowDeletionOfReplicatedLocations: true },
  };
  await azureCall(() => compute.galleryImageVersions.createOrUpdate(rg, gallery, ref.image, ref.version, version).submitted());
  const made = await getVersion(clients, ref);
  const image = made && toBakedImage(made, target.region);
  if (!image) throw new CloudError('ImageNotFound', `gallery image version ${ref.image}/${ref.version} was accepted but cannot be read back yet`, true);
  return image;
}

/** An existing version of the bake's name: its own if the signature matches; a failed one goes. */
async function adoptVersion(clients: GalleryClients, target: GalleryTarget, v: GalleryImageVersion, spec: CreateImageSpec): Promise<BakedImage> {
  const id = v.id ?? '';
  const carried = v.tags?.[TAG_IMAGE_SIGNATURE];
  if (carried !== spec.signature) {
    throw new CloudError('NameConflict', `gallery image version ${id} carries image signature ${carried ?? '(none)'}, not ${spec.signature}; Strata leaves it alone`, false);
  }
  const image = toBakedImage(v, target.region);
  if (image?.state === 'failed' || (!image && v.provisioningState !== 'Deleting')) {
    const ref = versionRef(id);
    await azureCall(() => clients.computeFor(ref.subscriptionId).galleryImageVersions.delete(ref.resourceGroup, ref.gallery, ref.image, ref.version).submitted());
    throw new CloudError('ImageCreationFailed', `${image?.message ?? `gallery image version ${id} is not in ${target.region}`}; deleting it so the next attempt creates it again`, true);
  }
  if (!image) throw new CloudError('ImageDeleting', `gallery image version ${id} is being deleted; it is created again once it is gone`, true);
  await reclaimSourceRegion(clients, v, target.region);
  return image;
}

/**
 * Azure has no copy: the region joins the version's target regions (the others kept, as Azure
 * lists them), and the image is pending there until its replica is. A second call finds the region
 * among the targets and only reports.
 */
export async function copyGalleryImage(clients: GalleryClients, target: GalleryTarget, spec: CopyImageSpec): Promise<BakedImage> {
  const ref = versionRef(spec.sourceImageId);
  const v = await getVersion(clients, ref);
  if (!v || v.provisioningState === 'Deleting') {
    throw new CloudError('ImageNotFound', `gallery image version ${spec.sourceImageId} (from ${spec.sourceRegion}) is gone`, false);
  }
  const carried = v.tags?.[TAG_IMAGE_SIGNATURE];
  if (carried !== spec.signature) {
    throw new CloudError('NameConflict', `gallery image version ${spec.sourceImageId} carries image signature ${carried ?? '(none)'}, not ${spec.signature}`, false);
  }
  const here = toBakedImage(v, target.region);
  if (here) {
    await reclaimSourceRegion(clients, v, target.region);
    return here;
  }
  if (v.provisioningState === 'Creating' || v.provisioningState === 'Updating') {
    // Azure takes no change of a version while it replicates.
    throw new CloudError('ImageNotReady', `gallery image version ${spec.sourceImageId} is still ${v.provisioningState.toLowerCase()}; ${target.region} is added once it is done`, true);
  }
  const targetRegions: TargetRegion[] = [...(v.publishingProfile?.targetRegions ?? (v.location ? [{ name: v.location }] : [])), { name: target.region }];
  const compute = clients.computeFor(ref.subscriptionId);
  await azureCall(() => compute.galleryImageVersions.update(ref.resourceGroup, ref.gallery, ref.image, ref.version, { publishingProfile: { targetRegions } }).submitted());
  const after = await getVersion(clients, ref);
  const image = after && toBakedImage(after, target.region);
  return image ?? { imageId: v.id ?? spec.sourceImageId, name: v.tags?.[TAG_NAME] ?? spec.name, region: target.region, state: 'pending', signature: spec.signature };
}

/**
 * On a version: its source region (its location, which Azure keeps among the target regions) no
 * longer has an image record that uses it. deleteImage there could not drop the region alone, so it
 * marked it; the version goes once no other region uses it either.
 */
export const TAG_SOURCE_RELEASED = 'strata:source-region-released';

/** The region uses the version again (createImage or copyImage there): it is no longer released. */
async function reclaimSourceRegion(clients: GalleryClients, v: GalleryImageVersion, region: string): Promise<void> {
  if (v.tags?.[TAG_SOURCE_RELEASED] === undefined || !sameLocation(v.location, region)) return;
  const ref = versionRef(v.id ?? '');
  const { [TAG_SOURCE_RELEASED]: _released, ...tags } = v.tags;
  await azureCall(() => clients.computeFor(ref.subscriptionId).galleryImageVersions.update(ref.resourceGroup, ref.gallery, ref.image, ref.version, { tags }).submitted());
}

/**
 * Delete the image in the provider's region. The version's id is the image's id in every region
 * it is replicated to, and an image record (and its deletion) belongs to one region: so this
 * region leaves the version's target regions, and the version itself goes only when no other
 * region keeps it. The source region cannot leave the target regions (Azure keeps the version's
 * location among them): deleting it there marks it released (TAG_SOURCE_RELEASED) instead, and the
 * last other region to go deletes the version. Idempotent; a version Strata did not tag with a
 * signature is refused, never touched.
 */
export async function deleteGalleryImage(clients: GalleryClients, target: GalleryTarget, imageId: string): Promise<void> {
  const ref = versionRef(imageId);
  const compute = clients.computeFor(ref.subscriptionId);
  let v: GalleryImageVersion;
  try {
    v = await compute.galleryImageVersions.get(ref.resourceGroup, ref.gallery, ref.image, ref.version);
  } catch (e) {
    if (isNotFound(e)) return;
    throw toCloudError(e);
  }
  if (v.provisioningState === 'Deleting') return;
  if (!v.tags?.[TAG_IMAGE_SIGNATURE]) throw new CloudError('ImageNotOwned', `gallery image version ${imageId} carries no ${TAG_IMAGE_SIGNATURE} tag; Strata leaves it alone`, false);
  const targets = v.publishingProfile?.targetRegions ?? (v.location ? [{ name: v.location }] : []);
  const region = target.region;
  const remaining = targets.filter((t) => !sameLocation(t.name, region));
  if (remaining.length === targets.length) return; // not (or no longer) an image here
  const isSource = sameLocation(v.location, region);
  if (isSource && v.tags[TAG_SOURCE_RELEASED] !== undefined) return; // released already
  const sourceReleased = isSource || v.tags[TAG_SOURCE_RELEASED] !== undefined;
  const othersInUse = remaining.filter((t) => !sameLocation(t.name, v.location ?? ''));
  if (othersInUse.length === 0 && sourceReleased) {
    try {
      await compute.galleryImageVersions.delete(ref.resourceGroup, ref.gallery, ref.image, ref.version).submitted();
    } catch (e) {
      if (isNotFound(e)) return;
      throw toCloudError(e);
    }
    return;
  }
  const change = isSource ? { tags: { ...v.tags, [TAG_SOURCE_RELEASED]: 'true' } } : { publishingProfile: { targetRegions: remaining } };
  await azureCall(() => compute.galleryImageVersions.update(ref.resourceGroup, ref.gallery, ref.image, ref.version, change).submitted());
}
