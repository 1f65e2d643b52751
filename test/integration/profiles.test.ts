import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Api } from './harness.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.stop());

const ref = (packId: string, values?: string) => ({ registryId: 'public', packId, ...(values === undefined ? {} : { values }) });

describe('public registry', () => {
  it('is seeded with the OS, Kubernetes, CNI, CSI and add-on packs', async () => {
    const res = await api.call('GET', '/v1/registries/public/packs?limit=100');
    const names = res.body.items.map((p: any) => `${p.layer}/${p.name}@${p.version}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'os/ubuntu@22.4.5',
        'os/ubuntu@24.4.2',
        'k8s/kubernetes@1.30.14',
        'k8s/kubernetes@1.31.10',
        'k8s/kubernetes@1.32.6',
        'cni/calico@3.29.3',
        'cni/cilium@1.17.4',
        'csi/aws-ebs-csi@1.44.0',
        'csi/azure-disk-csi@1.33.0',
        'addon/prometheus-operator@72.6.2',
      ]),
    );
    const os = await api.call('GET', '/v1/registries/public/packs?layer=os');
    expect(os.body.items.every((p: any) => p.layer === 'os' && p.os.images.aws['us-east-1'])).toBe(true);
  });

  it('is read-only', async () => {
    const res = await api.call('POST', '/v1/registries/public/packs', { body: { layer: 'addon', name: 'x', version: '1.0.0' } });
    expect(res.status).toBe(403);
  });
});

describe('private registries and packs', () => {
  it('publishes packs, one per name and version, and keeps a registry with packs', async () => {
    const reg = (await api.call('POST', '/v1/registries', { body: { name: 'platform-team' } })).body;
    expect((await api.call('POST', '/v1/registries', { body: { name: 'platform-team' } })).status).toBe(409);
    const pack = {
      layer: 'os',
      name: 'ubuntu-hardened',
      version: '22.4.5',
      values: 'kubeadmconfig:\n  preKubeadmCommands: []\n',
      os: {
        images: { aws: { 'us-east-1': 'ami-0123456789abcdef0' } },
        skipK8sInstall: false,
        ansibleRoles: [{ name: 'security', version: '1.2.0', vars: 'auditd: true\n' }],
      },
    };
    const made = await api.call('POST', `/v1/registries/${reg.id}/packs`, { body: pack });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ registryId: reg.id, layer: 'os', os: { skipK8sInstall: false, arch: 'amd64' } });
    expect((await api.call('POST', `/v1/registries/${reg.id}/packs`, { body: pack })).status).toBe(409);
    const helm = {
      layer: 'addon',
      name: 'vault',
      version: '0.29.1',
      content: { type: 'helm', repository: 'https://helm.releases.hashicorp.com', chart: 'vault', version: '0.29.1' },
    };
    expect((await api.call('POST', `/v1/registries/${reg.id}/packs`, { body: helm })).status).toBe(201);
    const got = await api.call('GET', `/v1/registries/${reg.id}/packs/${made.body.id}`);
    expect(got.body.os.ansibleRoles[0].name).toBe('security');
    expect((await api.call('DELETE', `/v1/registries/${reg.id}`)).status).toBe(409);
    const empty = (await api.call('POST', '/v1/registries', { body: { name: 'empty' } })).body;
    expect((await api.call('DELETE', `/v1/registries/${empty.id}`)).status).toBe(204);
    expect((await api.call('GET', `/v1/registries/${empty.id}`)).status).toBe(404);
  });
});

describe('profiles', () => {
  const base = ['pk-ubuntu-22-04', 'pk-kubernetes-1-30-14', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'];

  it('makes an immutable revision on every change, lists them and diffs two', async () => {
    const created = await api.call('POST', '/v1/profiles', {
      body: { name: 'prod', layers: [...base.map((id) => ref(id)), ref('pk-prometheus-operator-72-6-2')] },
    });
    expect(created.status).toBe(201);
    expect(created.body.layers.map((l: any) => l.layer)).toEqual(['os', 'k8s', 'cni', 'csi', 'addon']);
    const id = created.body.id;

    const update = {
      version: 1,
      layers: [
        ref('pk-ubuntu-22-04'),
        ref('pk-kubernetes-1-31-10'),
        ref('pk-calico-3-29-3', 'installation:\n  calicoNetwork:\n    ipPools:\n      - cidr: 10.244.0.0/16\n        encapsulation: VXLAN\n  flexVolumePath: None\n'),
        ref('pk-aws-ebs-csi-1-44-0'),
      ],
    };
    const updated = await api.call('PUT', `/v1/profiles/${id}`, { body: update });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ latestRevision: 2, version: 2 });
    // Editing with the version read before is a stale write.
    const stale = await api.call('PUT', `/v1/profiles/${id}`, { body: update });
    expect(stale.status).toBe(409);
    expect(stale.body.details[0].path).toBe('version');

    const revisions = await api.call('GET', `/v1/profiles/${id}/revisions`);
    expect(revisions.body.items.map((r: any) => r.revision)).toEqual([2, 1]);
    const first = await api.call('GET', `/v1/profiles/${id}/revisions/1`);
    expect(first.body.layers.map((l: any) => l.name)).toContain('prometheus-operator');

    const diff = await api.call('GET', `/v1/profiles/${id}/diff?from=1&to=2`);
    expect(diff.status).toBe(200);
    const byName = Object.fromEntries(diff.body.changes.map((c: any) => [c.name, c]));
    expect(byName['prometheus-operator']).toMatchObject({ change: 'removed', fromVersion: '72.6.2' });
    expect(byName.kubernetes).toMatchObject({ change: 'upgraded', fromVersion: '1.30.14', toVersion: '1.31.10' });
    expect(byName.kubernetes.values).toContainEqual({ path: 'kubeadmconfig.kubernetesVersion', kind: 'changed', from: 'v1.30.14', to: 'v1.31.10' });
    expect(byName.calico.change).toBe('values');
    expect(byName.calico.values).toEqual([
      { path: 'installation.calicoNetwork.ipPools', kind: 'changed', from: [{ cidr: '192.168.0.0/16', encapsulation: 'VXLAN' }], to: [{ cidr: '10.244.0.0/16', encapsulation: 'VXLAN' }] },
      { path: 'installation.flexVolumePath', kind: 'added', to: 'None' },
    ]);
    expect(byName['aws-ebs-csi']).toBeUndefined();
    expect((await api.call('GET', `/v1/profiles/${id}/diff?from=1&to=7`)).status).toBe(404);
  });

  it('settles two concurrent edits of one version: one wins, the other is 409', async () => {
    const created = await api.call('POST', '/v1/profiles', { body: { name: 'race', layers: base.map((id) => ref(id)) } });
    const edit = (k8s: string) => api.call('PUT', `/v1/profiles/${created.body.id}`, { body: { version: 1, layers: [ref(base[0]!), ref(k8s), ref(base[2]!), ref(base[3]!)] } });
    const results = await Promise.all([edit('pk-kubernetes-1-31-10'), edit('pk-kubernetes-1-32-6')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const revisions = await api.call('GET', `/v1/profiles/${created.body.id}/revisions`);
    expect(revisions.body.items).toHaveLength(2);
  });

  it('keeps profile names unique per tenant, even under concurrent creates', async () => {
    const create = () => api.call('POST', '/v1/profiles', { body: { name: 'unique', layers: base.map((id) => ref(id)) } });
    const results = await Promise.all([create(), create(), create()]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  });
});
