import {
  API_PORT,
  CloudError,
  TAG_BAKE,
  TAG_CLUSTER,
  TAG_IMAGE_SIGNATURE,
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
  type RegionOfferings,
} from '../../../core/cloud.js';
import { SIM_INSTANCE_TYPES, simulatedCloud, type SimImage, type SimInstance, type SimResource, type SimResourceKind, type SimulatedCloud } from './simulated-cloud.js';

/** Deletion order: what holds another goes first (a NAT gateway holds its address and subnet). */
const DELETION_ORDER: readonly SimResourceKind[] = ['loadBalancer', 'natGateway', 'elasticIp', 'internetGateway', 'routeTable', 'securityGroup', 'subnet', 'network', 'nodeIdentity'];

const TAG_ROLE = 'strata:role';

/** The cloud-provider port on the simulated cloud: the same idempotency rules as the real ones. */
export class SimulatedProvider implements CloudProvider {
  readonly cloud = 'local' as const;
  constructor(
    private readonly region: string,
    private readonly sim: SimulatedCloud = simulatedCloud(),
  ) {}

  async verifyAccess(): Promise<string> {
    this.sim.check('DescribeInstances', this.region);
    return 'the simulated cloud answers';
  }

  async offerings(instanceTypes: readonly string[]): Promise<RegionOfferings> {
    this.sim.check('DescribeAvailabilityZones', this.region);
    const region = this.sim.region(this.region);
    return { zones: region.zones, instanceTypes: instanceTypes.filter((t) => t in SIM_INSTANCE_TYPES) };
  }

  /**
   * A base image by its name (every region has them), or an image made or copied in the region, by
   * id or name. `resolve:ssm:` parameters are AWS's: the simulated cloud has its own names.
   */
  async resolveImage(ref: string): Promise<ImageInfo> {
    this.sim.check('DescribeImages', this.region);
    this.sim.region(this.region);
    const image = this.sim.image(this.region, ref) ?? this.sim.imagesIn(this.region).find((i) => i.name === ref);
    if (!image || image.state === 'failed') {
      throw new CloudError('InvalidAMIID.NotFound', `The image id '[${ref}]' does not exist in ${this.region}`, false);
    }
    if (image.state !== 'available') throw new CloudError('InvalidAMIID.Unavailable', `The image '${ref}' in ${this.region} is ${image.state}`);
    return { imageId: image.imageId, region: this.region, copied: false };
  }

  /** One DescribeImages with the signature tag as its filter: an available image before a pending one; failed ones are not found. */
  async findImage(signature: string): Promise<BakedImage | undefined> {
    this.sim.check('DescribeImages', this.region);
    const found = this.sim.imagesIn(this.region).filter((i) => i.tags[TAG_IMAGE_SIGNATURE] === signature && i.state !== 'failed');
    const image = found.find((i) => i.state === 'available') ?? found[0];
    return image && toBaked(image);
  }

  async describeImage(imageId: string): Promise<BakedImage | undefined> {
    this.sim.check('DescribeImages', this.region);
    const image = this.sim.image(this.region, imageId);
    return image && toBaked(image);
  }

  /**
   * A builder is an instance of the region tagged with its bake (never with a cluster: no cluster
   * lists, terminates or deletes it), in the zone of the subnet it is given (the region's first zone
   * when the simulated cloud does not know the subnet). The bake tag finds it again; the client
   * token keeps a retried launch from making a second one.
   */
  async launchBuilder(spec: BuilderSpec): Promise<BuilderInfo> {
    const existing = this.builder(spec.bakeId);
    if (existing && existing.state !== 'terminated') return toBuilder(existing);
    this.sim.check('launchBuilder', this.region);
    const subnet = this.sim.resources.get(spec.subnetId);
    const zone = subnet?.kind === 'subnet' && subnet.region === this.region && typeof subnet.attrs.zone === 'string' ? subnet.attrs.zone : this.sim.region(this.region).zones[0]!;
    const inst = this.sim.runInstance({
      region: this.region,
      zone,
      instanceType: spec.instanceType,
      imageId: spec.baseImageId,
      userData: spec.userData,
      clientToken: spec.idempotencyToken,
      tags: { [TAG_BAKE]: spec.bakeId, [TAG_NAME]: `strata-builder-${spec.bakeId}` },
      subnetId: spec.subnetId,
      publicIp: spec.publicIp,
    });
    return toBuilder(inst);
  }

  async builderStatus(bakeId: string): Promise<BuilderInfo | undefined> {
    this.sim.check('DescribeInstances', this.region);
    const inst = this.builder(bakeId);
    return inst && toBuilder(inst);
  }

