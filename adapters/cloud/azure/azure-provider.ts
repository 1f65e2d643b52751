import { ComputeManagementClient, type ComputeManagementClientOptionalParams, type VirtualMachine } from '@azure/arm-compute';
import { ClientSecretCredential } from '@azure/identity';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { NetworkManagementClient, type LoadBalancer, type LoadBalancerHealthPerRule, type NetworkInterface, type SecurityRule } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import {
  API_PORT,
  CloudError,
  TAG_BAKE,
  TAG_CLUSTER,
  TAG_NAME,
  TAG_POOL,
  type ApiEndpointStatus,
  type BakedImage,
  type BuilderInfo,
  type BuilderSpec,
  type CloudProvider,
  type CopyImageSpec,
  type CreateImageSpec,
  type ImageInfo,
  type InfraRefs,
  type InfraSpec,
  type InstanceInfo,
  type InstanceSpec,
} from '../../../core/cloud.js';
import { azureCloudConfig } from './cloud-config.js';
import { azureCall, isNotFound, toCloudError } from './errors.js';
import { checkExistingSubnets, routeTableOf, subnetParts } from './existing-network.js';
import { deleteRoleAssignments, ensureNodeIdentities, stripSlash } from './identity.js';
import { compareVersions, formatUrn, parseImageRef, sameLocation, type ImageRef } from './image-ref.js';
import {
  IMAGE_RESOURCE_GROUP,
  builderName,
  copyGalleryImage,
  createGalleryImage,
  deleteGalleryImage,
  describeGalleryImage,
  ensureImageGroup,
  findGalleryImage,
  powerStateOf,
  regionalState,
  type GalleryClients,
  type GalleryTarget,
} from './images.js';
import {
  LB_RULE,
  apiDnsLabel,
  apiLoadBalancer,
  apiLoadBalancerName,
  endpointState,
  internalApiName,
  poolIdOf,
  targetHealth,
  withPoolMembership,
} from './load-balancer.js';
import { controlPlaneRules, workerRules } from './security-rules.js';
import { throwawaySshPublicKey } from './ssh-key.js';

/** The credential every Azure client takes (an @azure/core-auth TokenCredential). */
export type AzureCredential = ConstructorParameters<typeof ComputeManagementClient>[0];
/** An @azure/core-rest-pipeline HttpClient: the transport under every Azure client. */
export type AzureHttpClient = NonNullable<ComputeManagementClientOptionalParams['httpClient']>;

export interface AzureProviderOptions {
  /** Who Strata is in the customer's tenant; `azureProvider()` builds a ClientSecretCredential. */
  readonly credential: AzureCredential;
  readonly subscriptionId: string;
  /**
   * The customer's tenant, written to the nodes' cloud configuration (azure.json).
   * @default the tenant Azure reports for the control-plane identity
   */
  readonly tenantId?: string;
  /** The Azure location every resource goes to, e.g. `westeurope`. */
  readonly region: string;
  /**
   * An existing resource group to put every cluster in, for accounts that may not create resource
   * groups. Resource names then carry the cluster id, and deletion removes the cluster's tagged
   * resources tier by tier instead of deleting a whole group.
   * @default one resource group per cluster, `strata-<clusterId>`, created and deleted by Strata
   */
  readonly resourceGroup?: string;
  /**
   * The resource group of baked images (one Compute Gallery per region, see images.ts) and of the
   * builder VMs that make them. Created on first use when it does not exist.
   * @default `resourceGroup` when one is given (an account that may not create groups), else `strata-images`
   */
  readonly imageResourceGroup?: string;
  /**
   * Azure Resource Manager endpoint; the token scope follows it (`<endpoint>/.default`).
   * @default https://management.azure.com
   */
  readonly endpoint?: string;
  /**
   * OpenSSH public key installed for the `strata` admin user (break-glass access).
   * @default a fresh key per VM whose private half is discarded: nobody can log in over SSH
   */
  readonly sshPublicKey?: string;
  /**
   * The HTTP transport under every client (a proxy, or a test's local Azure Resource Manager).
   * @default the Azure SDK's own Node.js client
   */
  readonly httpClient?: AzureHttpClient;
}

/** The cloud account fields the factory needs (core/cloud-accounts.ts AzureAccount). */
export interface AzureAccountRef {
  readonly tenantId: string;
  readonly clientId: string;
  readonly subscriptionId: string;
}

export const TAG_ROLE = 'strata:role';
export const ADMIN_USERNAME = 'strata';
export const VNET_CIDR = '10.0.0.0/16';
/** One subnet per cluster: Azure subnets span every zone of the region; zones belong to VMs. */
export const SUBNET_CIDR = '10.0.0.0/18';
export const SUBNET_NAME = 'nodes';
/**
 * The API's frontend and public IP span every zone: they survive a zone's loss, and since Azure
 * never lets their zones change, they need not follow the pools from zone to zone.
 */
const REGION_ZONES: readonly string[] = ['1', '2', '3'];
const DEFAULT_ENDPOINT = 'https://management.azure.com';
/** Resource types the group deletion may force-delete (no graceful shutdown: the cluster is going away). */
const FORCE_DELETION_TYPES = 'Microsoft.Compute/virtualMachines,Microsoft.Compute/virtualMachineScaleSets';

/**
 * Deletion order inside a shared resource group: what is referenced goes after what references it.
 * VMs delete their OS disk, NIC and public IP themselves (deleteOption Delete); the later tiers catch
 * anything a failed attempt left behind. NICs name the load balancer's pool; the load balancer names
 * the subnet and its public IP; identities go once no VM carries them (their role assignments first).
 */
const DELETION_TIERS: readonly (readonly string[])[] = [
  ['microsoft.compute/virtualmachines'],
  ['microsoft.network/networkinterfaces', 'microsoft.compute/disks'],
  ['microsoft.network/loadbalancers', 'microsoft.managedidentity/userassignedidentities'],
  ['microsoft.network/virtualnetworks', 'microsoft.network/networksecuritygroups', 'microsoft.network/applicationsecuritygroups'],
  ['microsoft.network/natgateways'],
  ['microsoft.network/publicipaddresses'],
];
/** API versions for reading and deleting by id through the generic resources API. */
const DELETE_API_VERSION: Readonly<Record<string, string>> = {
  'microsoft.compute/virtualmachines': '2024-07-01',
  'microsoft.compute/disks': '2024-03-02',
  'microsoft.network/networkinterfaces': '2024-05-01',
  'microsoft.network/loadbalancers': '2024-05-01',
  'microsoft.managedidentity/userassignedidentities': '2023-01-31',
  'microsoft.network/virtualnetworks': '2024-05-01',
  'microsoft.network/networksecuritygroups': '2024-05-01',
  'microsoft.network/applicationsecuritygroups': '2024-05-01',
  'microsoft.network/natgateways': '2024-05-01',
  'microsoft.network/publicipaddresses': '2024-05-01',
};

