import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getClusterPki } from '../../adapters/dynamodb/cluster-pki-store.js';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

let api: Api;
let accountId: string;
beforeAll(async () => {
  // Wait states last 250 ms here, so a test can watch a condition between two attempts.
  api = await startApi({ workflowWaitMs: 250 });
  accountId = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
});
afterAll(() => api.stop());

const phaseOf = async (id: string) => (await api.call('GET', `/v1/clusters/${id}`)).body.phase as string;
const untilPhase = (id: string, phase: string, timeoutMs = 30_000) =>
  eventually(async () => ((await phaseOf(id)) === phase ? true : undefined), `cluster ${id} to be ${phase}`, timeoutMs);
const local = (method: string, path: string, body?: unknown) => api.call(method, path, { body });
const tagged = async (clusterId: string) => {
  const cloud = (await local('GET', '/local/cloud')).body;
  return {
    instances: cloud.instances.filter((i: any) => i.tags['strata:cluster'] === clusterId && i.state !== 'terminated'),
    resources: cloud.resources.filter((r: any) => r.tags['strata:cluster'] === clusterId),
  };
};

describe('provisioning on the simulated cloud', () => {
  it('takes a 1 control-plane + 2 worker cluster from Pending to Running, every milestone True', async () => {
    const made = await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'happy' }) });
    expect(made.status).toBe(201);
    expect(made.body.phase).toBe('Pending');
    await untilPhase(made.body.id, 'Running');

    const all = (await api.call('GET', `/v1/clusters/${made.body.id}/conditions`)).body.items;
    const conditions = all.filter((c: any) => !c.type.endsWith('Healthy'));
    expect(conditions.map((c: any) => c.type)).toEqual([
      'InfrastructureCreated',
      'ImageReady',
      'ControlPlaneNodeAdded/happy-cp-0',
      'ControlPlaneEndpointReady',
      'ControlPlaneReady',
      'WorkerPoolReady/workers',
      'PacksInstalled',
      'Ready',
    ]);
    for (const c of conditions) {
      expect(c, c.type).toMatchObject({ status: 'True', reason: expect.any(String), message: expect.any(String), lastTransitionTime: expect.any(String) });
    }
    expect(conditions.find((c: any) => c.type === 'ControlPlaneNodeAdded/happy-cp-0').title).toBe('Adding Control Plane Node');
    // The public Ubuntu pack installs Kubernetes: the image is baked from Canonical's (here the simulated cloud's) base image.
    const images = (await api.call('GET', '/v1/images?pack=pk-ubuntu-22-04')).body.items;
    const image = images.find((i: any) => i.region === 'sim-east-1' && i.contents.kubernetesVersion === '1.31.10');
    expect(image).toMatchObject({ status: 'Available', contents: { roles: [] } });
    expect(conditions.find((c: any) => c.type === 'ImageReady')).toMatchObject({ reason: expect.stringMatching(/^Image(Baked|Reused)$/), message: expect.stringContaining(image.imageId) });

    // The control-plane node fetched the agent from the agent API and it matched the digest its user data names.
    const cp = (await tagged(made.body.id)).instances.find((i: any) => i.tags['strata:role'] === 'controlPlane');
    expect(api.runtime.agents.agentDownloads.get(cp.instanceId)).toEqual({ sha256: process.env.AGENT_BUNDLE_SHA256, ok: true });
    expect(process.env.AGENT_BUNDLE_SHA256).toMatch(/^[0-9a-f]{64}$/);

    const cluster = (await api.call('GET', `/v1/clusters/${made.body.id}`)).body;
    expect(cluster.ready.status).toBe('True');
    expect(JSON.stringify(cluster)).not.toMatch(/sat\.|PRIVATE KEY/); // no token or key in the API's answer

    const nodes = (await api.call('GET', `/v1/clusters/${made.body.id}/nodes`)).body.items;
    expect(nodes.map((n: any) => `${n.name}:${n.role}:${n.ready}`).sort()).toEqual(['happy-cp-0:controlPlane:true', 'happy-workers-0:worker:true', 'happy-workers-1:worker:true']);
    expect(new Set(nodes.filter((n: any) => n.role === 'worker').map((n: any) => n.zone))).toEqual(new Set(['sim-east-1a', 'sim-east-1b']));

    // Lifecycle events only: health checks start reporting as soon as the agent does.
    const events = (await api.call('GET', `/v1/clusters/${made.body.id}/events?limit=100`)).body.items.filter(
      (e: any) => e.subject !== 'Health' && !String(e.subject ?? '').endsWith('Healthy'),
    );
    const reasons = events.map((e: any) => e.reason);
    expect(reasons[0]).toBe('ClusterRunning'); // newest first
    expect(reasons.at(-1)).toBe('ProvisioningStarted');
    const times = events.map((e: any) => e.at);
    expect([...times].sort().reverse()).toEqual(times);

    const { instances, resources } = await tagged(made.body.id);
    expect(instances).toHaveLength(3);
    const kinds = (kind: string) => resources.filter((r: any) => r.kind === kind);
    expect(kinds('securityGroup')).toHaveLength(3);
    // The API endpoint is the load balancer's name, in front of the control-plane instance.
    const [lb] = kinds('loadBalancer');
    const infra = cluster.status.infrastructure;
    expect(infra).toMatchObject({ apiEndpoint: lb.attrs.dnsName, apiPort: 6443, loadBalancerId: lb.id, networkManaged: true, nodePublicIp: false });
    expect(lb.attrs).toMatchObject({ scheme: 'internal', address: expect.stringMatching(/^10\./), targets: [instances.find((i: any) => i.tags['strata:role'] === 'controlPlane').instanceId] });
    const endpoint = conditions.find((c: any) => c.type === 'ControlPlaneEndpointReady');
    expect(endpoint.message).toBe(`${lb.attrs.dnsName}:6443: 1/1 control-plane target(s) healthy`);
    // Private nodes reach out through one NAT gateway; the nodes launch with their role's identity.
    expect(infra.natGatewayIds).toEqual(kinds('natGateway').map((r: any) => r.id));
    expect(kinds('routeTable').map((r: any) => r.attrs.routes[0].target).sort()).toEqual([kinds('internetGateway')[0].id, infra.natGatewayIds[0]].sort());
    expect(instances.every((i: any) => i.identity === infra.nodeIdentity[i.tags['strata:role']] && Object.values(infra.subnets).includes(i.subnetId) && !i.publicIp)).toBe(true);
    // Every node's kubelet runs with an external cloud provider; the agent reports the provider ids it set.
    expect(nodes.every((n: any) => n.providerID === `sim://sim-east-1/${n.zone}/${instances.find((i: any) => i.tags.Name === n.name).instanceId}`)).toBe(true);
  });

  it('keeps retrying through VcpuLimitExceeded: the condition shows the provider message and attempts, then turns True', async () => {
    expect((await local('POST', '/local/faults', { operation: 'RunInstances', error: 'VcpuLimitExceeded', times: 3 })).status).toBe(201);
    const made = await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'quota' }) });
    const type = 'ControlPlaneNodeAdded/quota-cp-0';
    const seen = await eventually(
      async () => {
        const items = (await api.call('GET', `/v1/clusters/${made.body.id}/conditions`)).body.items;
        const c = items.find((x: any) => x.type === type);
        return c && c.status === 'False' && c.attempts === 3 ? c : undefined;
      },
      `${type} False with attempts 3`,
      30_000,
      25,
    );
    expect(seen.reason).toBe('VcpuLimitExceeded');
    expect(seen.message).toContain('vCPU limit');
    expect(seen.message).toContain('request a vCPU quota increase for sim-east-1 or free capacity');
    const ready = (await api.call('GET', `/v1/clusters/${made.body.id}`)).body.ready;
    expect(ready.status).toBe('False');

    await untilPhase(made.body.id, 'Running');
    const after = (await api.call('GET', `/v1/clusters/${made.body.id}/conditions`)).body.items.find((x: any) => x.type === type);
    expect(after).toMatchObject({ status: 'True', attempts: 4 });
    // Three failed attempts, folded as Kubernetes folds events: one event, seen three times.
    const warnings = (await api.call('GET', `/v1/clusters/${made.body.id}/events?limit=100`)).body.items.filter((e: any) => e.type === 'Warning' && e.reason === 'VcpuLimitExceeded');
    const failures = warnings.filter((e: any) => e.message.includes('failed'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ count: 3, subject: type });
    expect(failures[0].firstSeen < failures[0].lastSeen).toBe(true);
    // One instance for the node, however many attempts.
    expect((await tagged(made.body.id)).instances.filter((i: any) => i.tags.Name === 'quota-cp-0')).toHaveLength(1);
  });

  it('deletes a half-provisioned cluster and leaves nothing tagged for it', async () => {
    const made = await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'half' }) });
    const id = made.body.id;
    // Workers can never launch: the cluster stops half-way, with its control plane up.
    await eventually(async () => ((await tagged(id)).instances.length >= 1 ? true : undefined), 'the control-plane instance');
    await local('POST', '/local/faults', { operation: 'RunInstances', error: 'InsufficientInstanceCapacity' });
    await eventually(
      async () => {
        const c = (await api.call('GET', `/v1/clusters/${id}/conditions`)).body.items.find((x: any) => x.type === 'WorkerPoolReady/workers');
        return c?.status === 'False' ? c : undefined;
      },
      'workers failing',
    );
    expect(await phaseOf(id)).toBe('Provisioning');
    expect((await tagged(id)).resources.length).toBeGreaterThan(0);

    const del = await api.call('DELETE', `/v1/clusters/${id}`);
    expect(del.status).toBe(202);
    expect(del.body.phase).toBe('Deleting');
    await untilPhase(id, 'Deleted');
    await local('DELETE', '/local/faults');
    const left = await tagged(id);
    expect(left.instances).toEqual([]);
    expect(left.resources).toEqual([]);
    expect(await getClusterPki('default', id)).toBeUndefined(); // the CA keys go with it
    expect((await api.call('GET', `/v1/clusters/${id}/events`)).body.items[0].reason).toBe('ClusterDeleted');
    // The name is free again, and Deleted clusters are hidden from the default list.
    expect((await api.call('GET', '/v1/clusters')).body.items.map((c: any) => c.id)).not.toContain(id);
    expect((await api.call('DELETE', `/v1/clusters/${id}`)).status).toBe(204);
  });

  it('makes one cluster and one workflow for a create sent twice with one Idempotency-Key', async () => {
    const body = clusterBody(accountId, { name: 'once' });
    const headers = { 'idempotency-key': 'provision-once' };
    const [a, b] = [await api.call('POST', '/v1/clusters', { body, headers }), await api.call('POST', '/v1/clusters', { body, headers })];
    expect(a.body.id).toBe(b.body.id);
    const runs = (await local('GET', '/local/executions')).body.items.filter((e: any) => e.name.startsWith(a.body.id));
    expect(runs).toHaveLength(1);
    await untilPhase(a.body.id, 'Running');
    expect((await tagged(a.body.id)).instances).toHaveLength(3);
  });
});