  /** Running → stopping → stopped; asked again while it stops (or once it has), its state. */
  async stopBuilder(bakeId: string): Promise<BuilderInfo | undefined> {
    this.sim.check('DescribeInstances', this.region);
    const inst = this.builder(bakeId);
    if (!inst) return undefined;
    if (inst.state !== 'shutting-down' && inst.state !== 'terminated') this.sim.stop(inst.instanceId);
    return toBuilder(inst);
  }

  /**
   * The image of the bake's stopped builder, tagged with the signature and the bake. An image of
   * the name already in the region is the answer (whatever its state): the name is the idempotency key.
   */
  async createImage(spec: CreateImageSpec): Promise<BakedImage> {
    const named = this.sim.imagesIn(this.region).find((i) => i.name === spec.name);
    if (named) return toBaked(named);
    const builder = this.builder(spec.bakeId);
    if (!builder || builder.state === 'terminated') throw new CloudError('InvalidInstanceID.NotFound', `bake ${spec.bakeId} has no builder in ${this.region}`, false);
    const image = this.sim.createImage(builder.instanceId, {
      name: spec.name,
      description: spec.description,
      tags: { ...spec.tags, [TAG_NAME]: spec.name, [TAG_BAKE]: spec.bakeId, [TAG_IMAGE_SIGNATURE]: spec.signature },
    });
    return toBaked(image);
  }

  /**
   * A copy of another region's image in this one, tagged with the signature. Found again by its
   * client token, else by its name (the same signature's: another's is refused), else by an image of
   * the signature the region already has; otherwise copied.
   */
  async copyImage(spec: CopyImageSpec): Promise<BakedImage> {
    const here = this.sim.imagesIn(this.region);
    const same =
      here.find((i) => i.clientToken === spec.idempotencyToken) ??
      here.find((i) => i.name === spec.name && i.tags[TAG_IMAGE_SIGNATURE] === spec.signature) ??
      here.find((i) => i.tags[TAG_IMAGE_SIGNATURE] === spec.signature && i.state !== 'failed');
    if (same) return toBaked(same);
    const image = this.sim.copyImage({
      region: this.region,
      sourceRegion: spec.sourceRegion,
      sourceImageId: spec.sourceImageId,
      name: spec.name,
      description: spec.description,
      tags: { [TAG_NAME]: spec.name, [TAG_IMAGE_SIGNATURE]: spec.signature },
      clientToken: spec.idempotencyToken,
    });
    return toBaked(image);
  }

  /** Whatever state it is in; shutting-down now, terminated after the cloud's delay, undefined once the cloud forgot it. */
  async terminateBuilder(bakeId: string): Promise<BuilderInfo | undefined> {
    this.sim.check('DescribeInstances', this.region);
    const inst = this.builder(bakeId);
    if (!inst) return undefined;
    this.sim.terminate(inst.instanceId);
    return toBuilder(inst);
  }

  async deleteImage(imageId: string): Promise<void> {
    this.sim.deregisterImage(this.region, imageId);
  }

  /** The bake's builder in the region: a live one, else the last one launched (terminated, until the cloud forgets it). */
  private builder(bakeId: string): SimInstance | undefined {
    const all = [...this.sim.instances.values()].filter((i) => i.region === this.region && i.tags[TAG_BAKE] === bakeId);
    return all.find((i) => i.state !== 'terminated') ?? all.at(-1);
  }

