import { describe, expect, it } from 'vitest';
import { CloudError, type InfraSpec } from '../../../core/cloud.js';
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
