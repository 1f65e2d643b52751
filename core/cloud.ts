import type { Cloud } from './packs.js';

/**
 * The cloud-provider port. Three adapters implement it (adapters/cloud/{aws,azure,simulated});
 * the workflow steps only ever speak to this. Every method is idempotent: it finds what an
 * earlier attempt made (by tags or client tokens) before making anything.
 */
export interface CloudProvider {
  readonly cloud: Cloud;
  /**
   * Prove the account's credentials work, changing nothing: AWS assumes the role with its
   * ExternalId and makes a dry-run call; Azure gets a token and reads the subscription. Throws
   * the provider's own error when they do not.
   */
  verifyAccess(): Promise<string>;
  /**
   * What the provider offers in the provider's region: its zones, and which of `instanceTypes` it
   * runs there. Undefined where the provider cannot tell cheaply. A region that does not exist (or
   * is not enabled) is a CloudError that is not retryable.
   */
  offerings(instanceTypes: readonly string[]): Promise<RegionOfferings | undefined>;
  /**
   * Find the image for a reference in the region: an AMI id or `resolve:ssm:<public parameter>`
   * (AWS), a marketplace URN or image id (Azure), a simulated image name.
   */
  resolveImage(ref: string): Promise<ImageInfo>;
  /**
   * The image Strata made with this signature in the provider's region (tagged TAG_IMAGE_SIGNATURE),
   * in one call; undefined when there is none. A deregistered or failed image is not found.
   */
  findImage(signature: string): Promise<BakedImage | undefined>;
  /** One image by the cloud's id, in the provider's region; undefined when it is gone. */
  describeImage(imageId: string): Promise<BakedImage | undefined>;
  /**
   * Launch (or find, by its TAG_BAKE tag and the idempotency token) the builder of one bake, from
   * the resolved base image, with the bake's user data. Never tagged for a cluster.
   */
  launchBuilder(spec: BuilderSpec): Promise<BuilderInfo>;
  /** The builder of a bake as the cloud sees it now (found by its TAG_BAKE tag); undefined when gone. */
  builderStatus(bakeId: string): Promise<BuilderInfo | undefined>;
  /** Stop the builder (its disk becomes the image). Idempotent. */
  stopBuilder(bakeId: string): Promise<BuilderInfo | undefined>;
  /**
   * Make the image from the stopped builder (Azure: generalize, then an image version in the
   * account's Compute Gallery), tagged with the signature. Idempotent by name: a second call
   * returns the image the first made.
   */
  createImage(spec: CreateImageSpec): Promise<BakedImage>;
  /**
   * Copy an image made in another region of the same account into the provider's region, tagged
   * with the signature (AWS CopyImage with a client token; Azure adds the region to the gallery
   * version's target regions). Idempotent.
   */
  copyImage(spec: CopyImageSpec): Promise<BakedImage>;
  /** Terminate the builder of a bake, whatever state it is in. Idempotent: undefined once gone. */
  terminateBuilder(bakeId: string): Promise<BuilderInfo | undefined>;
  /** Delete an image Strata made (AWS: deregister it and delete its snapshots). Idempotent. */
  deleteImage(imageId: string): Promise<void>;
  /**
   * The cluster's network (or checks of the one it brings), egress for private nodes, the node
   * identities, control-plane and worker security groups, and the API load balancer.
   */
  ensureInfrastructure(spec: InfraSpec): Promise<InfraRefs>;
  /** Put control-plane instances behind the API load balancer (registering one twice is a no-op). */
  registerApiTargets(clusterId: string, instanceIds: readonly string[]): Promise<void>;
  /** Take instances out of the API load balancer: before they are drained or terminated. */
  deregisterApiTargets(clusterId: string, instanceIds: readonly string[]): Promise<void>;
  /** The API load balancer as the cloud sees it; undefined when there is none (yet). */
  apiEndpointStatus(clusterId: string): Promise<ApiEndpointStatus | undefined>;
  /** Launch (or find) one node. The idempotency token makes a repeated call return the same instance. */
  ensureInstance(spec: InstanceSpec): Promise<InstanceInfo>;
  /** Every instance tagged for the cluster, in any state but terminated. */
  listInstances(clusterId: string): Promise<InstanceInfo[]>;
  /**
   * Terminate one node of the cluster (scale-down, replacement); the caller takes it out of the API
   * load balancer first. An instance not tagged for the cluster is refused (a CloudError that is
   * not retryable), never touched. Idempotent: an instance already going returns its state, one
   * that is gone returns undefined. Otherwise the instance as seen after the call: shutting-down
   * or terminated.
   */
  terminateInstance(clusterId: string, instanceId: string): Promise<InstanceInfo | undefined>;
  /**
   * Remove everything tagged for the cluster, a pass at a time: instances first, then security
   * groups, subnets and the network once nothing depends on them. Returns what still remains.
   */
  deleteClusterResources(clusterId: string): Promise<{ remaining: number; details: string[] }>;
}

export interface RegionOfferings {
  readonly zones: readonly string[];
  /** Those of the asked-for instance types the region offers. */
  readonly instanceTypes: readonly string[];
}