  /**
   * The same layout as on AWS: a network with public and private subnets per zone, an internet
   * gateway, NAT gateways with addresses and route tables (or nodes with public IPs), three security
   * groups, node identities, and the API load balancer, all visible in GET /local/cloud. A network
   * the cluster brings must exist in the simulated cloud and is never tagged or deleted.
   */
  async ensureInfrastructure(spec: InfraSpec): Promise<InfraRefs> {
    const zones = this.sim.region(this.region).zones;
    for (const z of spec.zones) if (!zones.includes(z)) throw new CloudError('InvalidParameterValue', `Invalid availability zone: [${z}]`, false);
    const base = { [TAG_CLUSTER]: spec.clusterId };
    const findOrCreate = (kind: SimResourceKind, name: string, attrs: Record<string, unknown>) =>
      this.sim.findResources(kind, { ...base, [TAG_NAME]: name })[0] ?? this.sim.createResource(kind, this.region, { ...base, [TAG_NAME]: name }, attrs);

    const net = spec.network.existing ? this.checkExisting(spec) : this.managedNetwork(spec, findOrCreate);
    const cp = findOrCreate('securityGroup', `${spec.clusterName}-control-plane`, { networkId: net.networkId });
    const workers = findOrCreate('securityGroup', `${spec.clusterName}-workers`, { networkId: net.networkId });
    const lbGroup = findOrCreate('securityGroup', `${spec.clusterName}-api-lb`, { networkId: net.networkId });
    // The same rules as on AWS: groups reference each other; only the load balancer takes allowed networks.
    Object.assign(cp.attrs, {
      ingress: [
        { port: API_PORT, from: [workers.id, cp.id, lbGroup.id] },
        { ports: '2379-2380', from: [cp.id] },
        { port: 10250, from: [cp.id] },
      ],
    });
    Object.assign(workers.attrs, { ingress: [{ port: 10250, from: [cp.id] }] });
    Object.assign(lbGroup.attrs, { ingress: [{ port: API_PORT, from: [cp.id, workers.id, ...spec.apiAllowedCidrs] }] });
    const identity = (role: 'controlPlane' | 'worker') =>
      spec.nodeIdentity.existing?.[role] ??
      findOrCreate('nodeIdentity', `strata-${spec.clusterId}-${role === 'controlPlane' ? 'control-plane' : 'workers'}`, {
        permissions: spec.nodeIdentity.permissions[role].aws.flatMap((s) => s.Action),
      }).tags[TAG_NAME]!;
    const scheme = spec.publicApi ? 'internet-facing' : 'internal';
    const lb = findOrCreate('loadBalancer', `${spec.clusterName}-api`, {
      scheme,
      dnsName: `${spec.clusterId}-api.elb.${this.region}.sim.strata.internal`,
      address: this.sim.nextPrivateIp(),
      port: API_PORT,
      subnets: net.lbSubnets,
      securityGroups: [lbGroup.id],
      targets: [],
    });
    if (lb.attrs.scheme !== scheme) {
      throw new CloudError('LoadBalancerSchemeFixed', `the API load balancer is ${String(lb.attrs.scheme)}; a load balancer's scheme cannot change`, false);
    }
    return {
      networkId: net.networkId,
      subnets: net.nodeSubnets,
      ...(Object.keys(net.publicSubnets).length ? { publicSubnets: net.publicSubnets } : {}),
      networkManaged: !spec.network.existing,
      natGatewayIds: net.natGatewayIds,
      nodePublicIp: spec.network.nodeEgress === 'publicIp',
      controlPlaneSecurityGroupId: cp.id,
      workerSecurityGroupId: workers.id,
      loadBalancerId: lb.id,
      apiEndpoint: String(lb.attrs.dnsName),
      apiPort: API_PORT,
      nodeIdentity: { controlPlane: identity('controlPlane'), worker: identity('worker') },
      ...(net.pending.length ? { pending: net.pending } : {}),
    };
  }

  async registerApiTargets(clusterId: string, instanceIds: readonly string[]): Promise<void> {
    this.sim.check('RegisterTargets', this.region);
    const lb = this.loadBalancer(clusterId);
    if (!lb) throw new CloudError('TargetGroupNotFound', `cluster ${clusterId} has no API load balancer yet`);
    const targets = lb.attrs.targets as string[];
    for (const id of instanceIds) if (!targets.includes(id)) targets.push(id);
  }

  async deregisterApiTargets(clusterId: string, instanceIds: readonly string[]): Promise<void> {
    this.sim.check('DeregisterTargets', this.region);
    const lb = this.loadBalancer(clusterId);
    if (lb) lb.attrs.targets = (lb.attrs.targets as string[]).filter((id) => !instanceIds.includes(id));
  }

  /** A target is healthy once its node runs an API server: booted, and kubeadm ran with its bundle. */
  async apiEndpointStatus(clusterId: string): Promise<ApiEndpointStatus | undefined> {
    this.sim.check('DescribeTargetHealth', this.region);
    const lb = this.loadBalancer(clusterId);
    if (!lb) return undefined;
    return {
      endpoint: String(lb.attrs.dnsName),
      port: API_PORT,
      state: 'active',
      targets: (lb.attrs.targets as string[]).map((id) => {
        const state = this.sim.instances.get(id)?.state;
        const inst = this.sim.instances.get(id);
        return state === 'running' && inst?.apiServing
          ? { instanceId: id, health: 'healthy' as const }
          : state === 'running'
            ? { instanceId: id, health: 'unhealthy' as const, reason: 'no API server answers on 6443 yet' }
            : state === 'pending'
            ? { instanceId: id, health: 'initial' as const, reason: 'the instance is booting' }
            : { instanceId: id, health: 'unused' as const, reason: `the instance is ${state ?? 'gone'}` };
      }),
    };
  }

