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
  state: 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
  /** Why the cloud stopped or ended it, as EC2's StateReason says. */
  stateReason?: string;
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

/**
 * An image in a region: the base images every region has (public, not the account's) and the
 * images made there from a stopped builder (CreateImage) or copied from another region (CopyImage).
 * A made image is pending for `settings.imageMs`, then available (or failed, by fault injection).
 */
export interface SimImage {
  /** sim-img-<hex> for made images; a base image's id is its name. */
  readonly imageId: string;
  readonly region: string;
  /** Unique in its region. */
  readonly name: string;
  readonly description: string;
  readonly tags: Record<string, string>;
  state: 'pending' | 'available' | 'failed';
  stateReason?: string;
  /** The runtime clock's ms when it was made. */
  readonly createdAt: number;
  /** The base image it descends from: the OS it runs. */
  readonly baseImageId: string;
  /** The stopped builder it was made from. */
  readonly sourceInstanceId?: string;
  readonly copiedFrom?: { readonly region: string; readonly imageId: string };
  /** CopyImage's client token. */
  readonly clientToken?: string;
  /** False for the base images: they cannot be deregistered. */
  readonly owned: boolean;
}

export interface Fault {
  /**
   * Port operation name (launchBuilder, createImage, copyImage), or the cloud API name it stands
   * for, e.g. RunInstances. Two that are no calls: Customize (a builder's playbook fails with the
   * fault's message) and ImageFailure (a made image ends failed instead of available).
   */
  readonly operation: string;
  /** Only calls in this region fail; any region when absent. */
  readonly region?: string;
  /** Error code, e.g. VcpuLimitExceeded. */
  readonly error: string;
  readonly message?: string;
  /** Fail this many times, then succeed; absent = until cleared. */
  times?: number;
  /** Fail with this probability (0-1) instead of every time. */
  readonly rate?: number;
  /** A slow operation instead of a failing one: how long it takes, in seconds of the simulated clock (a node's OS patch). */
  readonly seconds?: number;
}

