import { describe, expect, it } from 'vitest';
import { CloudError, TAG_BAKE, TAG_CLUSTER, TAG_IMAGE_SIGNATURE, TAG_NAME, type BuilderSpec, type InfraSpec } from '../../../core/cloud.js';
import { useClock } from '../../../core/clock.js';
import { nodePermissions } from '../../../core/node-permissions.js';
import { SimulatedCloud } from '../../../adapters/cloud/simulated/simulated-cloud.js';
import { SimulatedProvider } from '../../../adapters/cloud/simulated/simulated-provider.js';

const spec = (name: string, token = name) => ({
  clusterId: 'cl-1',
  pool: 'w',
  role: 'worker' as const,
  name,
  zone: 'sim-east-1a',
  subnetId: 's',
  securityGroupId: 'sg',
  instanceType: 'sim.xlarge',
  imageId: 'sim-ubuntu-22.04',
  diskGiB: 20,
  userData: '#cloud-config',
  idempotencyToken: token,
  publicIp: false,
  identity: '',
});

const infra = (overrides: Partial<InfraSpec> = {}): InfraSpec => ({
  clusterId: 'cl-1',
  clusterName: 'demo',
  zones: ['sim-east-1a', 'sim-east-1b'],
  apiAllowedCidrs: [],
  publicApi: false,
  network: { nodeEgress: 'natGateway', natGateways: 'single' },
  nodeIdentity: { permissions: nodePermissions('local', []) },
  ...overrides,
});
const kinds = (sim: SimulatedCloud) => [...sim.resources.values()].map((r) => r.kind).sort();