  private loadBalancer(clusterId: string): SimResource | undefined {
    return this.sim.findResources('loadBalancer', { [TAG_CLUSTER]: clusterId })[0];
  }

  private managedNetwork(spec: InfraSpec, findOrCreate: (kind: SimResourceKind, name: string, attrs: Record<string, unknown>) => SimResource) {
    const network = findOrCreate('network', spec.clusterName, { cidr: '10.0.0.0/16' });
    const igw = findOrCreate('internetGateway', `${spec.clusterName}-igw`, { networkId: network.id });
    const publicSubnets: Record<string, string> = {};
    spec.zones.forEach((zone, i) => {
      publicSubnets[zone] = findOrCreate('subnet', `${spec.clusterName}-public-${zone}`, { zone, cidr: `10.0.${192 + i * 4}.0/22`, networkId: network.id, public: true }).id;
    });
    findOrCreate('routeTable', `${spec.clusterName}-public`, { networkId: network.id, routes: [{ destination: '0.0.0.0/0', target: igw.id }], subnets: Object.values(publicSubnets) });
    if (spec.network.nodeEgress === 'publicIp') {
      return { networkId: network.id, nodeSubnets: publicSubnets, publicSubnets, lbSubnets: Object.values(publicSubnets), natGatewayIds: [] as string[], pending: [] as string[] };
    }
    const nodeSubnets: Record<string, string> = {};
    spec.zones.forEach((zone, i) => {
      nodeSubnets[zone] = findOrCreate('subnet', `${spec.clusterName}-${zone}`, { zone, cidr: `10.0.${i * 16}.0/20`, networkId: network.id }).id;
    });
    const perZone = spec.network.natGateways === 'perZone';
    const nats: Record<string, string> = {};
    const pending: string[] = [];
    for (const zone of perZone ? spec.zones : spec.zones.slice(0, 1)) {
      const name = perZone ? `${spec.clusterName}-nat-${zone}` : `${spec.clusterName}-nat`;
      const eip = findOrCreate('elasticIp', name, { publicIp: `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}` });
      const nat =
        this.sim.findResources('natGateway', { [TAG_CLUSTER]: spec.clusterId, [TAG_NAME]: name })[0] ??
        this.sim.makeNatGateway(this.region, { [TAG_CLUSTER]: spec.clusterId, [TAG_NAME]: name }, { subnetId: publicSubnets[zone], allocationId: eip.id });
      nats[zone] = nat.id;
      if (nat.attrs.state !== 'available') pending.push(`NAT gateway ${nat.id} is pending`);
    }
    const route = (name: string, nat: string, subnets: string[]) =>
      findOrCreate('routeTable', name, { networkId: network.id, routes: [{ destination: '0.0.0.0/0', target: nat }], subnets });
    if (perZone) for (const zone of spec.zones) route(`${spec.clusterName}-private-${zone}`, nats[zone]!, [nodeSubnets[zone]!]);
    else route(`${spec.clusterName}-private`, Object.values(nats)[0]!, Object.values(nodeSubnets));
    return {
      networkId: network.id,
      nodeSubnets,
      publicSubnets,
      lbSubnets: Object.values(spec.publicApi ? publicSubnets : nodeSubnets),
      natGatewayIds: Object.values(nats),
      pending,
    };
  }

  /** A network the cluster brings: its subnets must exist in the simulated cloud (made untagged, as by hand). */
  private checkExisting(spec: InfraSpec) {
    const existing = spec.network.existing!;
    const net = this.sim.resources.get(existing.networkId);
    if (net?.kind !== 'network') throw new CloudError('InvalidVpcID.NotFound', `the cluster's network ${existing.networkId} does not exist in the simulated cloud`, false);
    const nodeSubnets: Record<string, string> = {};
    for (const zone of spec.zones) {
      const id = existing.subnets[zone]!;
      const subnet = this.sim.resources.get(id);
      if (subnet?.kind !== 'subnet' || subnet.attrs.networkId !== net.id) throw new CloudError('InvalidSubnetID.NotFound', `subnet ${id} for zone ${zone} is not in ${net.id}`, false);
      const routed = [...this.sim.resources.values()].some(
        (r) => r.kind === 'routeTable' && (r.attrs.subnets as string[] | undefined)?.includes(id) && (r.attrs.routes as { destination: string }[]).some((x) => x.destination === '0.0.0.0/0'),
      );
      if (!routed) throw new CloudError('SubnetHasNoRouteOut', `node subnet ${id} (${zone}) has no default route (0.0.0.0/0) out: nodes could not join, pull images or reach Strata`, false);
      nodeSubnets[zone] = id;
    }
    const publicSubnets = { ...existing.loadBalancerSubnets };
    return { networkId: net.id, nodeSubnets, publicSubnets, lbSubnets: Object.values(spec.publicApi ? publicSubnets : nodeSubnets), natGatewayIds: [] as string[], pending: [] as string[] };
  }