export interface SimSettings {
  /** Milliseconds from launch to running. */
  bootMs: number;
  /** Milliseconds from terminate to terminated. */
  terminateMs: number;
  /** Milliseconds from stop to stopped. */
  stopMs: number;
  /** Milliseconds a made or copied image stays pending. */
  imageMs: number;
  /** Milliseconds a simulated builder spends on its playbook, from running to its signal (local/simulated-builders.ts). */
  bakeMs: number;
  /** How the simulated cloud waits (the local runtime's clock, so an advance boots instances too); early when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
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
  InternalError: 'An internal error has occurred.',
};

/** Base images: the same names in every region, public, never made nor deregistered. */
const isBaseImage = (region: { images: string[] }, imageId: string) => region.images.includes(imageId);

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
  /** Made and copied images, by id (each in one region); the base images are in SIM_REGIONS. */
  readonly images = new Map<string, SimImage>();
  readonly faults: Fault[] = [];
  readonly quotas = new Map<string, number>(Object.entries(SIM_REGIONS).map(([r, v]) => [r, v.vcpuQuota]));
  readonly settings: SimSettings = {
    bootMs: 300,
    terminateMs: 100,
    stopMs: 100,
    imageMs: 300,
    bakeMs: 300,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        timer.unref();
        signal?.addEventListener('abort', done, { once: true });
      }),
  };
  /** Every API call made, for inspection. */
  calls = 0;
  /** The same, per operation (the last name a call gives: the cloud API's). */
  readonly callsByOperation = new Map<string, number>();
  private ip = 10;

  /**
   * Counts an API call and throws the injected fault for it, if one is due. `operation` may name
   * the call twice (the port's name and the cloud API's, e.g. ['createImage', 'CreateImage']): a
   * fault on either applies. A fault with a region applies only to calls in that region.
   */
  check(operation: string | readonly string[], region?: string): void {
    this.calls++;
    const op = typeof operation === 'string' ? operation : operation[operation.length - 1]!;
    this.callsByOperation.set(op, (this.callsByOperation.get(op) ?? 0) + 1);
    const f = this.due(operation, region);
    if (!f) return;
    const name = typeof operation === 'string' ? operation : operation[operation.length - 1]!;
    throw new CloudError(f.error, f.message ?? DEFAULT_MESSAGES[f.error] ?? `${name} failed: ${f.error}`, f.error !== 'UnauthorizedOperation');
  }

  /** The injected fault due now for an operation (one of `times` spent), or undefined. Not an API call. */
  due(operation: string | readonly string[], region?: string): Fault | undefined {
    const names = typeof operation === 'string' ? [operation] : operation;
    const i = this.faults.findIndex((f) => names.includes(f.operation) && (f.region === undefined || f.region === region));
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (f.rate !== undefined && Math.random() >= f.rate) return undefined;
    if (f.times !== undefined) {
      f.times -= 1;
      if (f.times <= 0) this.faults.splice(i, 1);
    }
    return f;
  }

  region(name: string) {
    const r = SIM_REGIONS[name];
    if (!r) throw new CloudError('InvalidRegion', `The region '${name}' does not exist in the simulated cloud (regions: ${Object.keys(SIM_REGIONS).join(', ')})`, false);
    return r;
  }

  /** vCPUs of the region's instances that count against its quota: all but stopped and terminated ones, as on EC2. */
  vcpusInUse(region: string): number {
    let n = 0;
    for (const i of this.instances.values()) if (i.region === region && i.state !== 'terminated' && i.state !== 'stopped') n += i.vcpus;
    return n;
  }

  runInstance(req: Omit<SimInstance, 'instanceId' | 'state' | 'launchedAt' | 'privateIp' | 'vcpus' | 'stateReason'>): SimInstance {
    this.check('RunInstances', req.region);
    const region = this.region(req.region);
    if (!region.zones.includes(req.zone)) throw new CloudError('InvalidParameterValue', `Invalid availability zone: [${req.zone}]`, false);
    const image = this.image(req.region, req.imageId);
    if (!image || image.state === 'failed') throw new CloudError('InvalidAMIID.NotFound', `The image id '[${req.imageId}]' does not exist`, false);
    if (image.state !== 'available') throw new CloudError('InvalidAMIID.Unavailable', `The image id '[${req.imageId}]' is not available yet (it is ${image.state})`);
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
    const inst = this.instances.get(instanceId);
    this.check('TerminateInstances', inst?.region);
    if (!inst || inst.state === 'terminated' || inst.state === 'shutting-down') return;
    inst.state = 'shutting-down';
    inst.stateReason = 'Client.UserInitiatedShutdown: User initiated shutdown';
    this.later(this.settings.terminateMs, () => {
      inst.state = 'terminated';
      this.emit('terminated', inst);
    });
  }

  /**
   * As EC2's StopInstances: running → stopping → stopped (the 'stopped' event) after `stopMs`; a
   * stopping or stopped instance is left as it is. A pending one cannot stop yet (retryable), one
   * shutting down or terminated not at all.
   */
  stop(instanceId: string): void {
    const inst = this.instances.get(instanceId);
    this.check(['stopBuilder', 'StopInstances'], inst?.region);
    if (!inst) throw new CloudError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`, false);
    if (inst.state === 'stopping' || inst.state === 'stopped') return;
    if (inst.state !== 'running') {
      throw new CloudError('IncorrectInstanceState', `The instance '${instanceId}' is not in a state from which it can be stopped (it is ${inst.state}).`, inst.state === 'pending');
    }
    inst.state = 'stopping';
    inst.stateReason = 'Client.UserInitiatedShutdown: User initiated shutdown';
    this.later(this.settings.stopMs, () => {
      if (inst.state !== 'stopping') return;
      inst.state = 'stopped';
      this.emit('stopped', inst);
    });
  }

  /**
   * An image of the region by id: a made one, or a base image (every region has those). Made
   * images are looked up by id only in their own region, as AMI ids are regional.
   */
  image(region: string, imageId: string): SimImage | undefined {
    const made = this.images.get(imageId);
    if (made) return made.region === region ? made : undefined;
    const r = SIM_REGIONS[region];
    if (!r || !isBaseImage(r, imageId)) return undefined;
    return { imageId, region, name: imageId, description: `${imageId} (simulated base image)`, tags: {}, state: 'available', createdAt: 0, baseImageId: imageId, owned: false };
  }

  /** The images made or copied in a region (not the base images). */
  imagesIn(region: string): SimImage[] {
    return [...this.images.values()].filter((i) => i.region === region);
  }

  /**
   * EC2's CreateImage: an image of a stopped instance's disk, pending for `imageMs`. A name already
   * used in the region is refused (InvalidAMIName.Duplicate), as on EC2.
   */
  createImage(instanceId: string, req: { name: string; description: string; tags: Record<string, string> }): SimImage {
    const inst = this.instances.get(instanceId);
    this.check(['createImage', 'CreateImage'], inst?.region);
    if (!inst || inst.state === 'terminated') throw new CloudError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`, false);
    if (inst.state !== 'stopped') {
      // Stopping or still running: a retry once it stopped succeeds; a builder going away never will.
      throw new CloudError('IncorrectInstanceState', `The instance '${instanceId}' is not in the 'stopped' state (it is ${inst.state}); the image is made from a stopped builder.`, inst.state !== 'shutting-down');
    }
    this.checkName(inst.region, req.name);
    const base = this.image(inst.region, inst.imageId)?.baseImageId ?? inst.imageId;
    return this.makeImage({ region: inst.region, name: req.name, description: req.description, tags: { ...req.tags }, baseImageId: base, sourceInstanceId: inst.instanceId });
  }

  /**
   * EC2's CopyImage: a new image in `region` from an available image of `sourceRegion`, pending for
   * `imageMs`. The client token makes it idempotent: the same token returns the first copy.
   */
  copyImage(req: { region: string; sourceRegion: string; sourceImageId: string; name: string; description: string; tags: Record<string, string>; clientToken: string }): SimImage {
    this.check(['copyImage', 'CopyImage'], req.region);
    this.region(req.region);
    this.region(req.sourceRegion);
    for (const i of this.imagesIn(req.region)) if (i.clientToken === req.clientToken) return i;
    const source = this.image(req.sourceRegion, req.sourceImageId);
    if (!source) throw new CloudError('InvalidAMIID.NotFound', `The image id '[${req.sourceImageId}]' does not exist in ${req.sourceRegion}`, false);
    if (source.state === 'failed') throw new CloudError('InvalidAMIID.Unavailable', `The image id '[${req.sourceImageId}]' failed: ${source.stateReason ?? 'no reason given'}`, false);
    if (source.state !== 'available') throw new CloudError('IncorrectState', `The image '${req.sourceImageId}' in ${req.sourceRegion} is ${source.state}; only an available image can be copied.`);
    this.checkName(req.region, req.name);
    return this.makeImage({
      region: req.region,
      name: req.name,
      description: req.description,
      tags: { ...source.tags, ...req.tags },
      baseImageId: source.baseImageId,
      copiedFrom: { region: req.sourceRegion, imageId: req.sourceImageId },
      clientToken: req.clientToken,
    });
  }

  /** EC2's DeregisterImage (its snapshots with it). An image that is not there is no error; a base image is not the account's. */
  deregisterImage(region: string, imageId: string): void {
    this.check(['deleteImage', 'DeregisterImage'], region);
    const image = this.image(region, imageId);
    if (!image) return;
    if (!image.owned) throw new CloudError('AuthFailure', `Not authorized for image:${imageId}: it is a public base image, not the account's`, false);
    this.images.delete(imageId);
  }

  private checkName(region: string, name: string) {
    const taken = this.imagesIn(region).find((i) => i.name === name);
    if (taken) throw new CloudError('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI ${taken.imageId}`, false);
  }

  private makeImage(req: Pick<SimImage, 'region' | 'name' | 'description' | 'tags' | 'baseImageId' | 'sourceInstanceId' | 'copiedFrom' | 'clientToken'>): SimImage {
    const image: SimImage = { ...req, imageId: `sim-img-${randomBytes(8).toString('hex')}`, state: 'pending', createdAt: clock.now(), owned: true };
    this.images.set(image.imageId, image);
    this.later(this.settings.imageMs, () => {
      if (this.images.get(image.imageId) !== image || image.state !== 'pending') return; // deregistered meanwhile
      const fault = this.due('ImageFailure', image.region);
      if (fault) {
        image.state = 'failed';
        image.stateReason = fault.message ?? `${fault.error}: the snapshot of the image failed`;
      } else image.state = 'available';
      this.emit('image', image);
    });
    return image;
  }

  createResource(kind: SimResourceKind, region: string, tags: Record<string, string>, attrs: Record<string, unknown> = {}): SimResource {
    this.check(SIM_RESOURCE_KINDS[kind].create, region);
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
    this.check(SIM_RESOURCE_KINDS[r.kind].remove, r.region);
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
