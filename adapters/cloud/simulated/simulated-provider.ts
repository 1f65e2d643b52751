import { CloudError, TAG_CLUSTER, TAG_NAME, TAG_POOL, type CloudProvider, type ImageInfo, type InfraRefs, type InfraSpec, type InstanceInfo, type InstanceSpec, type RegionOfferings } from '../../../core/cloud.js';
import { SIM_INSTANCE_TYPES, simulatedCloud, type SimInstance, type SimulatedCloud } from './simulated-cloud.js';

const TAG_ROLE = 'strata:role';

/** The cloud-provider port on the simulated cloud: the same idempotency rules as the real ones. */
export class SimulatedProvider implements CloudProvider {
  readonly cloud = 'local' as const;
  constructor(
    private readonly region: string,
    private readonly sim: SimulatedCloud = simulatedCloud(),
  ) {}

  async verifyAccess(): Promise<string> {
    this.sim.check('DescribeInstances');
    return 'the simulated cloud answers';
  }

  async offerings(instanceTypes: readonly string[]): Promise<RegionOfferings> {
    this.sim.check('DescribeAvailabilityZones');
    const region = this.sim.region(this.region);
    return { zones: region.zones, instanceTypes: instanceTypes.filter((t) => t in SIM_INSTANCE_TYPES) };
  }

  async resolveImage(ref: string): Promise<ImageInfo> {
    this.sim.check('DescribeImages');
    if (!this.sim.region(this.region).images.includes(ref)) {
      throw new CloudError('InvalidAMIID.NotFound', `The image id '[${ref}]' does not exist in ${this.region}`, false);
    }
    return { imageId: ref, region: this.region, copied: false };
  }

  async ensureInfrastructure(spec: InfraSpec): Promise<InfraRefs> {
    const zones = this.sim.region(this.region).zones;
    for (const z of spec.zones) if (!zones.includes(z)) throw new CloudError('InvalidParameterValue', `Invalid availability zone: [${z}]`, false);
    const base = { [TAG_CLUSTER]: spec.clusterId };
    const findOrCreate = (kind: 'network' | 'subnet' | 'securityGroup', name: string, attrs: Record<string, unknown>) =>
      this.sim.findResources(kind, { ...base, [TAG_NAME]: name })[0] ?? this.sim.createResource(kind, this.region, { ...base, [TAG_NAME]: name }, attrs);

    const network = findOrCreate('network', spec.clusterName, { cidr: '10.0.0.0/16' });
    const subnets: Record<string, string> = {};
    spec.zones.forEach((zone, i) => {
      subnets[zone] = findOrCreate('subnet', `${spec.clusterName}-${zone}`, { zone, cidr: `10.0.${i * 16}.0/20`, networkId: network.id }).id;
    });
    const cp = findOrCreate('securityGroup', `${spec.clusterName}-control-plane`, { networkId: network.id });
    const workers = findOrCreate('securityGroup', `${spec.clusterName}-workers`, { networkId: network.id });
    // The same rules as on AWS: security groups reference each other, never 0.0.0.0/0 unless asked.
    Object.assign(cp.attrs, {
      ingress: [
        { port: 6443, from: [workers.id, cp.id, ...spec.apiAllowedCidrs] },
        { ports: '2379-2380', from: [cp.id] },
        { port: 10250, from: [cp.id] },
      ],
    });
    Object.assign(workers.attrs, { ingress: [{ port: 10250, from: [cp.id] }] });
    return {
      networkId: network.id,
      subnets,
      controlPlaneSecurityGroupId: cp.id,
      workerSecurityGroupId: workers.id,
      apiEndpoint: `api.${spec.clusterId}.${this.region}.sim.strata.internal`,
    };
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
    });
    return toInfo(inst);
  }

  async listInstances(clusterId: string): Promise<InstanceInfo[]> {
    this.sim.check('DescribeInstances');
    return this.live(clusterId).map(toInfo);
  }

  async deleteClusterResources(clusterId: string): Promise<{ remaining: number; details: string[] }> {
    const alive = this.live(clusterId);
    for (const i of alive) if (i.state !== 'shutting-down') this.sim.terminate(i.instanceId);
    const still = this.live(clusterId);
    if (still.length) return { remaining: still.length, details: still.map((i) => `instance ${i.instanceId} ${i.state}`) };
    // Instances are gone: security groups, then subnets, then the network.
    for (const kind of ['securityGroup', 'subnet', 'network'] as const) {
      for (const r of this.sim.findResources(kind, { [TAG_CLUSTER]: clusterId })) this.sim.deleteResource(r.id);
    }
    const left = [...this.sim.resources.values()].filter((r) => r.tags[TAG_CLUSTER] === clusterId);
    return { remaining: left.length, details: left.map((r) => `${r.kind} ${r.id}`) };
  }

  private live(clusterId: string): SimInstance[] {
    return [...this.sim.instances.values()].filter((i) => i.tags[TAG_CLUSTER] === clusterId && i.state !== 'terminated');
  }
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
  };
}