export interface ImageInfo {
  readonly imageId: string;
  readonly region: string;
  /** True when the image had to be copied into the region. */
  readonly copied: boolean;
}

/** An image Strata baked or copied, as the cloud shows it. */
export interface BakedImage {
  readonly imageId: string;
  readonly name: string;
  readonly region: string;
  /** pending: the cloud is still making (or copying) it; failed: the cloud gave up (message says why). */
  readonly state: 'pending' | 'available' | 'failed';
  /** The TAG_IMAGE_SIGNATURE tag, when the image carries it. */
  readonly signature?: string;
  readonly message?: string;
}

export interface BuilderSpec {
  /** The image record's id and attempt, e.g. img-…-a1: the TAG_BAKE tag and the basis of the idempotency token. */
  readonly bakeId: string;
  /** The base image, as resolveImage answered it. */
  readonly baseImageId: string;
  readonly instanceType: string;
  readonly subnetId: string;
  readonly securityGroupId: string;
  readonly diskGiB: number;
  readonly userData: string;
  readonly idempotencyToken: string;
  readonly publicIp: boolean;
}

export interface BuilderInfo {
  readonly instanceId: string;
  readonly state: InstanceInfo['state'];
  /** Why the cloud stopped or ended it (state reason), when it says. */
  readonly message?: string;
}

export interface CreateImageSpec {
  readonly bakeId: string;
  /** bakedImageName(): the idempotency key. */
  readonly name: string;
  readonly signature: string;
  readonly description: string;
  /** Extra tags (pack, versions) beside the signature. */
  readonly tags: Readonly<Record<string, string>>;
}

export interface CopyImageSpec {
  readonly sourceRegion: string;
  readonly sourceImageId: string;
  readonly name: string;
  readonly signature: string;
  readonly description: string;
  readonly idempotencyToken: string;
}

/** The Kubernetes API's port, on the load balancer and on every control-plane node. */
export const API_PORT = 6443;

/** How a cluster's nodes are networked (the cluster's `network` settings, see core/clusters.ts). */
export interface NetworkSpec {
  /** natGateway: private subnets, egress through NAT; publicIp: nodes in public subnets with their own address. */
  readonly nodeEgress: 'natGateway' | 'publicIp';
  /** One NAT gateway for the cluster, or one per zone (a zone's outage then leaves the others' egress). */
  readonly natGateways: 'single' | 'perZone';
  /** The customer's own network: Strata makes only security groups and the load balancer in it. */
  readonly existing?: ExistingNetwork;
}

export interface ExistingNetwork {
  /** AWS: vpc-…; Azure: the virtual network's resource id. */
  readonly networkId: string;
  /** Zone → the subnet its nodes live in. */
  readonly subnets: Readonly<Record<string, string>>;
  /** Zone → a public subnet for an internet-facing API load balancer (AWS). */
  readonly loadBalancerSubnets?: Readonly<Record<string, string>>;
}

/** An IAM policy statement (AWS); Azure identities take role definitions by name instead. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** What the nodes of each role may do in the cloud, and with which identity. */
export interface NodeIdentitySpec {
  /** Identities the cloud account names (AWS instance profile names; Azure identity ids): used as they are. */
  readonly existing?: Readonly<Record<NodeRole, string>>;
  /** Otherwise Strata makes one per role with exactly these permissions (core/node-permissions.ts). */
  readonly permissions: Readonly<Record<NodeRole, { readonly aws: readonly PolicyStatement[]; readonly azureRoles: readonly string[] }>>;
}

export type NodeRole = 'controlPlane' | 'worker';

export interface InfraSpec {
  readonly clusterId: string;
  readonly clusterName: string;
  readonly zones: readonly string[];
  /** CIDRs allowed to reach the Kubernetes API; empty means only the cluster itself. */
  readonly apiAllowedCidrs: readonly string[];
  readonly publicApi: boolean;
  readonly network: NetworkSpec;
  readonly nodeIdentity: NodeIdentitySpec;
}

export interface InfraRefs {
  readonly networkId: string;
  /** Zone → the subnet its nodes are launched in. */
  readonly subnets: Readonly<Record<string, string>>;
  /** Zone → public subnet (NAT gateways, internet-facing load balancer), when there are any. */
  readonly publicSubnets?: Readonly<Record<string, string>>;
  /** False when the cluster brought its own network: Strata never deletes it. */
  readonly networkManaged: boolean;
  readonly natGatewayIds: readonly string[];
  readonly nodePublicIp: boolean;
  readonly controlPlaneSecurityGroupId: string;
  readonly workerSecurityGroupId: string;
  /** The API load balancer's id (ARN / resource id) and DNS name: kubeadm's controlPlaneEndpoint. */
  readonly loadBalancerId: string;
  readonly apiEndpoint: string;
  readonly apiPort: number;
  /**
   * Where nodes must map apiEndpoint in /etc/hosts because no DNS publishes it, or because the load
   * balancer cannot hairpin (Azure's internal one drops a backend's own flow back to itself, so
   * control-plane nodes map it to 127.0.0.1). Absent: DNS answers and every node may use it.
   */
  readonly apiHosts?: Readonly<Partial<Record<NodeRole, string>>> & {
    /** Where a joining control-plane node reaches the API until its own API server serves. */
    readonly join?: string;
  };
  /**
   * What the cloud is still making, which nodes would need (a NAT gateway still pending): the step
   * waits, and nothing is reported made, until it is empty.
   */
  readonly pending?: readonly string[];
  /** Per role: the instance profile name (AWS) or user-assigned identity id (Azure) nodes launch with. */
  readonly nodeIdentity: Readonly<Record<NodeRole, string>>;
  /**
   * The cloud controller manager's configuration file content, where the cloud needs one (Azure's
   * azure.json). No secrets: nodes authenticate with their managed identity.
   */
  readonly cloudProviderConfig?: Readonly<Record<string, string | number | boolean>>;
}