describe('day-2 changes', () => {
  it('scales a running worker pool up through the same workflow, staying Running', async () => {
    const made = await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'grow' }) });
    await untilPhase(made.body.id, 'Running');
    const current = (await api.call('GET', `/v1/clusters/${made.body.id}`)).body;
    const pools = current.nodePools.map((p: any) => (p.role === 'worker' ? { ...p, count: 3 } : p));
    const updated = await api.call('PUT', `/v1/clusters/${made.body.id}`, { body: { version: current.version, nodePools: pools } });
    expect(updated.status).toBe(200);
    expect(updated.body.generation).toBe(2);
    const reconciled = await eventually(async () => {
      const c = (await api.call('GET', `/v1/clusters/${made.body.id}`)).body;
      return c.status?.observedGeneration === 2 ? c : undefined;
    }, 'generation 2 reconciled');
    expect(reconciled.phase).toBe('Running');
    const nodes = (await api.call('GET', `/v1/clusters/${made.body.id}/nodes`)).body.items;
    expect(nodes.filter((n: any) => n.role === 'worker' && n.ready).map((n: any) => n.name).sort()).toEqual(['grow-workers-0', 'grow-workers-1', 'grow-workers-2']);
    expect((await tagged(made.body.id)).instances).toHaveLength(4);
    const reasons = (await api.call('GET', `/v1/clusters/${made.body.id}/events?limit=100`)).body.items.map((e: any) => e.reason);
    expect(reasons).toContain('ReconcileStarted');
  });
});

describe('local controls', () => {
  it('need the operator key and validate faults', async () => {
    expect((await api.call('GET', '/local/faults', { key: null })).status).toBe(401);
    const bad = await local('POST', '/local/faults', { operation: 'RunInstances', error: 'Vcpu Limit', times: -1 });
    expect(bad.status).toBe(400);
  });
});