describe('simulated cloud', () => {
  it('boots instances after their boot time and keeps launches idempotent by token', async () => {
    const sim = new SimulatedCloud();
    sim.settings.bootMs = 30;
    const p = new SimulatedProvider('sim-east-1', sim);
    const a = await p.ensureInstance(spec('n0'));
    expect(a.state).toBe('pending');
    expect((await p.ensureInstance(spec('n0'))).instanceId).toBe(a.instanceId);
    await new Promise((r) => setTimeout(r, 60));
    expect((await p.listInstances('cl-1'))[0]!.state).toBe('running');
  });

  it('enforces per-region vCPU quotas with the provider error', async () => {
    const sim = new SimulatedCloud();
    sim.quotas.set('sim-east-1', 16);
    const p = new SimulatedProvider('sim-east-1', sim);
    await p.ensureInstance(spec('n0'));
    await p.ensureInstance(spec('n1'));
    const err = await p.ensureInstance(spec('n2')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect((err as CloudError).code).toBe('VcpuLimitExceeded');
    expect(sim.vcpusInUse('sim-east-1')).toBe(16);
  });

  it('injects a named fault N times, then succeeds', async () => {
    const sim = new SimulatedCloud();
    sim.faults.push({ operation: 'RunInstances', error: 'InsufficientInstanceCapacity', times: 2 });
    const p = new SimulatedProvider('sim-east-1', sim);
    for (let i = 0; i < 2; i++) await expect(p.ensureInstance(spec('n0'))).rejects.toMatchObject({ code: 'InsufficientInstanceCapacity' });
    expect((await p.ensureInstance(spec('n0'))).name).toBe('n0');
    expect(sim.faults).toEqual([]);
  });

  it('refuses unknown regions, zones, images and instance types', async () => {
    const sim = new SimulatedCloud();
    await expect(new SimulatedProvider('mars-1', sim).resolveImage('sim-ubuntu-22.04')).rejects.toMatchObject({ code: 'InvalidRegion' });
    const p = new SimulatedProvider('sim-east-1', sim);
    await expect(p.resolveImage('ami-123')).rejects.toMatchObject({ code: 'InvalidAMIID.NotFound' });
    await expect(p.ensureInstance({ ...spec('n'), zone: 'sim-west-1a' })).rejects.toMatchObject({ code: 'InvalidParameterValue' });
    await expect(p.ensureInstance({ ...spec('n'), instanceType: 'huge' })).rejects.toMatchObject({ code: 'InvalidParameterValue' });
  });

  it('builds infrastructure once and deletes everything tagged, instances first', async () => {
    const sim = new SimulatedCloud();
    sim.settings.terminateMs = 10;
    const p = new SimulatedProvider('sim-east-1', sim);
    const a = await p.ensureInfrastructure(infra());
    const b = await p.ensureInfrastructure(infra());
    expect(b).toEqual(a);
    // Per zone a public and a private subnet; one NAT gateway with its address; both route tables.
    expect(kinds(sim)).toEqual(
      ['elasticIp', 'internetGateway', 'loadBalancer', 'natGateway', 'network', 'nodeIdentity', 'nodeIdentity', 'routeTable', 'routeTable', 'securityGroup', 'securityGroup', 'securityGroup', 'subnet', 'subnet', 'subnet', 'subnet'],
    );
    expect(a).toMatchObject({ networkManaged: true, nodePublicIp: false, apiPort: 6443, natGatewayIds: [expect.stringMatching(/^nat-/)] });
    expect(a.apiEndpoint).toMatch(/^cl-1-api\.elb\.sim-east-1\./);
    await p.ensureInstance(spec('n0'));
    const first = await p.deleteClusterResources('cl-1');
    expect(first.remaining).toBe(1);
    // The load balancer goes first; nothing else while an instance is alive.
    expect(sim.resources.size).toBe(15);
    await new Promise((r) => setTimeout(r, 30));
    expect(await p.deleteClusterResources('cl-1')).toEqual({ remaining: 0, details: [] });
    expect(sim.resources.size).toBe(0);
  });

  it('puts control-plane instances behind the API load balancer, healthy once they run', async () => {
    const sim = new SimulatedCloud();
    sim.settings.bootMs = 20;
    const p = new SimulatedProvider('sim-east-1', sim);
    await expect(p.registerApiTargets('cl-1', ['i-x'])).rejects.toMatchObject({ code: 'TargetGroupNotFound' });
    await p.ensureInfrastructure(infra());
    const node = await p.ensureInstance(spec('cp0'));
    await p.registerApiTargets('cl-1', [node.instanceId]);
    await p.registerApiTargets('cl-1', [node.instanceId]);
    expect((await p.apiEndpointStatus('cl-1'))!.targets).toEqual([{ instanceId: node.instanceId, health: 'initial', reason: 'the instance is booting' }]);
    await new Promise((r) => setTimeout(r, 50));
    // Running is not serving: the node's API server answers only once kubeadm ran.
    expect((await p.apiEndpointStatus('cl-1'))!.targets).toEqual([{ instanceId: node.instanceId, health: 'unhealthy', reason: 'no API server answers on 6443 yet' }]);
    sim.instances.get(node.instanceId)!.apiServing = true;
    expect((await p.apiEndpointStatus('cl-1'))!.targets).toEqual([{ instanceId: node.instanceId, health: 'healthy' }]);
    await p.deregisterApiTargets('cl-1', [node.instanceId]);
    expect((await p.apiEndpointStatus('cl-1'))!.targets).toEqual([]);
  });

  it('terminates one node: out of the load balancer, shutting-down, then terminated with the terminated event', async () => {
    const sim = new SimulatedCloud();
    sim.settings.terminateMs = 10;
    const p = new SimulatedProvider('sim-east-1', sim);
    await p.ensureInfrastructure(infra());
    const launched = Date.parse('2025-06-01T12:00:00Z');
    useClock({ now: () => launched });
    const [cp0, cp1] = [await p.ensureInstance(spec('cp0')), await p.ensureInstance(spec('cp1'))];
    useClock();
    expect(cp0).toMatchObject({ imageId: 'sim-ubuntu-22.04', launchedAt: '2025-06-01T12:00:00.000Z' });
    await p.registerApiTargets('cl-1', [cp0.instanceId, cp1.instanceId]);
    const terminated: string[] = [];
    sim.on('terminated', (i: { instanceId: string }) => terminated.push(i.instanceId));

    expect(await p.terminateInstance('cl-1', cp0.instanceId)).toEqual({ ...cp0, state: 'shutting-down' });
    expect((await p.apiEndpointStatus('cl-1'))!.targets.map((t) => t.instanceId)).toEqual([cp1.instanceId]);
    // Asked again while it shuts down: the same answer, and one event in the end.
    expect(await p.terminateInstance('cl-1', cp0.instanceId)).toMatchObject({ state: 'shutting-down' });
    await new Promise((r) => setTimeout(r, 30));
    expect(terminated).toEqual([cp0.instanceId]);
    expect(await p.terminateInstance('cl-1', cp0.instanceId)).toMatchObject({ state: 'terminated' });
    expect((await p.listInstances('cl-1')).map((i) => i.name)).toEqual(['cp1']);
    // Once the cloud forgets it, it is simply gone.
    sim.forgetTerminated();
    expect(await p.terminateInstance('cl-1', cp0.instanceId)).toBeUndefined();
    expect(await p.terminateInstance('cl-1', 'i-nothere')).toBeUndefined();
  });

  it("refuses to terminate another cluster's instance and leaves it running", async () => {
    const sim = new SimulatedCloud();
    sim.settings.bootMs = 0;
    const p = new SimulatedProvider('sim-east-1', sim);
    const theirs = await p.ensureInstance({ ...spec('n0'), clusterId: 'cl-2' });
    await expect(p.terminateInstance('cl-1', theirs.instanceId)).rejects.toMatchObject({ name: 'CloudError', code: 'InstanceNotOwned', retryable: false });
    await new Promise((r) => setTimeout(r, 5));
    expect(sim.instances.get(theirs.instanceId)!.state).toBe('running');
  });

  it('nodes with public IPs get no NAT gateway; a per-zone NAT serves each zone', async () => {
    const sim = new SimulatedCloud();
    const p = new SimulatedProvider('sim-east-1', sim);
    const open = await p.ensureInfrastructure(infra({ network: { nodeEgress: 'publicIp', natGateways: 'single' } }));
    expect(open).toMatchObject({ nodePublicIp: true, natGatewayIds: [] });
    expect(Object.values(open.subnets)).toEqual(Object.values(open.publicSubnets!));
    const zonal = await p.ensureInfrastructure(infra({ clusterId: 'cl-2', network: { nodeEgress: 'natGateway', natGateways: 'perZone' } }));
    expect(zonal.natGatewayIds).toHaveLength(2);
  });

  it("uses a network the cluster brings, checks its route out, and never deletes it", async () => {
    const sim = new SimulatedCloud();
    const p = new SimulatedProvider('sim-east-1', sim);
    const vpc = sim.createResource('network', 'sim-east-1', {}, { cidr: '172.16.0.0/16' });
    const subnet = sim.createResource('subnet', 'sim-east-1', {}, { zone: 'sim-east-1a', networkId: vpc.id });
    const byo = infra({ zones: ['sim-east-1a'], network: { nodeEgress: 'natGateway', natGateways: 'single', existing: { networkId: vpc.id, subnets: { 'sim-east-1a': subnet.id } } } });
    await expect(p.ensureInfrastructure(byo)).rejects.toMatchObject({ code: 'SubnetHasNoRouteOut', retryable: false });
    sim.createResource('routeTable', 'sim-east-1', {}, { routes: [{ destination: '0.0.0.0/0', target: 'nat-theirs' }], subnets: [subnet.id] });
    const refs = await p.ensureInfrastructure(byo);
    expect(refs).toMatchObject({ networkId: vpc.id, subnets: { 'sim-east-1a': subnet.id }, networkManaged: false, natGatewayIds: [] });
    expect(await p.deleteClusterResources('cl-1')).toEqual({ remaining: 0, details: [] });
    expect(kinds(sim)).toEqual(['network', 'routeTable', 'subnet']);
  });

  it('says a NAT gateway is pending until it routes, a boot time after it is made', async () => {
    const sim = new SimulatedCloud();
    sim.settings.bootMs = 20;
    const p = new SimulatedProvider('sim-east-1', sim);
    const first = await p.ensureInfrastructure(infra());
    expect(first.pending).toEqual([`NAT gateway ${first.natGatewayIds[0]} is pending`]);
    await new Promise((r) => setTimeout(r, 50));
    const later = await p.ensureInfrastructure(infra());
    expect(later.pending).toBeUndefined();
    expect(later.natGatewayIds).toEqual(first.natGatewayIds);
  });
});

const builderSpec = (bakeId: string, overrides: Partial<BuilderSpec> = {}): BuilderSpec => ({
  bakeId,
  baseImageId: 'sim-ubuntu-22.04',
  instanceType: 'sim.medium',
  subnetId: 'subnet-none',
  securityGroupId: 'sg-none',
  diskGiB: 20,
  userData: '#cloud-config',
  idempotencyToken: `${bakeId}-builder`,
  publicIp: false,
  ...overrides,
});
const imageSpec = (bakeId: string, signature = 'a'.repeat(64)) => ({
  bakeId,
  name: `strata-ubuntu-${signature.slice(0, 16)}`,
  signature,
  description: 'Strata node image',
  tags: { 'strata:pack': 'ubuntu' },
});
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A fast simulated cloud: boots at once, stops and images in a few ms. */
const fastCloud = () => {
  const sim = new SimulatedCloud();
  Object.assign(sim.settings, { bootMs: 0, terminateMs: 5, stopMs: 5, imageMs: 10 });
  return sim;
};
/** A builder launched, running, stopped: ready to be an image. */
async function stoppedBuilder(p: SimulatedProvider, bakeId: string) {
  await p.launchBuilder(builderSpec(bakeId));
  await settle(1);
  expect(await p.stopBuilder(bakeId)).toMatchObject({ state: 'stopping' });
  await settle(15);
  expect(await p.builderStatus(bakeId)).toMatchObject({ state: 'stopped', message: expect.stringContaining('UserInitiatedShutdown') });
}

describe('simulated cloud: builders and images', () => {
  it("launches a builder once per bake, outside every cluster, counting against the region's vCPUs", async () => {
    const sim = fastCloud();
    sim.settings.bootMs = 20;
    sim.quotas.set('sim-east-1', 4);
    const p = new SimulatedProvider('sim-east-1', sim);
    await p.ensureInfrastructure(infra());
    const subnet = sim.findResources('subnet', { [TAG_NAME]: 'demo-sim-east-1b' })[0]!;
    const b = await p.launchBuilder(builderSpec('img-1-a1', { subnetId: subnet.id }));
    expect(b).toEqual({ instanceId: expect.stringMatching(/^i-/), state: 'pending' });
    // Found again by its bake tag, and by its token when the tag lookup would miss.
    expect(await p.launchBuilder(builderSpec('img-1-a1'))).toEqual(b);
    const inst = sim.instances.get(b.instanceId)!;
    expect(inst).toMatchObject({ zone: 'sim-east-1b', instanceType: 'sim.medium', imageId: 'sim-ubuntu-22.04', tags: { [TAG_BAKE]: 'img-1-a1', [TAG_NAME]: 'strata-builder-img-1-a1' } });
    expect(inst.tags[TAG_CLUSTER]).toBeUndefined();
    expect(sim.vcpusInUse('sim-east-1')).toBe(2);
    await p.launchBuilder(builderSpec('img-2-a1'));
    await expect(p.launchBuilder(builderSpec('img-3-a1'))).rejects.toMatchObject({ code: 'VcpuLimitExceeded', retryable: true });
    // No cluster sees a builder: not listed, not terminated with the cluster, refused by terminateInstance.
    expect(await p.listInstances('cl-1')).toEqual([]);
    await expect(p.terminateInstance('cl-1', b.instanceId)).rejects.toMatchObject({ code: 'InstanceNotOwned' });
    await p.deleteClusterResources('cl-1');
    expect(await p.deleteClusterResources('cl-1')).toEqual({ remaining: 0, details: [] });
    await settle(30);
    expect(await p.builderStatus('img-1-a1')).toEqual({ instanceId: b.instanceId, state: 'running' });
    // Another region's provider does not see it.
    expect(await new SimulatedProvider('sim-west-1', sim).builderStatus('img-1-a1')).toBeUndefined();
    await expect(p.launchBuilder(builderSpec('img-4-a1', { baseImageId: 'ami-0abc' }))).rejects.toMatchObject({ code: 'InvalidAMIID.NotFound', retryable: false });
  });

  it('stops a builder, refuses createImage until it is stopped, then makes one pending image per name', async () => {
    const sim = fastCloud();
    const p = new SimulatedProvider('sim-east-1', sim);
    await expect(p.createImage(imageSpec('img-1-a1'))).rejects.toMatchObject({ code: 'InvalidInstanceID.NotFound', retryable: false });
    await p.launchBuilder(builderSpec('img-1-a1'));
    await settle(1);
    await expect(p.createImage(imageSpec('img-1-a1'))).rejects.toMatchObject({ name: 'CloudError', code: 'IncorrectInstanceState', retryable: true });
    await p.stopBuilder('img-1-a1');
    await expect(p.createImage(imageSpec('img-1-a1'))).rejects.toMatchObject({ code: 'IncorrectInstanceState', retryable: true });
    expect((await p.stopBuilder('img-1-a1'))!.state).toBe('stopping'); // asked again: the same
    await settle(15);
    // A stopped builder no longer counts against the quota, as on EC2.
    expect(sim.vcpusInUse('sim-east-1')).toBe(0);

    const made = await p.createImage(imageSpec('img-1-a1'));
    expect(made).toEqual({ imageId: expect.stringMatching(/^sim-img-[0-9a-f]{16}$/), name: 'strata-ubuntu-aaaaaaaaaaaaaaaa', region: 'sim-east-1', state: 'pending', signature: 'a'.repeat(64) });
    expect(sim.images.get(made.imageId)).toMatchObject({
      tags: { 'strata:pack': 'ubuntu', [TAG_IMAGE_SIGNATURE]: 'a'.repeat(64), [TAG_BAKE]: 'img-1-a1' },
      sourceInstanceId: (await p.builderStatus('img-1-a1'))!.instanceId,
      baseImageId: 'sim-ubuntu-22.04',
    });
    // Idempotent by name: the image the first call made, in whatever state it is.
    expect(await p.createImage(imageSpec('img-1-a1'))).toEqual(made);
    expect(await p.findImage('a'.repeat(64))).toEqual(made);
    await expect(p.resolveImage(made.imageId)).rejects.toMatchObject({ code: 'InvalidAMIID.Unavailable', retryable: true });
    await settle(20);
    expect(await p.describeImage(made.imageId)).toEqual({ ...made, state: 'available' });
    expect(await p.findImage('a'.repeat(64))).toEqual({ ...made, state: 'available' });
    expect(await p.findImage('b'.repeat(64))).toBeUndefined();
    expect(await p.resolveImage(made.imageId)).toEqual({ imageId: made.imageId, region: 'sim-east-1', copied: false });
    expect(await p.resolveImage(made.name)).toEqual({ imageId: made.imageId, region: 'sim-east-1', copied: false });
    await expect(p.resolveImage('resolve:ssm:/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id')).rejects.toMatchObject({ code: 'InvalidAMIID.NotFound' });
    // Nodes launch from it.
    const node = await p.ensureInstance({ ...spec('n0'), imageId: made.imageId });
    expect(node.imageId).toBe(made.imageId);
  });

  it('terminates a builder whatever its state, idempotently, and forgets it', async () => {
    const sim = fastCloud();
    const p = new SimulatedProvider('sim-east-1', sim);
    expect(await p.terminateBuilder('img-1-a1')).toBeUndefined();
    await stoppedBuilder(p, 'img-1-a1');
    const gone = await p.terminateBuilder('img-1-a1');
    expect(gone).toMatchObject({ state: 'shutting-down' });
    expect(await p.terminateBuilder('img-1-a1')).toMatchObject({ state: 'shutting-down' });
    await expect(p.createImage(imageSpec('img-1-a1'))).rejects.toMatchObject({ code: 'IncorrectInstanceState', retryable: false });
    await settle(15);
    expect(await p.terminateBuilder('img-1-a1')).toMatchObject({ instanceId: gone!.instanceId, state: 'terminated' });
    expect(await p.stopBuilder('img-1-a1')).toMatchObject({ state: 'terminated' });
    sim.forgetTerminated();
    expect(await p.builderStatus('img-1-a1')).toBeUndefined();
    expect(await p.terminateBuilder('img-1-a1')).toBeUndefined();
    // A pending builder cannot stop yet (retryable), as on EC2.
    sim.settings.bootMs = 50;
    await p.launchBuilder(builderSpec('img-2-a1'));
    await expect(p.stopBuilder('img-2-a1')).rejects.toMatchObject({ code: 'IncorrectInstanceState', retryable: true });
    expect(await p.terminateBuilder('img-2-a1')).toMatchObject({ state: 'shutting-down' });
  });

  it('copies an image to a second region: pending, then available; idempotent by token and signature', async () => {
    const sim = fastCloud();
    const east = new SimulatedProvider('sim-east-1', sim);
    const west = new SimulatedProvider('sim-west-1', sim);
    await stoppedBuilder(east, 'img-1-a1');
    const source = await east.createImage(imageSpec('img-1-a1'));
    const copy = { sourceRegion: 'sim-east-1', sourceImageId: source.imageId, name: source.name, signature: source.signature!, description: 'copy', idempotencyToken: 'img-2-a1-copy' };
    // Only an available image copies.
    await expect(west.copyImage(copy)).rejects.toMatchObject({ code: 'IncorrectState', retryable: true });
    await settle(20);
    const copied = await west.copyImage(copy);
    expect(copied).toEqual({ imageId: expect.stringMatching(/^sim-img-/), name: source.name, region: 'sim-west-1', state: 'pending', signature: source.signature });
    expect(copied.imageId).not.toBe(source.imageId);
    expect(sim.images.get(copied.imageId)).toMatchObject({ copiedFrom: { region: 'sim-east-1', imageId: source.imageId }, baseImageId: 'sim-ubuntu-22.04' });
    expect(await west.copyImage(copy)).toEqual(copied);
    expect(await west.copyImage({ ...copy, idempotencyToken: 'another' })).toEqual(copied);
    expect(sim.imagesIn('sim-west-1')).toHaveLength(1);
    // AMI ids are regional.
    expect(await east.describeImage(copied.imageId)).toBeUndefined();
    expect(await west.describeImage(source.imageId)).toBeUndefined();
    await settle(20);
    expect(await west.findImage(source.signature!)).toEqual({ ...copied, state: 'available' });
    await expect(west.copyImage({ ...copy, sourceImageId: 'sim-img-0000000000000000', signature: 'c'.repeat(64), name: 'other', idempotencyToken: 't2' })).rejects.toMatchObject({
      code: 'InvalidAMIID.NotFound',
      retryable: false,
    });
    await expect(west.copyImage({ ...copy, sourceRegion: 'sim-north-1', signature: 'c'.repeat(64), name: 'other', idempotencyToken: 't3' })).rejects.toMatchObject({ code: 'InvalidRegion' });
    // A name the region already uses for another signature is refused.
    await expect(west.copyImage({ ...copy, signature: 'd'.repeat(64), idempotencyToken: 't4' })).rejects.toMatchObject({ code: 'InvalidAMIName.Duplicate', retryable: false });
  });

  it('deletes made images idempotently and never a base image', async () => {
    const sim = fastCloud();
    const p = new SimulatedProvider('sim-east-1', sim);
    await stoppedBuilder(p, 'img-1-a1');
    const made = await p.createImage(imageSpec('img-1-a1'));
    await p.deleteImage(made.imageId);
    await p.deleteImage(made.imageId);
    expect(await p.describeImage(made.imageId)).toBeUndefined();
    expect(await p.findImage(made.signature!)).toBeUndefined();
    await settle(20); // its pending time passes: nothing comes back
    expect(sim.images.size).toBe(0);
    await expect(p.deleteImage('sim-ubuntu-22.04')).rejects.toMatchObject({ code: 'AuthFailure', retryable: false });
    expect(await p.describeImage('sim-ubuntu-22.04')).toMatchObject({ imageId: 'sim-ubuntu-22.04', state: 'available' });
  });

  it('injects faults into launchBuilder, createImage and copyImage (by port or API name, in one region), and fails images', async () => {
    const sim = fastCloud();
    const east = new SimulatedProvider('sim-east-1', sim);
    const west = new SimulatedProvider('sim-west-1', sim);
    sim.faults.push({ operation: 'launchBuilder', error: 'InsufficientInstanceCapacity', times: 2 });
    for (let i = 0; i < 2; i++) await expect(east.launchBuilder(builderSpec('img-1-a1'))).rejects.toMatchObject({ code: 'InsufficientInstanceCapacity', retryable: true });
    expect(sim.instances.size).toBe(0);
    await stoppedBuilder(east, 'img-1-a1');

    sim.faults.push({ operation: 'CreateImage', error: 'InternalError', times: 1 });
    await expect(east.createImage(imageSpec('img-1-a1'))).rejects.toMatchObject({ code: 'InternalError', message: 'An internal error has occurred.' });
    const made = await east.createImage(imageSpec('img-1-a1'));
    await settle(20);

    sim.faults.push({ operation: 'copyImage', error: 'RequestLimitExceeded', region: 'sim-east-1' });
    const copy = { sourceRegion: 'sim-east-1', sourceImageId: made.imageId, name: made.name, signature: made.signature!, description: 'copy', idempotencyToken: 'c1' };
    // The fault is in sim-east-1: a copy into sim-west-1 is not hit.
    expect((await west.copyImage(copy)).region).toBe('sim-west-1');
    await expect(east.copyImage({ ...copy, name: 'other', signature: 'f'.repeat(64), idempotencyToken: 'c2' })).rejects.toMatchObject({ code: 'RequestLimitExceeded' });
    sim.faults.splice(0);
    await settle(20); // the copy is available

    // An image the cloud fails: failed with the fault's message, and not found by its signature.
    sim.faults.push({ operation: 'ImageFailure', error: 'InternalError', message: 'Client.InternalError: snapshot snap-0 failed', times: 1 });
    await stoppedBuilder(east, 'img-2-a1');
    const doomed = await east.createImage(imageSpec('img-2-a1', 'e'.repeat(64)));
    await settle(20);
    expect(await east.describeImage(doomed.imageId)).toMatchObject({ state: 'failed', message: 'Client.InternalError: snapshot snap-0 failed' });
    expect(await east.findImage('e'.repeat(64))).toBeUndefined();
    expect(sim.faults).toEqual([]);
  });
});
