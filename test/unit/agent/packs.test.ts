import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { helmArgs, KubernetesInstaller, manifestObjects, packKey, splitStrataValues, type CommandRunner } from '../../../agent/packs.js';
import type { DesiredPack } from '../../../core/agent-protocol.js';
import { kubeConfigFor, kubeHandler, sendJson, startServer, type TestServer } from './helpers.js';

const helmPack = (repository: string): DesiredPack => ({
  name: 'monitoring',
  layer: 'addon',
  version: '72.6.2',
  values: 'grafana:\n  enabled: true\n',
  content: { type: 'helm', repository, chart: 'kube-prometheus-stack', version: '72.6.2' },
});

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('helmArgs', () => {
  it('an https repository goes to --repo', () => {
    const p = helmPack('https://prometheus-community.github.io/helm-charts');
    expect(helmArgs(p, p.content as never, '/tmp/v.yaml')).toEqual([
      'upgrade', '--install', 'monitoring', 'kube-prometheus-stack',
      '--repo', 'https://prometheus-community.github.io/helm-charts',
      '--version', '72.6.2', '--namespace', 'monitoring', '--create-namespace', '-f', '/tmp/v.yaml',
    ]);
  });

  it('an oci:// repository makes the chart reference (helm takes no --repo for OCI)', () => {
    const p = helmPack('oci://ghcr.io/prometheus-community/charts/');
    expect(helmArgs(p, p.content as never, '/tmp/v.yaml').slice(0, 6)).toEqual([
      'upgrade', '--install', 'monitoring', 'oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack', '--version', '72.6.2',
    ]);
  });
});

describe('manifestObjects', () => {
  it('splits documents, skips empty ones and flattens a List', () => {
    const objs = manifestObjects(
      '---\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b, namespace: a}\n',
    );
    expect(objs.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual(['Namespace/a', 'ConfigMap/b']);
  });

  it('refuses objects without kind or name, and broken YAML', () => {
    expect(() => manifestObjects('foo: bar\n')).toThrow('every document needs apiVersion and kind');
    expect(() => manifestObjects('apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n')).toThrow('ConfigMap without metadata.name');
    expect(() => manifestObjects('apiVersion: v1\nkind: [\n')).toThrow(/^manifests: /);
  });
});

describe('KubernetesInstaller', () => {
  it('does nothing for a pack without content (os, k8s)', async () => {
    const calls: string[] = [];
    const run: CommandRunner = async (c) => {
      calls.push(c);
      return { code: 0, stdout: '', stderr: '' };
    };
    await new KubernetesInstaller(kubeConfigFor('http://127.0.0.1:1'), { run }).install({ name: 'ubuntu', layer: 'os', version: '22.4.0', values: '' });
    expect(calls).toEqual([]);
  });

  it("rejects with the API server's message when an apply is refused", async () => {
    server = await startServer((req, res) => {
      if (req.method === 'PATCH') {
        return sendJson(res, 422, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', code: 422, message: 'ConfigMap "x" is invalid: data[bad key]: Invalid value' });
      }
      return kubeHandler({ nodes: [], pods: [], services: [] })(req, res);
    });
    const installer = new KubernetesInstaller(kubeConfigFor(server.url));
    const pack: DesiredPack = { name: 'cfg', layer: 'addon', version: '1.0.0', values: '', content: { type: 'manifests', manifests: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: ns}\ndata: {"bad key": v}\n' } };
    await expect(installer.install(pack)).rejects.toThrow('apply ConfigMap ns/x: HTTP 422: ConfigMap "x" is invalid: data[bad key]: Invalid value');
  });

  it('rejects an unknown content type', async () => {
    const installer = new KubernetesInstaller(kubeConfigFor('http://127.0.0.1:1'));
    await expect(installer.install({ name: 'k', layer: 'addon', version: '1.0.0', values: '', content: { type: 'kustomize', path: '.' } })).rejects.toThrow('unsupported pack content (type kustomize)');
  });

  it("reports helm's last error lines and removes the values file", async () => {
    let valuesFile = '';
    const run: CommandRunner = async (_c, args) => {
      valuesFile = args[args.indexOf('-f') + 1]!;
      expect(existsSync(valuesFile)).toBe(true);
      return { code: 1, stdout: '', stderr: 'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n' };
    };
    const installer = new KubernetesInstaller(kubeConfigFor('http://127.0.0.1:1'), { run });
    await expect(installer.install(helmPack('https://prometheus-community.github.io/helm-charts'))).rejects.toThrow(
      'helm upgrade --install monitoring exited with 1: Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress',
    );
    expect(existsSync(valuesFile)).toBe(false);
  });
});

describe('workloads that need the node identity', () => {
  it('strata.hostNetwork is taken out of the chart values, and the named workloads get the node network after install', async () => {
    const patches: { path: string; body: any; query: string }[] = [];
    server = await startServer((req, res) => {
      if (req.method === 'GET' && req.path === '/apis/apps/v1') {
        return sendJson(res, 200, { kind: 'APIResourceList', groupVersion: 'apps/v1', resources: [{ name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs: ['get', 'patch'] }] });
      }
      if (req.method === 'PATCH') {
        patches.push({ path: req.path, body: JSON.parse(req.body), query: req.query.toString() });
        return sendJson(res, 200, JSON.parse(req.body));
      }
      return kubeHandler({ nodes: [], pods: [], services: [] })(req, res);
    });
    let chartValues = '';
    const run: CommandRunner = async (_c, args) => {
      chartValues = readFileSync(args[args.indexOf('-f') + 1]!, 'utf8');
      return { code: 0, stdout: '', stderr: '' };
    };
    const values = 'node:\n  hostNetwork: true\nstrata:\n  hostNetwork:\n    - Deployment/ebs-csi-controller\n    - Deployment/kube-system/cloud-controller-manager\n';
    const pack: DesiredPack = { name: 'aws-ebs-csi', layer: 'csi', version: '1.44.0', values, content: { type: 'helm', repository: 'https://kubernetes-sigs.github.io/aws-ebs-csi-driver', chart: 'aws-ebs-csi-driver', version: '2.44.0' } };
    await new KubernetesInstaller(kubeConfigFor(server.url), { run }).install(pack);
    expect(chartValues).toBe('node:\n  hostNetwork: true\n');
    expect(patches.map((p) => p.path)).toEqual(['/apis/apps/v1/namespaces/aws-ebs-csi/deployments/ebs-csi-controller', '/apis/apps/v1/namespaces/kube-system/deployments/cloud-controller-manager']);
    expect(patches[0]!.body.spec).toEqual({ template: { spec: { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } } });
    expect(patches[0]!.query).toContain('fieldManager=strata-agent');
  });

  it('refuses a malformed reference, and leaves values without the key as they are', () => {
    expect(() => splitStrataValues('strata:\n  hostNetwork: [Pod/x]\n')).toThrow('values strata.hostNetwork');
    expect(splitStrataValues('a: 1\n')).toEqual({ chartValues: 'a: 1\n', hostNetwork: [] });
  });
});

describe('packKey', () => {
  it('changes with the version, the values or the content, not with nothing', () => {
    const p = helmPack('https://prometheus-community.github.io/helm-charts');
    expect(packKey(p)).toBe(packKey({ ...p }));
    expect(packKey({ ...p, values: 'grafana:\n  enabled: false\n' })).not.toBe(packKey(p));
    expect(packKey({ ...p, version: '72.6.3' })).not.toBe(packKey(p));
  });
});
