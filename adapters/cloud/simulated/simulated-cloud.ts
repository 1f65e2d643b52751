import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { CloudError } from '../../../core/cloud.js';
import { clock } from '../../../core/clock.js';

/**
 * The simulated cloud: a real, in-process implementation of what the provider port needs —
 * regions and zones, images, networks, security groups, instances that take time to boot,
 * per-region vCPU quotas, client-token idempotency, and fault injection. One per process.
 */
export interface SimInstance {
  readonly instanceId: string;
  readonly region: string;
  readonly zone: string;
  readonly instanceType: string;
  readonly imageId: string;
  readonly userData: string;
  readonly tags: Record<string, string>;
  readonly clientToken: string;
  readonly privateIp: string;
  readonly subnetId?: string;
  /** The node identity it runs with. */
  readonly identity?: string;
  readonly publicIp?: boolean;
  readonly vcpus: number;
  state: 'pending' | 'running' | 'shutting-down' | 'terminated';
  readonly launchedAt: number;
  /** A control-plane node's API server answers: set by the simulated node once kubeadm ran with its bundle. */
  apiServing?: boolean;
}

/** Kinds of simulated resources, with their id prefix and the cloud API calls that make and delete them. */
export const SIM_RESOURCE_KINDS = {
  network: { prefix: 'vpc', create: 'CreateVpc', remove: 'DeleteVpc' },
  subnet: { prefix: 'subnet', create: 'CreateSubnet', remove: 'DeleteSubnet' },
  securityGroup: { prefix: 'sg', create: 'CreateSecurityGroup', remove: 'DeleteSecurityGroup' },
  internetGateway: { prefix: 'igw', create: 'CreateInternetGateway', remove: 'DeleteInternetGateway' },
  elasticIp: { prefix: 'eipalloc', create: 'AllocateAddress', remove: 'ReleaseAddress' },
  natGateway: { prefix: 'nat', create: 'CreateNatGateway', remove: 'DeleteNatGateway' },
  routeTable: { prefix: 'rtb', create: 'CreateRouteTable', remove: 'DeleteRouteTable' },
  loadBalancer: { prefix: 'lb', create: 'CreateLoadBalancer', remove: 'DeleteLoadBalancer' },
  nodeIdentity: { prefix: 'id', create: 'CreateRole', remove: 'DeleteRole' },
} as const;
export type SimResourceKind = keyof typeof SIM_RESOURCE_KINDS;

export interface SimResource {
  readonly id: string;
  readonly kind: SimResourceKind;
  readonly region: string;
  readonly tags: Record<string, string>;
  readonly attrs: Record<string, unknown>;
}

export interface Fault {
  /** Port operation name, or the cloud API name it stands for, e.g. RunInstances. */
  readonly operation: string;
  /** Error code, e.g. VcpuLimitExceeded. */
  readonly error: string;
  readonly message?: string;
  /** Fail this many times, then succeed; absent = until cleared. */
  times?: number;
  /** Fail with this probability (0-1) instead of every time. */
  readonly rate?: number;
}

export interface SimSettings {
  /** Milliseconds from launch to running. */
  bootMs: number;
  /** Milliseconds from terminate to terminated. */
  terminateMs: number;
  /** How the simulated cloud waits (the local runtime's clock, so an advance boots instances too). */
  sleep: (ms: number) => Promise<void>;
}

export const SIM_REGIONS: Record<string, { zones: string[]; vcpuQuota: number; images: string[] }> = {
  'sim-east-1': { zones: ['sim-east-1a', 'sim-east-1b', 'sim-east-1c'], vcpuQuota: 256, images: ['sim-ubuntu-22.04', 'sim-ubuntu-24.04'] },
  'sim-west-1': { zones: ['sim-west-1a', 'sim-west-1b'], vcpuQuota: 128, images: ['sim-ubuntu-22.04', 'sim-ubuntu-24.04'] },
};

/** vCPUs per simulated instance type; unknown types are refused like a real cloud would. */
export const SIM_INSTANCE_TYPES: Record<string, number> = { 'sim.small': 1, 'sim.medium': 2, 'sim.large': 4, 'sim.xlarge': 8, 'sim.2xlarge': 16 };

const DEFAULT_MESSAGES: Record<string, string> = {
  VcpuLimitExceeded: 'You have requested more vCPU capacity than your current vCPU limit allows for the instance bucket that the specified instance type belongs to.',
  InsufficientInstanceCapacity: 'There is no Spot capacity available that matches your request.',
  RequestLimitExceeded: 'Request limit exceeded.',
  UnauthorizedOperation: 'You are not authorized to perform this operation.',
};

/** What the simulated agents should report for a node or cluster (set through /local/faults). */
export interface NodeFault {
  readonly node: string;
  readonly condition: string;
  readonly status: 'True' | 'False' | 'Unknown';
  /** When the fault was set, on the simulated clock: the condition's lastTransitionTime. */
  readonly since?: number;
}

