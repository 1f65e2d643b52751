import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildReport, type K8sNode, type K8sNodeMetrics, type K8sPod, type K8sService } from '../../agent/mapping.js';
import { agentToken } from '../../core/agent-token.js';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

/** Real Kubernetes objects written by others (test/fixtures, see SOURCES.md). */
const F = fileURLToPath(new URL('../fixtures', import.meta.url));
const json = (p: string) => JSON.parse(readFileSync(`${F}/${p}`, 'utf8'));
const yaml = (p: string) => parse(readFileSync(`${F}/${p}`, 'utf8'));
const items = <T>(doc: { items?: T[] } | T): T[] => ((doc as { items?: T[] }).items ?? [doc as T]);

let api: Api;
let id: string;
beforeAll(async () => {
  api = await startApi();
  const account = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  id = (await api.call('POST', '/v1/clusters', { body: clusterBody(account, { name: 'fixtures' }) })).body.id;
  await eventually(async () => ((await api.call('GET', `/v1/clusters/${id}`)).body.phase === 'Running' ? true : undefined), 'Running');
  // From here on the cluster's "agent" is this test, reporting what the real agent maps from the fixtures.
  await api.call('POST', '/local/faults', { body: { cluster: id, agent: 'silent' } });
  const report = buildReport({
    nodes: [...items<K8sNode>(yaml('nodes/popeye-lint-nodes.yaml')), json('nodes/k9s-node-minikube.json') as K8sNode],
    pods: [json('pods/k9s-pod.json') as K8sPod, ...items<K8sPod>(yaml('pods/popeye-podlist.yaml'))],
    services: [
      'services/gitops-engine-svc-loadbalancer.yaml',
      'services/gitops-engine-svc-loadbalancer-unassigned.yaml',
      'services/regolibrary-svc-loadbalancer-ip.yaml',
      'services/regolibrary-svc-nodeport.yaml',
      'services/popeye-lint-services.yaml',
    ].flatMap((p) => items<K8sService>(yaml(p))),
    nodeMetrics: items<K8sNodeMetrics>(yaml('metrics/popeye-nodemetrics.yaml')),
  });
  const token = agentToken(process.env.PLATFORM_SECRET!, 'default', id);
  const res = await api.call('POST', '/agent/v1/heartbeat', {
    key: token,
    raw: JSON.stringify({ agentVersion: 'fixture', clusterId: id, observedGeneration: 1, ...report, packs: [] }),
  });
  expect(res.status).toBe(200);
  await api.runtime.lambda.settle();
});
afterAll(() => api.stop());

describe('usage and services from real cluster data', () => {
  it('sums usage and requests as computed by hand', async () => {
    const usage = (await api.call('GET', `/v1/clusters/${id}/usage?includeControlPlane=true`)).body;
    // Usage (metrics.k8s.io, popeye): n1 144965184n = 0.144965184 cores and 770776Ki = 789274624 B
    // (shown to 6 decimals). n5's metrics (20 cores, 40Mi) exceed its capacity (1 core, 10Mi): the
    // agent leaves them out, as the platform would refuse them. The report is the newest data.
    expect(usage.now.coresUsed).toBe(0.144965);
    expect(usage.now.memoryUsedBytes).toBe(789_274_624);
    // Requests, exact: only nginx (k9s) is scheduled, on minikube: 100m and 70Mi = 73400320 B.
    expect(usage.now.cpuRequestedCores).toBe(0.1);
    expect(usage.now.memoryRequestedBytes).toBe(73_400_320);
    const byName = Object.fromEntries(usage.nodes.map((n: any) => [n.name, n]));
    expect(byName.n1.cpuUsedCores).toBe(0.144965184);
    expect(byName.n5.cpuUsedCores).toBe(0);
    expect(byName.minikube).toMatchObject({ role: 'controlPlane', cpuRequestedCores: 0.1, memoryRequestedBytes: 73_400_320 });
    // Worker nodes only by default: the control-plane nodes drop out of both totals and list.
    const workers = (await api.call('GET', `/v1/clusters/${id}/usage`)).body;
    expect(workers.nodes.every((n: any) => n.role === 'worker')).toBe(true);
    expect(workers.nodes.map((n: any) => n.name)).not.toContain('minikube');
    expect(workers.now.cpuRequestedCores).toBe(0);
  });

  it('turns NodesHealthy False naming the NotReady and pressured nodes of the fixture', async () => {
    const c = (await api.call('GET', `/v1/clusters/${id}/conditions`)).body.items.find((x: any) => x.type === 'NodesHealthy');
    expect(c.status).toBe('False');
    expect(c.message).toContain('n4: Ready is False');
    expect(c.message).toContain('n2: NetworkUnavailable is True');
    expect(c.message).toContain('n3: MemoryPressure is True');
    expect(c.message).toContain('n5: Ready is missing');
  });

  it('lists every LoadBalancer and NodePort service with links that open it', async () => {
    const services = (await api.call('GET', `/v1/clusters/${id}/services`)).body.items;
    const find = (ns: string, name: string) => services.find((s: any) => s.namespace === ns && s.name === name);
    expect(find('argocd', 'argocd-server')).toMatchObject({
      type: 'LoadBalancer',
      status: 'Ready',
      links: ['http://abc123.us-west-2.elb.amazonaws.com:80', 'https://abc123.us-west-2.elb.amazonaws.com:443'],
    });
    expect(find('argo', 'argo-artifacts')).toMatchObject({ type: 'LoadBalancer', status: 'Pending', links: [] });
    expect(services.find((s: any) => s.type === 'LoadBalancer' && s.links.includes('http://192.0.2.127:80'))).toBeDefined();
    const nodePort = find('ns1', 'my-service');
    expect(nodePort.type).toBe('NodePort');
    for (const link of nodePort.links) expect(link).toMatch(/^http:\/\/[\w.-]+:\d{5}$/);
    expect(services.every((s: any) => s.type === 'LoadBalancer' || s.type === 'NodePort')).toBe(true);
  });
});
