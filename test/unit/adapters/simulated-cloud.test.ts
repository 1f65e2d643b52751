import { describe, expect, it } from 'vitest';
import { CloudError } from '../../../core/cloud.js';
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
});

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
    const infraSpec = { clusterId: 'cl-1', clusterName: 'demo', zones: ['sim-east-1a', 'sim-east-1b'], apiAllowedCidrs: [], publicApi: false };
    const a = await p.ensureInfrastructure(infraSpec);
    const b = await p.ensureInfrastructure(infraSpec);
    expect(b).toEqual(a);
    expect(sim.resources.size).toBe(5);
    await p.ensureInstance(spec('n0'));
    const first = await p.deleteClusterResources('cl-1');
    expect(first.remaining).toBe(1);
    expect(sim.resources.size).toBe(5); // nothing else goes while an instance is alive
    await new Promise((r) => setTimeout(r, 30));
    expect(await p.deleteClusterResources('cl-1')).toEqual({ remaining: 0, details: [] });
    expect(sim.resources.size).toBe(0);
  });
});