export class SimulatedCloud extends EventEmitter {
  readonly instances = new Map<string, SimInstance>();
  /** Node conditions forced by fault injection, by node name. */
  readonly nodeFaults: NodeFault[] = [];
  /** CPU usage forced on a cluster's nodes, in percent of allocatable. */
  readonly cpuOverrides = new Map<string, number>();
  /** Clusters whose agent stops reporting (a network partition, a crashed agent). */
  readonly silencedAgents = new Set<string>();
  readonly resources = new Map<string, SimResource>();
  readonly faults: Fault[] = [];
  readonly quotas = new Map<string, number>(Object.entries(SIM_REGIONS).map(([r, v]) => [r, v.vcpuQuota]));
  readonly settings: SimSettings = {
    bootMs: 300,
    terminateMs: 100,
    sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()),
  };
  /** Every API call made, for inspection. */
  calls = 0;
  private ip = 10;

  /** Throws the injected fault for an operation, if one is due. */
  check(operation: string): void {
    this.calls++;
    const i = this.faults.findIndex((f) => f.operation === operation);
    if (i < 0) return;
    const f = this.faults[i]!;
    if (f.rate !== undefined && Math.random() >= f.rate) return;
    if (f.times !== undefined) {
      f.times -= 1;
      if (f.times <= 0) this.faults.splice(i, 1);
    }
    throw new CloudError(f.error, f.message ?? DEFAULT_MESSAGES[f.error] ?? `${operation} failed: ${f.error}`, f.error !== 'UnauthorizedOperation');
  }

  region(name: string) {
    const r = SIM_REGIONS[name];
    if (!r) throw new CloudError('InvalidRegion', `The region '${name}' does not exist in the simulated cloud (regions: ${Object.keys(SIM_REGIONS).join(', ')})`, false);
    return r;
  }

  vcpusInUse(region: string): number {
    let n = 0;
    for (const i of this.instances.values()) if (i.region === region && i.state !== 'terminated') n += i.vcpus;
    return n;
  }

  runInstance(req: Omit<SimInstance, 'instanceId' | 'state' | 'launchedAt' | 'privateIp' | 'vcpus'>): SimInstance {
    this.check('RunInstances');
    const region = this.region(req.region);
    if (!region.zones.includes(req.zone)) throw new CloudError('InvalidParameterValue', `Invalid availability zone: [${req.zone}]`, false);
    if (!region.images.includes(req.imageId)) throw new CloudError('InvalidAMIID.NotFound', `The image id '[${req.imageId}]' does not exist`, false);
    const vcpus = SIM_INSTANCE_TYPES[req.instanceType];
    if (!vcpus) throw new CloudError('InvalidParameterValue', `Invalid value '${req.instanceType}' for InstanceType (simulated types: ${Object.keys(SIM_INSTANCE_TYPES).join(', ')})`, false);
    // Client tokens make launches idempotent, as on EC2.
    for (const i of this.instances.values()) if (i.clientToken === req.clientToken && i.state !== 'terminated') return i;
    const quota = this.quotas.get(req.region) ?? 0;
    if (this.vcpusInUse(req.region) + vcpus > quota) {
      throw new CloudError('VcpuLimitExceeded', `${DEFAULT_MESSAGES.VcpuLimitExceeded} Limit ${quota} vCPUs in ${req.region}.`);
    }
    const inst: SimInstance = {
      ...req,
      instanceId: `i-${randomBytes(8).toString('hex')}`,
      privateIp: this.nextPrivateIp(),
      vcpus,
      state: 'pending',
      launchedAt: clock.now(),
    };
    this.instances.set(inst.instanceId, inst);
    this.later(this.settings.bootMs, () => {
      if (inst.state !== 'pending') return;
      inst.state = 'running';
      this.emit('running', inst);
    });
    return inst;
  }

  terminate(instanceId: string): void {
    this.check('TerminateInstances');
    const inst = this.instances.get(instanceId);
    if (!inst || inst.state === 'terminated' || inst.state === 'shutting-down') return;
    inst.state = 'shutting-down';
    this.later(this.settings.terminateMs, () => {
      inst.state = 'terminated';
      this.emit('terminated', inst);
    });
  }

  createResource(kind: SimResourceKind, region: string, tags: Record<string, string>, attrs: Record<string, unknown> = {}): SimResource {
    this.check(SIM_RESOURCE_KINDS[kind].create);
    this.region(region);
    const r: SimResource = { id: `${SIM_RESOURCE_KINDS[kind].prefix}-${randomBytes(8).toString('hex')}`, kind, region, tags, attrs };
    this.resources.set(r.id, r);
    return r;
  }

  findResources(kind: SimResourceKind, tags: Record<string, string>): SimResource[] {
    return [...this.resources.values()].filter((r) => r.kind === kind && Object.entries(tags).every(([k, v]) => r.tags[k] === v));
  }

  deleteResource(id: string): void {
    const r = this.resources.get(id);
    if (!r) return;
    this.check(SIM_RESOURCE_KINDS[r.kind].remove);
    this.resources.delete(id);
  }

  /** A free address in the simulated network (instances and load balancers). */
  nextPrivateIp(): string {
    const n = this.ip++;
    return `10.0.${Math.floor(n / 250)}.${(n % 250) + 4}`;
  }

  /** Drop terminated instances from memory (as EC2 forgets them after about an hour). */
  forgetTerminated(): void {
    for (const [id, i] of this.instances) if (i.state === 'terminated') this.instances.delete(id);
  }

  /** A NAT gateway routes a boot time after it is made, as on AWS a minute or two after. */
  makeNatGateway(region: string, tags: Record<string, string>, attrs: Record<string, unknown>): SimResource {
    const nat = this.createResource('natGateway', region, tags, { ...attrs, state: 'pending' });
    this.later(this.settings.bootMs, () => {
      if (nat.attrs.state === 'pending') nat.attrs.state = 'available';
    });
    return nat;
  }

  private later(ms: number, fn: () => void) {
    if (ms <= 0) queueMicrotask(fn);
    else void this.settings.sleep(ms).then(fn);
  }
}

let shared: SimulatedCloud | undefined;

/** The process's simulated cloud (the local runtime, its agents and the task handlers share it). */
export function simulatedCloud(): SimulatedCloud {
  shared ??= new SimulatedCloud();
  return shared;
}