/**
 * The Azure adapter of the cloud-provider port.
 *
 * Layout: one resource group per cluster, `strata-<clusterId>`, tagged `strata:cluster`, holding:
 * - the network: a virtual network 10.0.0.0/16 with one subnet 10.0.0.0/18 whose egress is a NAT
 *   gateway with a static public IP (nodeEgress natGateway) or each node's own Standard public IP
 *   (publicIp). A network the cluster brings is only checked (existing-network.ts), never changed;
 * - two application security groups and two network security groups (`<cluster>-control-plane`,
 *   `<cluster>-workers`, see security-rules.ts), the NSGs set on each NIC rather than on a subnet;
 * - the API load balancer (load-balancer.ts): internal with its frontend in the nodes' subnet, or
 *   public with a static public IP and a DNS label; control-plane NICs join its pool through
 *   registerApiTargets;
 * - two user-assigned identities for the nodes with their role assignments on the group (identity.ts);
 * - per node a NIC `<node>-nic` and a VM `<node>` whose OS disk, NIC and public IP go with it.
 * Deleting the cluster deletes the group, so nothing can be left behind; a customer's network lives
 * elsewhere and is untouched. Baked images live apart from every cluster, in the account's image
 * group (`strata-images`): a Compute Gallery per region and the builder VMs that feed it (images.ts).
 *
 * Idempotency: every resource is written with PUT by name, which Azure Resource Manager treats as
 * create-or-update, so a repeated call converges on the same resource and never makes a second
 * one; no client token is needed. Role assignments, whose names are GUIDs, take one derived from
 * what they grant. Nodes are looked up by name first, so a retried `ensureInstance` returns the
 * existing VM instead of re-sending create-only properties (custom data, SSH key).
 *
 * The API endpoint: an internal load balancer publishes no DNS name, and it drops a backend's flow
 * back to itself (no hairpin). So `apiEndpoint` is `api.<clusterId>.strata.internal`, which nodes map
 * in /etc/hosts: control-plane nodes to 127.0.0.1, workers to the frontend's private IP, as Cluster
 * API Provider Azure does for private clusters. A public endpoint is the public IP's DNS name, and
 * control-plane nodes still map it to 127.0.0.1.
 */
export class AzureProvider implements CloudProvider {
  readonly cloud = 'azure' as const;
  readonly region: string;
  private readonly subscriptionId: string;
  private readonly tenantId: string | undefined;
  private readonly sharedGroup: string | undefined;
  private readonly imageGroup: string;
  /** The image group is Strata's own (`strata-images`), not one the account named. */
  private readonly imageGroupOwned: boolean;
  private readonly sshPublicKey: string | undefined;
  private readonly compute: ComputeManagementClient;
  private readonly network: NetworkManagementClient;
  private readonly resources: ResourceManagementClient;
  private readonly msi: ManagedServiceIdentityClient;
  private readonly computeBySubscription = new Map<string, ComputeManagementClient>();
  private readonly newCompute: (subscriptionId: string) => ComputeManagementClient;
  private readonly msiBySubscription = new Map<string, ManagedServiceIdentityClient>();
  private readonly newMsi: (subscriptionId: string) => ManagedServiceIdentityClient;