export interface ApiEndpointStatus {
  readonly endpoint: string;
  readonly port: number;
  /** active: the load balancer routes; provisioning: the cloud is still making it. */
  readonly state: 'provisioning' | 'active' | 'failed';
  readonly targets: readonly { readonly instanceId: string; readonly health: 'healthy' | 'unhealthy' | 'initial' | 'draining' | 'unused'; readonly reason?: string }[];
}

export interface InstanceSpec {
  readonly clusterId: string;
  readonly pool: string;
  readonly role: NodeRole;
  /** Stable node name, e.g. demo-cp-0: also the basis of the idempotency token. */
  readonly name: string;
  readonly zone: string;
  readonly subnetId: string;
  readonly securityGroupId: string;
  readonly instanceType: string;
  readonly imageId: string;
  readonly diskGiB: number;
  readonly userData: string;
  readonly idempotencyToken: string;
  readonly publicIp: boolean;
  /** The node identity to launch with (InfraRefs.nodeIdentity of its role). */
  readonly identity: string;
}

export interface InstanceInfo {
  readonly instanceId: string;
  readonly name: string;
  readonly pool: string;
  readonly role: 'controlPlane' | 'worker';
  readonly zone: string;
  readonly instanceType: string;
  readonly state: 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
  readonly privateIp?: string;
  /** The image it was launched from, as the provider names images (AMI id, Azure URN or image id). */
  readonly imageId?: string;
  /** When it was launched (ISO 8601), where the provider tells. */
  readonly launchedAt?: string;
}

/** Tag keys every resource carries, on every cloud. */
export const TAG_CLUSTER = 'strata:cluster';
export const TAG_POOL = 'strata:pool';
export const TAG_NAME = 'Name';
/** On baked and copied images: the signature of what made them (core/images.ts). */
export const TAG_IMAGE_SIGNATURE = 'strata:image-signature';
/** On a builder instance (and its image): the bake it belongs to. */
export const TAG_BAKE = 'strata:bake';

/**
 * A provider's refusal. `code` is the provider's own error code and `message` its own text;
 * `retryable` is false only for errors no retry can fix without a user's change.
 */
export class CloudError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'CloudError';
  }
}

/** What a user can do about a provider error; undefined when the message says it all. */
export function remedyFor(code: string, region: string): string | undefined {
  switch (code) {
    case 'VcpuLimitExceeded':
    case 'OperationNotAllowed': // Azure's quota error
      return `request a vCPU quota increase for ${region} or free capacity`;
    case 'InsufficientInstanceCapacity':
    case 'SkuNotAvailable':
    case 'ZonalAllocationFailed':
      return `the zone has no capacity for this instance type now; Strata keeps retrying, or choose another type or zone`;
    case 'UnauthorizedOperation':
    case 'AccessDenied':
    case 'AuthorizationFailed':
      return 'give the cloud account role the permissions listed in the README';
    case 'InvalidAMIID.NotFound':
    case 'ImageNotFound':
      return `the OS pack has no usable image in ${region}; publish a pack version with one`;
    case 'RequestLimitExceeded':
    case 'Throttling':
      return 'the cloud API is throttling requests; Strata backs off and retries';
    default:
      return undefined;
  }
}

/**
 * What of a cluster's placement the provider says does not exist: the region (a not-retryable
 * error of offerings()), a zone, or an instance type — each a detail naming its field.
 */
export function placementProblems(
  spec: { readonly region: string; readonly nodePools: readonly { readonly zones: readonly string[]; readonly instanceType: string }[] },
  offered: RegionOfferings,
): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  spec.nodePools.forEach((pool, i) => {
    pool.zones.forEach((zone, z) => {
      if (!offered.zones.includes(zone)) out.push({ path: `nodePools[${i}].zones[${z}]`, message: `${zone} is not a zone of ${spec.region} (zones: ${offered.zones.join(', ')})` });
    });
    if (!offered.instanceTypes.includes(pool.instanceType)) out.push({ path: `nodePools[${i}].instanceType`, message: `${pool.instanceType} is not offered in ${spec.region}` });
  });
  return out;
}