  async ensureInstance(spec: InstanceSpec): Promise<InstanceInfo> {
    const existing = this.live(spec.clusterId).find((i) => i.tags[TAG_NAME] === spec.name);
    if (existing) return toInfo(existing);
    const inst = this.sim.runInstance({
      region: this.region,
      zone: spec.zone,
      instanceType: spec.instanceType,
      imageId: spec.imageId,
      userData: spec.userData,
      clientToken: spec.idempotencyToken,
      tags: { [TAG_CLUSTER]: spec.clusterId, [TAG_POOL]: spec.pool, [TAG_ROLE]: spec.role, [TAG_NAME]: spec.name },
      subnetId: spec.subnetId,
      identity: spec.identity,
      publicIp: spec.publicIp,
    });
    return toInfo(inst);
  }

  async listInstances(clusterId: string): Promise<InstanceInfo[]> {
    this.sim.check('DescribeInstances', this.region);
    return this.live(clusterId).map(toInfo);
  }

  /** As on EC2: shutting-down now, terminated (and the 'terminated' event) after the cloud's delay. */
  async terminateInstance(clusterId: string, instanceId: string): Promise<InstanceInfo | undefined> {
    this.sim.check('DescribeInstances', this.region);
    const inst = this.sim.instances.get(instanceId);
    if (!inst) return undefined;
    if (inst.tags[TAG_CLUSTER] !== clusterId) {
      throw new CloudError('InstanceNotOwned', `instance ${instanceId} is not tagged ${TAG_CLUSTER}=${clusterId}; Strata leaves it alone`, false);
    }
    this.sim.terminate(instanceId);
    // A terminated target leaves the load balancer, as an NLB drops it.
    const lb = this.loadBalancer(clusterId);
    if (lb) lb.attrs.targets = (lb.attrs.targets as string[]).filter((id) => id !== instanceId);
    return toInfo(inst);
  }

  async deleteClusterResources(clusterId: string): Promise<{ remaining: number; details: string[] }> {
    // The load balancer goes first, so nothing is sent to an instance about to terminate.
    const lb = this.loadBalancer(clusterId);
    if (lb) this.sim.deleteResource(lb.id);
    const alive = this.live(clusterId);
    for (const i of alive) if (i.state !== 'shutting-down') this.sim.terminate(i.instanceId);
    const still = this.live(clusterId);
    if (still.length) return { remaining: still.length, details: still.map((i) => `instance ${i.instanceId} ${i.state}`) };
    // Instances are gone: the rest in dependency order (only what carries the cluster's tag).
    for (const kind of DELETION_ORDER) {
      for (const r of this.sim.findResources(kind, { [TAG_CLUSTER]: clusterId })) this.sim.deleteResource(r.id);
    }
    const left = [...this.sim.resources.values()].filter((r) => r.tags[TAG_CLUSTER] === clusterId);
    return { remaining: left.length, details: left.map((r) => `${r.kind} ${r.id}`) };
  }

  private live(clusterId: string): SimInstance[] {
    return [...this.sim.instances.values()].filter((i) => i.tags[TAG_CLUSTER] === clusterId && i.state !== 'terminated');
  }
}

function toBuilder(i: SimInstance): BuilderInfo {
  return { instanceId: i.instanceId, state: i.state, ...(i.stateReason && i.state !== 'pending' && i.state !== 'running' ? { message: i.stateReason } : {}) };
}

function toBaked(i: SimImage): BakedImage {
  const signature = i.tags[TAG_IMAGE_SIGNATURE];
  return {
    imageId: i.imageId,
    name: i.name,
    region: i.region,
    state: i.state,
    ...(signature ? { signature } : {}),
    ...(i.stateReason ? { message: i.stateReason } : {}),
  };
}

function toInfo(i: SimInstance): InstanceInfo {
  return {
    instanceId: i.instanceId,
    name: i.tags[TAG_NAME] ?? i.instanceId,
    pool: i.tags[TAG_POOL] ?? '',
    role: i.tags['strata:role'] === 'controlPlane' ? 'controlPlane' : 'worker',
    zone: i.zone,
    instanceType: i.instanceType,
    state: i.state,
    privateIp: i.privateIp,
    imageId: i.imageId,
    launchedAt: new Date(i.launchedAt).toISOString(),
  };
}