  constructor(options: AzureProviderOptions) {
    if (!options.region) throw new Error('AzureProvider: region is required');
    if (!options.subscriptionId) throw new Error('AzureProvider: subscriptionId is required');
    this.region = options.region;
    this.subscriptionId = options.subscriptionId;
    this.tenantId = options.tenantId;
    this.sharedGroup = options.resourceGroup;
    this.imageGroup = options.imageResourceGroup ?? options.resourceGroup ?? IMAGE_RESOURCE_GROUP;
    this.imageGroupOwned = options.imageResourceGroup === undefined && options.resourceGroup === undefined;
    this.sshPublicKey = options.sshPublicKey;
    const endpoint = (options.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
    const scope = `${new URL(endpoint).origin}/.default`;
    const transport = options.httpClient ? { httpClient: options.httpClient } : {};
    const userAgentOptions = { userAgentPrefix: 'strata' };
    this.newCompute = (subscriptionId) =>
      new ComputeManagementClient(options.credential, subscriptionId, { endpoint, credentials: { scopes: [scope] }, userAgentOptions, ...transport });
    this.compute = this.newCompute(options.subscriptionId);
    this.computeBySubscription.set(options.subscriptionId.toLowerCase(), this.compute);
    const classic = { endpoint, $host: endpoint, credentialScopes: [scope], userAgentOptions, ...transport };
    this.network = new NetworkManagementClient(options.credential, options.subscriptionId, classic);
    this.resources = new ResourceManagementClient(options.credential, options.subscriptionId, classic);
    this.newMsi = (subscriptionId) => new ManagedServiceIdentityClient(options.credential, subscriptionId, classic);
    this.msi = this.newMsi(options.subscriptionId);
    this.msiBySubscription.set(options.subscriptionId.toLowerCase(), this.msi);
  }

  // ---------------------------------------------------------------------------------------------
  // Images

  /** Azure's zones and VM sizes per location take a paged SKU listing: not told here; the workflow's own calls say. */
  async offerings(): Promise<undefined> {
    return undefined;
  }

  async verifyAccess(): Promise<string> {
    // A token for the service principal, then a read in the subscription: the Microsoft.Compute
    // provider's registration, which every VM needs.
    const compute = await azureCall(() => this.resources.providers.get('Microsoft.Compute'));
    if (compute.registrationState !== 'Registered') {
      throw new CloudError('MissingSubscriptionRegistration', `the subscription ${this.subscriptionId} has not registered the Microsoft.Compute resource provider (${compute.registrationState ?? 'unknown'})`, false);
    }
    return `signed in and read subscription ${this.subscriptionId}`;
  }

  async resolveImage(ref: string): Promise<ImageInfo> {
    const image = parseImageRef(ref);
    if (!image) {
      throw new CloudError(
        'InvalidImageReference',
        `${ref}: not an Azure image reference (Publisher:Offer:Sku:Version, a managed image id or a gallery image version id)`,
        false,
      );
    }
    const imageId = await this.lookUpImage(image);
    return { imageId, region: this.region, copied: false };
  }

  /** The image a parsed reference names, as nodes launch from it in the region; ImageNotFound when there is none. */
  private async lookUpImage(image: ImageRef): Promise<string> {
    try {
      switch (image.kind) {
        case 'marketplace': {
          const { publisher, offer, sku, version } = image;
          if (version !== 'latest') {
            await this.compute.virtualMachineImages.get(this.region, publisher, offer, sku, version);
            return formatUrn(image);
          }
          // Pin `latest` now, so every node of the cluster boots the same image version.
          const versions = await this.compute.virtualMachineImages.list(this.region, publisher, offer, sku);
          const newest = versions.map((v) => v.name).sort(compareVersions).at(-1);
          if (!newest) throw new CloudError('ImageNotFound', `no version of ${formatUrn(image)} is offered in ${this.region}`, false);
          return formatUrn({ ...image, version: newest });
        }
        case 'managed': {
          const found = await this.computeFor(image.subscriptionId).images.get(image.resourceGroup, image.name);
          if (!sameLocation(found.location, this.region)) {
            throw new CloudError('ImageNotFound', `managed image ${image.id} is in ${found.location}, not ${this.region}`, false);
          }
          return found.id ?? image.id;
        }
        case 'gallery': {
          const found = await this.computeFor(image.subscriptionId).galleryImageVersions.get(image.resourceGroup, image.gallery, image.image, image.version, {
            expand: 'ReplicationStatus',
          });
          const state = regionalState(found, this.region);
          if (!state) {
            const regions = found.publishingProfile?.targetRegions?.map((t) => t.name) ?? [found.location];
            throw new CloudError('ImageNotFound', `gallery image version ${image.id} is not replicated to ${this.region} (it is in ${regions.join(', ')})`, false);
          }
          if (state.state === 'failed') throw new CloudError('ImageNotFound', `gallery image version ${image.id} in ${this.region}: ${state.message}`, false);
          // A version still replicating here (a copy Strata started) is worth waiting for.
          if (state.state === 'pending') throw new CloudError('ImageNotReady', `gallery image version ${image.id} is still replicating to ${this.region}`, true);
          return found.id ?? image.id;
        }
      }
    } catch (e) {
      if (isNotFound(e)) throw new CloudError('ImageNotFound', toCloudError(e).message, false);
      throw toCloudError(e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Baking (the gallery side is images.ts)

  private get galleryClients(): GalleryClients {
    return { compute: this.compute, resources: this.resources, computeFor: (subscriptionId) => this.computeFor(subscriptionId) };
  }

  private get galleryTarget(): GalleryTarget {
    return { subscriptionId: this.subscriptionId, region: this.region, resourceGroup: this.imageGroup };
  }

  findImage(signature: string): Promise<BakedImage | undefined> {
    return findGalleryImage(this.galleryClients, this.galleryTarget, signature);
  }

  describeImage(imageId: string): Promise<BakedImage | undefined> {
    return describeGalleryImage(this.galleryClients, this.galleryTarget, imageId);
  }

  /**
   * The bake's builder VM `strata-builder-<bakeId>` in the image group, tagged with the bake: its
   * NIC in the given subnet (a public IP only when asked), one managed OS disk from the base image,
   * the bake's user data as custom data, no identity. Found by name first, as ensureInstance does,
   * so a retry returns the same VM; a builder whose provisioning failed is deleted and made again.
   */
  async launchBuilder(spec: BuilderSpec): Promise<BuilderInfo> {
    const rg = this.imageGroup;
    const name = builderName(spec.bakeId);
    const existing = await this.findVm(rg, name);
    if (existing) return this.adoptBuilder(rg, spec.bakeId, existing);

    const image = parseImageRef(spec.baseImageId);
    if (!image) throw new CloudError('InvalidImageReference', `${spec.baseImageId}: not an Azure image reference`, false);
    await ensureImageGroup(this.resources, this.galleryTarget);
    const tags = { [TAG_BAKE]: spec.bakeId, [TAG_NAME]: name };
    const nicName = `${name}-nic`;
    const publicIpId = spec.publicIp ? await this.putPublicIp(rg, `${name}-pip`, tags) : undefined;
    await this.putNic(rg, nicName, { tags, subnetId: spec.subnetId, securityGroupId: spec.securityGroupId || undefined, publicIpId });
    const vm = await this.vmBody({
      name,
      tags,
      vmSize: spec.instanceType,
      image,
      diskGiB: spec.diskGiB,
      userData: spec.userData,
      nicId: this.armId(rg, 'Microsoft.Network/networkInterfaces', nicName),
    });
    const created = await azureCall(async () => this.compute.virtualMachines.createOrUpdate(rg, name, vm));
    return toBuilderInfo(created);
  }

  private async adoptBuilder(rg: string, bakeId: string, vm: VirtualMachine): Promise<BuilderInfo> {
    this.checkBuilder(vm, bakeId);
    if (vm.provisioningState === 'Failed') {
      const info = toBuilderInfo(vm);
      await azureCall(() => this.compute.virtualMachines.delete(rg, builderName(bakeId), { forceDeletion: true }).submitted());
      throw new CloudError('VMProvisioningFailed', `builder ${builderName(bakeId)} failed to provision${info.message ? ` (${info.message})` : ''}; deleting it so the next attempt creates it again`, true);
    }
    if (vm.provisioningState === 'Deleting') {
      throw new CloudError('InstanceDeleting', `builder ${builderName(bakeId)} is being deleted; it is created again once it is gone`, true);
    }
    return toBuilderInfo(vm);
  }

  /** A VM of the builder's name that carries another bake's tag (or none) is not this bake's. */
  private checkBuilder(vm: VirtualMachine, bakeId: string): void {
    const owner = vm.tags?.[TAG_BAKE];
    if (owner !== bakeId) {
      throw new CloudError('NameConflict', `virtual machine ${vm.name ?? builderName(bakeId)} in ${this.imageGroup} belongs to ${owner ? `bake ${owner}` : 'no Strata bake'}`, false);
    }
  }

  private async findBuilder(bakeId: string): Promise<VirtualMachine | undefined> {
    const vm = await this.findVm(this.imageGroup, builderName(bakeId));
    if (vm) this.checkBuilder(vm, bakeId);
    return vm;
  }

  async builderStatus(bakeId: string): Promise<BuilderInfo | undefined> {
    const vm = await this.findBuilder(bakeId);
    return vm && toBuilderInfo(vm);
  }

  /** Deallocate the builder (a VM the bake shut down from inside is stopped but still allocated): started, not waited for. */
  async stopBuilder(bakeId: string): Promise<BuilderInfo | undefined> {
    const vm = await this.findBuilder(bakeId);
    if (!vm) return undefined;
    const power = powerStateOf(vm);
    if (vm.provisioningState === 'Deleting' || power === 'deallocated' || power === 'deallocating') return toBuilderInfo(vm);
    await azureCall(() => this.compute.virtualMachines.deallocate(this.imageGroup, builderName(bakeId)).submitted());
    return { ...toBuilderInfo(vm), state: 'stopping' };
  }

  async createImage(spec: CreateImageSpec): Promise<BakedImage> {
    return createGalleryImage(this.galleryClients, this.galleryTarget, spec, await this.findBuilder(spec.bakeId));
  }

  copyImage(spec: CopyImageSpec): Promise<BakedImage> {
    return copyGalleryImage(this.galleryClients, this.galleryTarget, spec);
  }

  deleteImage(imageId: string): Promise<void> {
    return deleteGalleryImage(this.galleryClients, this.galleryTarget, imageId);
  }

  /**
   * Delete the builder VM (forced: nothing on it is kept but what createImage captured), which takes
   * its NIC, OS disk and public IP with it; once it is gone, remove what a failed deletion left.
   */
  async terminateBuilder(bakeId: string): Promise<BuilderInfo | undefined> {
    const rg = this.imageGroup;
    const name = builderName(bakeId);
    const vm = await this.findBuilder(bakeId);
    if (vm) {
      if (vm.provisioningState !== 'Deleting') await azureCall(() => this.compute.virtualMachines.delete(rg, name, { forceDeletion: true }).submitted());
      return { ...toBuilderInfo(vm), state: 'shutting-down' };
    }
    // The NIC and public IP carry the bake's tag; the OS disk carries none (Azure does not pass the
    // VM's tags on), so an untagged one goes only from the group Strata made for images.
    await this.removeLeftovers(rg, name, (tags) => {
      const bake = tags?.[TAG_BAKE];
      return bake === bakeId || (bake === undefined && tags?.[TAG_CLUSTER] === undefined && this.imageGroupOwned);
    });
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Network

  async ensureInfrastructure(spec: InfraSpec): Promise<InfraRefs> {
    const rg = this.groupOf(spec.clusterId);
    const base = this.baseName(spec);
    const location = this.region;
    const tags = (name: string) => ({ [TAG_CLUSTER]: spec.clusterId, [TAG_NAME]: name });
    const existing = spec.network.existing;
    const nodePublicIp = spec.network.nodeEgress === 'publicIp';
    // One NAT gateway per cluster: an Azure subnet takes one, and the cluster has one subnet
    // (the API refuses natGateways perZone for Azure).
    const withNat = !existing && !nodePublicIp;

    // A network the cluster brings is checked before anything is made, so a wrong one costs nothing.
    const existingSubnets = existing ? await checkExistingSubnets(this.network, this.subscriptionId, existing, spec.zones, !nodePublicIp) : undefined;
    if (!this.sharedGroup) {
      await azureCall(() => this.resources.resourceGroups.createOrUpdate(rg, { location, tags: tags(spec.clusterName) }));
    }
    const names = {
      controlPlane: `${base}-control-plane`,
      workers: `${base}-workers`,
      natIp: `${base}-nat-ip`,
      nat: `${base}-nat`,
      vnet: `${base}-vnet`,
      apiIp: `${base}-api-ip`,
      lb: apiLoadBalancerName(spec.clusterId, this.sharedGroup !== undefined),
    };
    const ids = {
      controlPlaneAsg: this.armId(rg, 'Microsoft.Network/applicationSecurityGroups', names.controlPlane),
      workersAsg: this.armId(rg, 'Microsoft.Network/applicationSecurityGroups', names.workers),
      controlPlaneNsg: this.armId(rg, 'Microsoft.Network/networkSecurityGroups', names.controlPlane),
      workersNsg: this.armId(rg, 'Microsoft.Network/networkSecurityGroups', names.workers),
      natIp: this.armId(rg, 'Microsoft.Network/publicIPAddresses', names.natIp),
      nat: this.armId(rg, 'Microsoft.Network/natGateways', names.nat),
      vnet: this.armId(rg, 'Microsoft.Network/virtualNetworks', names.vnet),
      apiIp: this.armId(rg, 'Microsoft.Network/publicIPAddresses', names.apiIp),
      lb: this.armId(rg, 'Microsoft.Network/loadBalancers', names.lb),
    };
    const asg = (name: string) =>
      azureCall(() => this.network.applicationSecurityGroups.beginCreateOrUpdateAndWait(rg, name, { location, tags: tags(name) }));
    const publicIp = (name: string, extra: { zones?: string[]; dnsLabel?: string } = {}) =>
      azureCall(() =>
        this.network.publicIPAddresses.beginCreateOrUpdateAndWait(rg, name, {
          location,
          tags: tags(name),
          sku: { name: 'Standard', tier: 'Regional' },
          publicIPAllocationMethod: 'Static',
          publicIPAddressVersion: 'IPv4',
          ...(extra.zones ? { zones: extra.zones } : {}),
          ...(extra.dnsLabel ? { dnsSettings: { domainNameLabel: extra.dnsLabel } } : {}),
        }),
      );
    const [, , natIp, apiIp, identities] = await Promise.all([
      asg(names.controlPlane),
      asg(names.workers),
      withNat ? publicIp(names.natIp) : undefined,
      spec.publicApi ? publicIp(names.apiIp, { zones: [...REGION_ZONES], dnsLabel: apiDnsLabel(spec.clusterId) }) : undefined,
      ensureNodeIdentities(
        { msi: this.msi, resources: this.resources, msiFor: (subscriptionId) => this.msiFor(subscriptionId) },
        { subscriptionId: this.subscriptionId, resourceGroup: rg, location, clusterId: spec.clusterId, base },
        spec.nodeIdentity,
      ),
    ]);

    // Nodes reach a public frontend from their NAT gateway's address: let it through to the API.
    const natAddress = natIp?.ipAddress;
    if (spec.publicApi && withNat && !natAddress) throw new CloudError('PublicIpNotReady', `public IP ${names.natIp} has no address yet`, true);
    const ruleInputs = {
      controlPlaneAsgId: ids.controlPlaneAsg,
      workersAsgId: ids.workersAsg,
      apiAllowedCidrs: spec.apiAllowedCidrs,
      ...(spec.publicApi && natAddress ? { clusterEgressAddresses: [natAddress] } : {}),
    };
    const nsg = (name: string, securityRules: SecurityRule[]) =>
      azureCall(() => this.network.networkSecurityGroups.beginCreateOrUpdateAndWait(rg, name, { location, tags: tags(name), securityRules }));
    await Promise.all([
      nsg(names.controlPlane, controlPlaneRules(ruleInputs)),
      nsg(names.workers, workerRules(ruleInputs)),
      withNat
        ? azureCall(() =>
            this.network.natGateways.beginCreateOrUpdateAndWait(rg, names.nat, {
              location,
              tags: tags(names.nat),
              sku: { name: 'Standard' },
              idleTimeoutInMinutes: 4,
              publicIpAddresses: [{ id: ids.natIp }],
            }),
          )
        : undefined,
    ]);

    let subnets: Record<string, string>;
    if (existing) {
      subnets = Object.fromEntries(spec.zones.map((zone) => [zone, existing.subnets[zone]!]));
    } else {
      // The subnet is declared inside the network: a PUT of the network without it would try to delete it.
      await azureCall(() =>
        this.network.virtualNetworks.beginCreateOrUpdateAndWait(rg, names.vnet, {
          location,
          tags: tags(names.vnet),
          addressSpace: { addressPrefixes: [VNET_CIDR] },
          subnets: [{ name: SUBNET_NAME, addressPrefix: SUBNET_CIDR, ...(withNat ? { natGateway: { id: ids.nat } } : {}), defaultOutboundAccess: false }],
        }),
      );
      const subnetId = `${ids.vnet}/subnets/${SUBNET_NAME}`;
      subnets = Object.fromEntries(spec.zones.map((zone) => [zone, subnetId]));
    }

    // The internal frontend sits in the first zone's subnet: every node's subnet reaches it.
    const frontendSubnet = subnets[spec.zones[0] ?? ''];
    if (!spec.publicApi && !frontendSubnet) throw new CloudError('InvalidParameter', 'the cluster has no zone, so no subnet for its API load balancer', false);
    const lb = await azureCall(() =>
      this.network.loadBalancers.beginCreateOrUpdateAndWait(
        rg,
        names.lb,
        apiLoadBalancer({
          id: ids.lb,
          location,
          tags: tags(names.lb),
          zones: REGION_ZONES,
          frontend: spec.publicApi ? { publicIpId: ids.apiIp } : { subnetId: frontendSubnet! },
        }),
      ),
    );

    let apiEndpoint: string;
    let apiHosts: InfraRefs['apiHosts'];
    if (spec.publicApi) {
      apiEndpoint = apiIp?.dnsSettings?.fqdn ?? `${apiDnsLabel(spec.clusterId)}.${this.region}.cloudapp.azure.com`;
      // A joining control-plane node has no API server of its own yet: it joins through the public address.
      const publicIp = apiIp?.ipAddress;
      apiHosts = { controlPlane: '127.0.0.1', ...(publicIp ? { join: publicIp } : {}) };
    } else {
      const frontendIp = lb.frontendIPConfigurations?.[0]?.privateIPAddress;
      if (!frontendIp) throw new CloudError('LoadBalancerNotReady', `load balancer ${names.lb} has no private frontend address yet`, true);
      apiEndpoint = internalApiName(spec.clusterId);
      apiHosts = { controlPlane: '127.0.0.1', worker: frontendIp, join: frontendIp };
    }

    // The controller manager's view of the cluster; in a network the cluster brings, the first
    // zone's subnet (the API frontend's) is where internal Services get their addresses.
    const tenantId = this.tenantId ?? identities.controlPlane.tenantId;
    if (!tenantId) throw new CloudError('IdentityNotReady', `Azure reports no tenant for managed identity ${identities.ids.controlPlane}`, true);
    const nodesSubnet = existing ? subnets[spec.zones[0] ?? ''] : `${ids.vnet}/subnets/${SUBNET_NAME}`;
    const parts = nodesSubnet ? subnetParts(nodesSubnet) : undefined;
    if (!nodesSubnet || !parts) throw new CloudError('InvalidParameter', 'the cluster has no zone, so no subnet for its nodes', false);
    const readSubnet = existingSubnets?.get(nodesSubnet);
    const routeTable = readSubnet ? routeTableOf(readSubnet) : undefined;
    const cloudProviderConfig = azureCloudConfig({
      tenantId,
      subscriptionId: this.subscriptionId,
      resourceGroup: rg,
      location,
      vnet: { name: parts.vnet, resourceGroup: parts.resourceGroup },
      subnetName: parts.subnet,
      securityGroupName: names.workers,
      ...(routeTable ? { routeTable } : {}),
      identityClientId: identities.controlPlane.clientId,
    });
    return {
      networkId: existing?.networkId ?? ids.vnet,
      subnets,
      networkManaged: !existing,
      natGatewayIds: withNat ? [ids.nat] : [],
      nodePublicIp,
      controlPlaneSecurityGroupId: ids.controlPlaneNsg,
      workerSecurityGroupId: ids.workersNsg,
      loadBalancerId: ids.lb,
      apiEndpoint,
      apiPort: API_PORT,
      apiHosts,
      nodeIdentity: identities.ids,
      cloudProviderConfig,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // API load balancer

  async registerApiTargets(clusterId: string, instanceIds: readonly string[]): Promise<void> {
    for (const id of instanceIds) await this.setPoolMembership(clusterId, id, true);
  }

  async deregisterApiTargets(clusterId: string, instanceIds: readonly string[]): Promise<void> {
    for (const id of instanceIds) await this.setPoolMembership(clusterId, id, false);
  }

  /**
   * Put the VM's primary NIC ipConfiguration in (or out of) the API pool. Azure keeps NIC-based
   * pool membership on the NIC, so this is a PUT of the NIC, sent only when it changes something.
   */
  private async setPoolMembership(clusterId: string, instanceId: string, member: boolean): Promise<void> {
    const rg = this.groupOf(clusterId);
    const vmName = instanceId.split('/').at(-1) ?? instanceId;
    const vm = await this.findVm(rg, vmName);
    if (vm && vm.tags?.[TAG_CLUSTER] !== clusterId) {
      if (!member) return; // not this cluster's: it was never in this cluster's pool
      throw new CloudError('NameConflict', `virtual machine ${vmName} in ${rg} does not belong to cluster ${clusterId}`, false);
    }
    const nicId = vm?.networkProfile?.networkInterfaces?.find((n) => n.primary !== false)?.id;
    if (!vm || !nicId) {
      if (!member) return; // gone already: nothing routes to it
      throw new CloudError('InstanceNotFound', `virtual machine ${instanceId} (or its NIC) was not found in ${rg}`, true);
    }
    const [nicRg, nicName] = groupAndName(nicId);
    const nic = await this.findNic(nicRg, nicName);
    if (!nic) {
      if (!member) return;
      throw new CloudError('InstanceNotFound', `network interface ${nicId} of ${vmName} was not found`, true);
    }
    const poolId = poolIdOf(this.armId(rg, 'Microsoft.Network/loadBalancers', apiLoadBalancerName(clusterId, this.sharedGroup !== undefined)));
    const changed = withPoolMembership(nic, poolId, member);
    if (changed) await azureCall(() => this.network.networkInterfaces.beginCreateOrUpdateAndWait(nicRg, nicName, changed));
  }

  async apiEndpointStatus(clusterId: string): Promise<ApiEndpointStatus | undefined> {
    const rg = this.groupOf(clusterId);
    const lbName = apiLoadBalancerName(clusterId, this.sharedGroup !== undefined);
    let lb: LoadBalancer;
    try {
      lb = await this.network.loadBalancers.get(rg, lbName);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw toCloudError(e);
    }
    const publicIpId = lb.frontendIPConfigurations?.[0]?.publicIPAddress?.id;
    let endpoint = internalApiName(clusterId);
    if (publicIpId) {
      const [ipRg, ipName] = groupAndName(publicIpId);
      const ip = await azureCall(() => this.network.publicIPAddresses.get(ipRg, ipName));
      endpoint = ip.dnsSettings?.fqdn ?? `${apiDnsLabel(clusterId)}.${this.region}.cloudapp.azure.com`;
    }
    const state = endpointState(lb.provisioningState);

    // Registered targets are the NIC ipConfigurations Azure lists on the pool; each maps back to its VM.
    const configIds = (lb.backendAddressPools?.[0]?.backendIPConfigurations ?? []).map((c) => c.id).filter((id): id is string => !!id);
    if (configIds.length === 0) return { endpoint, port: API_PORT, state, targets: [] };
    const vmByNic = new Map<string, string>();
    for await (const vm of this.compute.virtualMachines.list(rg)) {
      for (const n of vm.networkProfile?.networkInterfaces ?? []) if (n.id && vm.id) vmByNic.set(n.id.toLowerCase(), vm.id);
    }
    const targets = configIds.map((ipConfigurationId) => {
      const nicId = ipConfigurationId.replace(/\/ipConfigurations\/[^/]+$/i, '');
      return { instanceId: vmByNic.get(nicId.toLowerCase()) ?? nicId, ipConfigurationId };
    });

    let health: LoadBalancerHealthPerRule | undefined;
    let unavailable: string | undefined;
    if (state !== 'active') {
      unavailable = `the load balancer is ${lb.provisioningState ?? 'not ready'}`;
    } else {
      try {
        health = await this.network.loadBalancerLoadBalancingRules.beginHealthAndWait(rg, lbName, LB_RULE);
      } catch (e) {
        // Health is a report, not a change: without it the targets are unknown, never healthy.
        const err = toCloudError(e);
        unavailable = `rule health not available: ${err.code}: ${err.message}`;
      }
    }
    return { endpoint, port: API_PORT, state, targets: targetHealth(targets, health, unavailable) };
  }

  // ---------------------------------------------------------------------------------------------
  // Nodes

  async ensureInstance(spec: InstanceSpec): Promise<InstanceInfo> {
    const rg = this.groupOf(spec.clusterId);
    const nicName = `${spec.name}-nic`;
    const existing = await this.findVm(rg, spec.name);
    if (existing) return this.adopt(rg, spec, existing, nicName);

    const image = parseImageRef(spec.imageId);
    if (!image) throw new CloudError('InvalidImageReference', `${spec.imageId}: not an Azure image reference`, false);
    const asgId = spec.securityGroupId.replace(/\/networkSecurityGroups\//i, '/applicationSecurityGroups/');
    if (asgId === spec.securityGroupId) {
      throw new CloudError('InvalidParameter', `${spec.securityGroupId}: not a network security group id from ensureInfrastructure`, false);
    }
    const zone = azureZone(spec.zone, this.region);
    const tags = {
      [TAG_CLUSTER]: spec.clusterId,
      [TAG_POOL]: spec.pool,
      [TAG_ROLE]: spec.role,
      [TAG_NAME]: spec.name,
    };

    const publicIpId = spec.publicIp ? await this.putPublicIp(rg, `${spec.name}-pip`, tags, zone) : undefined;
    const nic = await this.putNic(rg, nicName, { tags, subnetId: spec.subnetId, securityGroupId: spec.securityGroupId, asgId, publicIpId });
    const vm = await this.vmBody({
      name: spec.name,
      zone,
      tags,
      vmSize: spec.instanceType,
      image,
      diskGiB: spec.diskGiB,
      userData: spec.userData,
      nicId: this.armId(rg, 'Microsoft.Network/networkInterfaces', nicName),
      identity: spec.identity,
    });
    const created = await azureCall(async () => this.compute.virtualMachines.createOrUpdate(rg, spec.name, vm));
    return toInstanceInfo(created, primaryIp(nic));
  }

  /** A Standard static public IP (zonal when given a zone), named after what it serves. */
  private async putPublicIp(rg: string, name: string, tags: Record<string, string>, zone?: string): Promise<string> {
    await azureCall(() =>
      this.network.publicIPAddresses.beginCreateOrUpdateAndWait(rg, name, {
        location: this.region,
        ...(zone ? { zones: [zone] } : {}),
        tags: { ...tags, [TAG_NAME]: name },
        sku: { name: 'Standard', tier: 'Regional' },
        publicIPAllocationMethod: 'Static',
        publicIPAddressVersion: 'IPv4',
      }),
    );
    return this.armId(rg, 'Microsoft.Network/publicIPAddresses', name);
  }

  /** A VM's NIC: one dynamic private address in the subnet, the NSG on the NIC, a public IP that goes with it. */
  private async putNic(
    rg: string,
    name: string,
    nic: { tags: Record<string, string>; subnetId: string; securityGroupId?: string; asgId?: string; publicIpId?: string },
  ): Promise<NetworkInterface> {
    return azureCall(() =>
      this.network.networkInterfaces.beginCreateOrUpdateAndWait(rg, name, {
        location: this.region,
        tags: { ...nic.tags, [TAG_NAME]: name },
        ...(nic.securityGroupId ? { networkSecurityGroup: { id: nic.securityGroupId } } : {}),
        ipConfigurations: [
          {
            name: 'ipconfig1',
            primary: true,
            privateIPAllocationMethod: 'Dynamic',
            privateIPAddressVersion: 'IPv4',
            subnet: { id: nic.subnetId },
            ...(nic.asgId ? { applicationSecurityGroups: [{ id: nic.asgId }] } : {}),
            ...(nic.publicIpId ? { publicIPAddress: { id: nic.publicIpId, deleteOption: 'Delete' } } : {}),
          },
        ],
      }),
    );
  }

  /**
   * A Linux VM from an image, with custom data, one managed OS disk and the NIC; the disk, NIC and
   * public IP go when the VM goes (deleteOption Delete).
   */
  private async vmBody(vm: {
    name: string;
    zone?: string;
    tags: Record<string, string>;
    vmSize: string;
    image: ImageRef;
    diskGiB: number;
    userData: string;
    nicId: string;
    identity?: string;
  }): Promise<VirtualMachine> {
    const keyData = this.sshPublicKey ?? (await throwawaySshPublicKey());
    const image = vm.image;
    return {
      location: this.region,
      ...(vm.zone ? { zones: [vm.zone] } : {}),
      tags: vm.tags,
      hardwareProfile: { vmSize: vm.vmSize },
      storageProfile: {
        imageReference:
          image.kind === 'marketplace' ? { publisher: image.publisher, offer: image.offer, sku: image.sku, version: image.version } : { id: image.id },
        osDisk: {
          name: `${vm.name}-osdisk`,
          createOption: 'FromImage',
          caching: 'ReadWrite',
          diskSizeGB: vm.diskGiB,
          // Encrypted at rest with platform-managed keys, Azure's default; encryption at host is
          // not asked for because it needs a per-subscription feature registration.
          managedDisk: { storageAccountType: diskTypeFor(vm.vmSize) },
          deleteOption: 'Delete',
        },
      },
      osProfile: {
        computerName: vm.name,
        adminUsername: ADMIN_USERNAME,
        customData: Buffer.from(vm.userData, 'utf8').toString('base64'),
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          provisionVMAgent: true,
          ssh: { publicKeys: [{ path: `/home/${ADMIN_USERNAME}/.ssh/authorized_keys`, keyData }] },
        },
      },
      networkProfile: { networkInterfaces: [{ id: vm.nicId, primary: true, deleteOption: 'Delete' }] },
      diagnosticsProfile: { bootDiagnostics: { enabled: true } },
      ...(vm.identity ? { identity: { type: 'UserAssigned', userAssignedIdentities: { [vm.identity]: {} } } } : {}),
    };
  }

  /** A VM of that name already exists: return it, or clear it away when it can never come up. */
  private async adopt(rg: string, spec: InstanceSpec, vm: VirtualMachine, nicName: string): Promise<InstanceInfo> {
    const owner = vm.tags?.[TAG_CLUSTER];
    if (owner !== spec.clusterId) {
      throw new CloudError('NameConflict', `virtual machine ${spec.name} in ${rg} belongs to ${owner ? `cluster ${owner}` : 'no Strata cluster'}`, false);
    }
    if (vm.provisioningState === 'Failed') {
      // A failed VM keeps its create-only properties: delete it, and the next attempt makes it anew.
      const reason = vm.instanceView?.statuses?.find((s) => s.level === 'Error' || s.code?.startsWith('ProvisioningState/failed'));
      await azureCall(() => this.compute.virtualMachines.delete(rg, spec.name, { forceDeletion: true }).submitted());
      throw new CloudError(
        reason?.code?.split('/')[2] ?? 'VMProvisioningFailed',
        `${spec.name} failed to provision${reason?.message ? `: ${reason.message}` : ''}; deleting it so the next attempt creates it again`,
        true,
      );
    }
    if (vm.provisioningState === 'Deleting') {
      throw new CloudError('InstanceDeleting', `${spec.name} is being deleted; it is created again once it is gone`, true);
    }
    const nic = await this.findNic(rg, nicName);
    return toInstanceInfo(vm, nic ? primaryIp(nic) : undefined);
  }

  async listInstances(clusterId: string): Promise<InstanceInfo[]> {
    const rg = this.groupOf(clusterId);
    const vms: VirtualMachine[] = [];
    const ips = new Map<string, string>();
    try {
      for await (const vm of this.compute.virtualMachines.list(rg)) {
        if (vm.tags?.[TAG_CLUSTER] === clusterId) vms.push(vm);
      }
      if (vms.length === 0) return [];
      for await (const nic of this.network.networkInterfaces.list(rg)) {
        const ip = primaryIp(nic);
        if (nic.id && ip) ips.set(nic.id.toLowerCase(), ip);
      }
    } catch (e) {
      if (isNotFound(e)) return []; // no resource group: nothing was ever made, or it is all gone
      throw toCloudError(e);
    }
    return vms.map((vm) => {
      const nicId = vm.networkProfile?.networkInterfaces?.find((n) => n.primary !== false)?.id;
      return toInstanceInfo(vm, nicId ? ips.get(nicId.toLowerCase()) : undefined);
    });
  }

  /**
   * Deleting the VM takes its NIC, OS disk and public IP with it (deleteOption Delete); it is
   * started, not waited for, and the caller looks again. Once the VM is gone, what a failed
   * deletion left of it is removed, NIC before what the NIC holds.
   */
  async terminateInstance(clusterId: string, instanceId: string): Promise<InstanceInfo | undefined> {
    const rg = this.groupOf(clusterId);
    const name = vmNameIn(rg, instanceId);
    const notOwned = () =>
      new CloudError('InstanceNotOwned', `virtual machine ${instanceId} does not belong to cluster ${clusterId}; Strata leaves it alone`, false);
    if (!name) throw notOwned();
    const vm = await this.findVm(rg, name);
    if (vm) {
      if (vm.tags?.[TAG_CLUSTER] !== clusterId) throw notOwned();
      if (vm.provisioningState !== 'Deleting') await azureCall(() => this.compute.virtualMachines.delete(rg, name).submitted());
      return { ...toInstanceInfo(vm, undefined), state: 'shutting-down' };
    }
    // What carries the cluster's tag is the cluster's; an untagged one only in the cluster's own
    // group (Azure does not pass the VM's tags on to the OS disk it makes).
    await this.removeLeftovers(rg, name, (tags) => {
      const owner = tags?.[TAG_CLUSTER];
      return owner === clusterId || (owner === undefined && !this.sharedGroup);
    });
    return undefined;
  }

  /**
   * What a deleted VM named `name` may have left when its deletion did not take them: its NIC, then
   * its OS disk and public IP, each only when `owned` says it is the VM's (by its tags), and not
   * while a disk is still attached somewhere or Azure is already deleting it.
   */
  private async removeLeftovers(rg: string, name: string, owned: (tags: Record<string, string> | undefined) => boolean): Promise<void> {
    const leftovers: [string, string][][] = [
      [[this.armId(rg, 'Microsoft.Network/networkInterfaces', `${name}-nic`), 'microsoft.network/networkinterfaces']],
      [
        [this.armId(rg, 'Microsoft.Compute/disks', `${name}-osdisk`), 'microsoft.compute/disks'],
        [this.armId(rg, 'Microsoft.Network/publicIPAddresses', `${name}-pip`), 'microsoft.network/publicipaddresses'],
      ],
    ];
    for (const tier of leftovers) {
      await Promise.all(
        tier.map(async ([id, type]) => {
          const apiVersion = DELETE_API_VERSION[type]!;
          const found = await this.findById(id, apiVersion);
          if (!found || !owned(found.tags) || found.managedBy || found.properties?.provisioningState === 'Deleting') return;
          await azureCall(() => this.resources.resources.beginDeleteByIdAndWait(stripSlash(id), apiVersion));
        }),
      );
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Deletion

  async deleteClusterResources(clusterId: string): Promise<{ remaining: number; details: string[] }> {
    return this.sharedGroup ? this.deleteTagged(this.sharedGroup, clusterId) : this.deleteGroup(this.groupOf(clusterId), clusterId);
  }

  /** Per-cluster group: one DELETE takes everything; report the group until it is gone. */
  private async deleteGroup(rg: string, clusterId: string): Promise<{ remaining: number; details: string[] }> {
    let group;
    try {
      group = await this.resources.resourceGroups.get(rg);
    } catch (e) {
      if (isNotFound(e)) return { remaining: 0, details: [] };
      throw toCloudError(e);
    }
    if (group.tags?.[TAG_CLUSTER] !== clusterId) {
      throw new CloudError('ResourceGroupNotOwned', `resource group ${rg} is not tagged ${TAG_CLUSTER}=${clusterId}; Strata leaves it alone`, false);
    }
    const state = group.properties?.provisioningState;
    if (state !== 'Deleting') {
      // Start the deletion and return: it takes minutes, and the next pass looks again.
      await azureCall(() => this.resources.resourceGroups.beginDelete(rg, { forceDeletionTypes: FORCE_DELETION_TYPES }));
    }
    return { remaining: 1, details: [`resource group ${rg}: ${state === 'Deleting' ? 'deleting' : 'deletion started'}`] };
  }

  /** Shared group: delete the cluster's tagged resources, one dependency tier per pass. */
  private async deleteTagged(rg: string, clusterId: string): Promise<{ remaining: number; details: string[] }> {
    const found: { id: string; type: string; name: string }[] = [];
    try {
      const filter = `tagName eq '${TAG_CLUSTER}' and tagValue eq '${clusterId.replace(/'/g, "''")}'`;
      for await (const r of this.resources.resources.listByResourceGroup(rg, { filter })) {
        if (r.id && r.type) found.push({ id: r.id, type: r.type.toLowerCase(), name: r.name ?? r.id });
      }
    } catch (e) {
      if (isNotFound(e)) return { remaining: 0, details: [] };
      throw toCloudError(e);
    }
    const tier = DELETION_TIERS.find((types) => found.some((r) => types.includes(r.type)));
    const now = tier ? found.filter((r) => tier.includes(r.type)) : found.filter((r) => DELETE_API_VERSION[r.type] === undefined);
    for (const r of now) {
      const apiVersion = DELETE_API_VERSION[r.type];
      if (!apiVersion) continue;
      if (r.type === 'microsoft.managedidentity/userassignedidentities') {
        await deleteRoleAssignments({ msi: this.msi, resources: this.resources }, { subscriptionId: this.subscriptionId, resourceGroup: rg }, r.name);
      }
      await azureCall(() => this.resources.resources.beginDeleteById(stripSlash(r.id), apiVersion));
    }
    return { remaining: found.length, details: found.map((r) => `${r.type}/${r.name}`) };
  }

  // ---------------------------------------------------------------------------------------------

  private groupOf(clusterId: string): string {
    return this.sharedGroup ?? `strata-${clusterId}`;
  }

  /** Names inside a per-cluster group read as the cluster; in a shared group they must be unique. */
  private baseName(spec: Pick<InfraSpec, 'clusterId' | 'clusterName'>): string {
    return this.sharedGroup ? `strata-${spec.clusterId}` : spec.clusterName;
  }

  private armId(rg: string, type: string, name: string): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${rg}/providers/${type}/${name}`;
  }

  private msiFor(subscriptionId: string): ManagedServiceIdentityClient {
    const key = subscriptionId.toLowerCase();
    let client = this.msiBySubscription.get(key);
    if (!client) {
      client = this.newMsi(subscriptionId);
      this.msiBySubscription.set(key, client);
    }
    return client;
  }

  private computeFor(subscriptionId: string): ComputeManagementClient {
    const key = subscriptionId.toLowerCase();
    let client = this.computeBySubscription.get(key);
    if (!client) {
      client = this.newCompute(subscriptionId);
      this.computeBySubscription.set(key, client);
    }
    return client;
  }

  private async findVm(rg: string, name: string): Promise<VirtualMachine | undefined> {
    try {
      return await this.compute.virtualMachines.get(rg, name, { expand: 'instanceView' });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw toCloudError(e);
    }
  }

  private async findById(id: string, apiVersion: string): Promise<{ tags?: Record<string, string>; managedBy?: string; properties?: { provisioningState?: unknown } } | undefined> {
    try {
      // The generic API puts the id after its own slash (see deleteTagged).
      const r = await this.resources.resources.getById(stripSlash(id), apiVersion);
      return { tags: r.tags, managedBy: r.managedBy, properties: r.properties as { provisioningState?: unknown } | undefined };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw toCloudError(e);
    }
  }

  private async findNic(rg: string, name: string): Promise<NetworkInterface | undefined> {
    try {
      return await this.network.networkInterfaces.get(rg, name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw toCloudError(e);
    }
  }
}

/** A provider for a cloud account whose client secret was read from Secrets Manager. */
export function azureProvider(account: AzureAccountRef, clientSecret: string, region: string): AzureProvider {
  const credential = new ClientSecretCredential(account.tenantId, account.clientId, clientSecret);
  return new AzureProvider({ credential, subscriptionId: account.subscriptionId, tenantId: account.tenantId, region });
}

/** Azure zones are `1`, `2`, `3`; accept `westeurope-2` too. */
export function azureZone(zone: string, region: string): string {
  const z = zone.startsWith(`${region}-`) ? zone.slice(region.length + 1) : zone;
  if (!/^[1-9]$/.test(z)) throw new CloudError('InvalidParameter', `${zone}: Azure availability zones are 1, 2 or 3`, false);
  return z;
}

/**
 * Premium SSD where the VM size supports it (an `s` among the size's feature letters, e.g.
 * Standard_D4s_v5, Standard_E8ads_v5, Standard_DS2_v2), Standard SSD otherwise (Standard_D4_v5):
 * Azure rejects Premium_LRS on sizes without premium storage.
 */
export function diskTypeFor(vmSize: string): 'Premium_LRS' | 'StandardSSD_LRS' {
  const m = /^(?:Standard_|Basic_)?([A-Za-z]+)(\d+)(?:-\d+)?([a-z]*)/.exec(vmSize);
  if (!m) return 'StandardSSD_LRS';
  const family = m[1]!;
  const features = m[3]!;
  return features.includes('s') || /S$/.test(family) ? 'Premium_LRS' : 'StandardSSD_LRS';
}

/** A resource id's group and name: `/subscriptions/…/resourceGroups/<group>/providers/…/<name>`. */
function groupAndName(id: string): [string, string] {
  const group = /\/resourceGroups\/([^/]+)\//i.exec(id)?.[1];
  const name = id.split('/').at(-1);
  if (!group || !name) throw new CloudError('InvalidParameter', `${id}: not an Azure resource id`, false);
  return [group, name];
}

/**
 * The VM name an instance id names in the group: instance ids are VM resource ids (a bare name is
 * taken too). An id in another group or of another type names no VM of this cluster: undefined.
 */
function vmNameIn(rg: string, instanceId: string): string | undefined {
  if (!instanceId.includes('/')) return instanceId || undefined;
  const m = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i.exec(instanceId);
  return m && m[1]!.toLowerCase() === rg.toLowerCase() ? m[2] : undefined;
}

/** The image as the adapter spells images: a marketplace URN (its exact version), or the image's id. */
function imageOf(vm: VirtualMachine): string | undefined {
  const ref = vm.storageProfile?.imageReference;
  if (!ref) return undefined;
  const id = ref.id ?? ref.sharedGalleryImageId ?? ref.communityGalleryImageId;
  if (id) return id;
  const version = ref.version === 'latest' ? (ref.exactVersion ?? ref.version) : ref.version;
  return ref.publisher && ref.offer && ref.sku && version ? formatUrn({ publisher: ref.publisher, offer: ref.offer, sku: ref.sku, version }) : undefined;
}

function primaryIp(nic: NetworkInterface): string | undefined {
  const configs = nic.ipConfigurations ?? [];
  return (configs.find((c) => c.primary) ?? configs[0])?.privateIPAddress;
}

const POWER_STATES: Readonly<Record<string, InstanceInfo['state']>> = {
  starting: 'pending',
  running: 'running',
  stopping: 'stopping',
  stopped: 'stopped',
  deallocating: 'stopping',
  deallocated: 'stopped',
};

/**
 * The node's state. The power state comes from the instance view when the response has one
 * (a GET with $expand=instanceView); a resource-group listing cannot expand it (Azure allows
 * $expand=instanceView on lists only with a scale-set filter), so there the provisioning state
 * stands in: Creating → pending, Succeeded/Updating → running, Deleting → shutting-down, and
 * Failed/Canceled → stopped (ensureInstance replaces a failed VM).
 */
export function instanceState(vm: Pick<VirtualMachine, 'provisioningState' | 'instanceView'>): InstanceInfo['state'] {
  if (vm.provisioningState === 'Deleting') return 'shutting-down';
  const power = vm.instanceView?.statuses?.find((s) => s.code?.startsWith('PowerState/'))?.code?.slice('PowerState/'.length);
  if (power && POWER_STATES[power]) return POWER_STATES[power];
  switch (vm.provisioningState) {
    case 'Succeeded':
    case 'Updating':
    case 'Migrating':
      return 'running';
    case 'Failed':
    case 'Canceled':
      return 'stopped';
    default:
      return 'pending';
  }
}

/** A builder as the port shows it: its state, and Azure's reason when a status says something went wrong. */
function toBuilderInfo(vm: VirtualMachine): BuilderInfo {
  const problem = vm.instanceView?.statuses?.find((s) => s.level === 'Error' || s.code?.toLowerCase().startsWith('provisioningstate/failed'));
  const message = problem && [problem.code, problem.message].filter(Boolean).join(': ');
  return { instanceId: vm.id ?? vm.name ?? '', state: instanceState(vm), ...(message ? { message } : {}) };
}

function toInstanceInfo(vm: VirtualMachine, privateIp: string | undefined): InstanceInfo {
  const tags = vm.tags ?? {};
  const image = imageOf(vm);
  return {
    instanceId: vm.id ?? vm.name ?? '',
    name: vm.name ?? tags[TAG_NAME] ?? '',
    pool: tags[TAG_POOL] ?? '',
    role: tags[TAG_ROLE] === 'controlPlane' ? 'controlPlane' : 'worker',
    zone: vm.zones?.[0] ?? '',
    instanceType: vm.hardwareProfile?.vmSize ?? '',
    state: instanceState(vm),
    ...(privateIp ? { privateIp } : {}),
    ...(image ? { imageId: image } : {}),
    ...(vm.timeCreated ? { launchedAt: new Date(vm.timeCreated).toISOString() } : {}),
  };
}
