import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { helmArgs, PackContent, splitStrataValues } from '../../../agent/packs.js';
import { DesiredPackSchema } from '../../../core/agent-protocol.js';
import { ccmImages, desiredPacks } from '../../../core/desired-state.js';
import type { ResolvedLayer } from '../../../core/profiles.js';

const layer = (l: Partial<ResolvedLayer> & Pick<ResolvedLayer, 'layer' | 'name' | 'version'>): ResolvedLayer => ({ registryId: 'public', packId: `pk-${l.name}`, values: '', ...l });

const layers = (k8sVersion = '1.31.10', extra: ResolvedLayer[] = []): ResolvedLayer[] => [
  layer({ layer: 'os', name: 'ubuntu', version: '24.4.2' }),
  layer({ layer: 'k8s', name: 'kubernetes', version: k8sVersion, values: 'pack:\n  podCIDR: 192.168.0.0/16\n' }),
  layer({ layer: 'cni', name: 'cilium', version: '1.17.4', content: { type: 'helm', repository: 'https://helm.cilium.io', chart: 'cilium', version: '1.17.4' } }),
  layer({ layer: 'csi', name: 'aws-ebs-csi', version: '1.44.0', content: { type: 'helm', repository: 'https://kubernetes-sigs.github.io/aws-ebs-csi-driver', chart: 'aws-ebs-csi-driver', version: '2.44.0' } }),
  ...extra,
];

const CONTROL_PLANE = { 'node-role.kubernetes.io/control-plane': '' };
const UNINITIALIZED = { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' };

describe('desired packs: the cloud controller manager in the k8s layer', () => {
  it('AWS: aws-cloud-controller-manager right after the Kubernetes pack, on the control plane in the host network', () => {
    const packs = desiredPacks(layers(), {}, { id: 'cl-1', cloud: 'aws' });
    expect(packs.map((p) => `${p.layer}:${p.name}`)).toEqual(['os:ubuntu', 'k8s:kubernetes', 'k8s:aws-cloud-controller-manager', 'cni:cilium', 'csi:aws-ebs-csi']);
    const ccm = packs[2]!;
    expect(DesiredPackSchema.safeParse(ccm).success).toBe(true);
    expect(ccm).toMatchObject({
      version: '0.0.11',
      content: { type: 'helm', repository: 'https://kubernetes.github.io/cloud-provider-aws', chart: 'aws-cloud-controller-manager', version: '0.0.11', namespace: 'kube-system' },
    });
    const values = parse(ccm.values);
    expect(values.image).toEqual({ tag: 'v1.31.9' });
    expect(values.hostNetworking).toBe(true); // IMDSv2 hop limit 1: only the node's own network reaches it
    expect(values.nodeSelector).toEqual(CONTROL_PLANE);
    expect(values.tolerations).toContainEqual(UNINITIALIZED);
    expect(values.tolerations).toContainEqual({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
    expect(values.args).toEqual(expect.arrayContaining(['--cloud-provider=aws', '--cluster-name=cl-1']));
  });

  it('Azure: cloud-provider-azure with the pod CIDR of the cluster, no node CIDRs or cloud routes of its own', () => {
    const packs = desiredPacks(layers('1.32.6'), { kubernetes: 'pack:\n  podCIDR: 172.16.0.0/16\n' }, { id: 'cl-2', cloud: 'azure' });
    const ccm = packs.find((p) => p.name === 'cloud-provider-azure')!;
    expect(packs.indexOf(ccm)).toBe(2);
    expect(ccm).toMatchObject({
      layer: 'k8s',
      version: '1.36.0',
      content: { type: 'helm', repository: 'https://raw.githubusercontent.com/kubernetes-sigs/cloud-provider-azure/master/helm/repo', chart: 'cloud-provider-azure', version: '1.36.0', namespace: 'kube-system' },
    });
    const values = parse(ccm.values);
    expect(values.infra).toEqual({ clusterName: 'cl-2' });
    expect(values.cloudControllerManager).toMatchObject({
      imageTag: 'v1.32.17',
      clusterCIDR: '172.16.0.0/16',
      allocateNodeCidrs: 'false',
      configureCloudRoutes: 'false',
      nodeSelector: CONTROL_PLANE,
    });
    expect(values.cloudControllerManager.tolerations).toContainEqual(UNINITIALIZED);
    expect(values.cloudNodeManager).toEqual({ imageTag: 'v1.32.17' });
  });

  it('the agent installs it as a chart into kube-system', () => {
    const ccm = desiredPacks(layers(), {}, { id: 'cl-1', cloud: 'aws' })[2]!;
    const content = PackContent.parse(ccm.content);
    if (content.type !== 'helm') throw new Error('a chart pack');
    const args = helmArgs(ccm, content, '/tmp/v.yaml');
    expect(args.slice(args.indexOf('--namespace'), args.indexOf('--namespace') + 2)).toEqual(['--namespace', 'kube-system']);
    expect(splitStrataValues(ccm.values).hostNetwork).toEqual([]); // the chart's own setting does it
  });

  it('the simulated cloud gets none, nor does a call without the cluster', () => {
    const plain = desiredPacks(layers(), {});
    expect(desiredPacks(layers(), {}, { id: 'cl-3', cloud: 'local' })).toEqual(plain);
    expect(plain.map((p) => p.name)).toEqual(['ubuntu', 'kubernetes', 'cilium', 'aws-ebs-csi']);
  });

  it("a profile's own controller manager (same name or same chart) is left alone", () => {
    const byName = layer({ layer: 'addon', name: 'aws-cloud-controller-manager', version: '0.0.10' });
    expect(desiredPacks(layers('1.31.10', [byName]), {}, { id: 'cl-1', cloud: 'aws' }).filter((p) => p.name === 'aws-cloud-controller-manager')).toHaveLength(1);
    const byChart = layer({ layer: 'addon', name: 'ccm', version: '1.31.1', content: { type: 'helm', repository: 'https://example.com/charts', chart: 'cloud-provider-azure', version: '1.31.1' } });
    expect(desiredPacks(layers('1.31.10', [byChart]), {}, { id: 'cl-2', cloud: 'azure' }).map((p) => p.name)).not.toContain('cloud-provider-azure');
  });

  it('images follow the Kubernetes minor; a newer minor takes the newest older one, never a newer CCM', () => {
    expect(ccmImages('1.30.14')).toEqual({ aws: 'v1.30.10', azure: 'v1.30.15' });
    expect(ccmImages('v1.31.10')).toEqual({ aws: 'v1.31.9', azure: 'v1.31.12' });
    expect(ccmImages('1.36.0')).toEqual({ aws: 'v1.36.1', azure: 'v1.36.0' });
    expect(ccmImages('1.40.1')).toEqual(ccmImages('1.36.0'));
    expect(ccmImages('1.29.3')).toEqual(ccmImages('1.30.0')); // older than the table: its oldest
    for (const minor of [30, 31, 32, 33, 34, 35, 36]) {
      const images = ccmImages(`1.${minor}.0`);
      expect(images.aws.startsWith(`v1.${minor}.`) && images.azure.startsWith(`v1.${minor}.`)).toBe(true);
    }
  });

  it('a changed Kubernetes minor changes the pack, so the agent installs it again', () => {
    const a = desiredPacks(layers('1.31.10'), {}, { id: 'cl-1', cloud: 'aws' })[2]!;
    const b = desiredPacks(layers('1.32.6'), {}, { id: 'cl-1', cloud: 'aws' })[2]!;
    expect(a.values).not.toBe(b.values);
  });
});
