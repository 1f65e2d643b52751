import { describe, expect, it } from 'vitest';
import { CLOUD_CONFIG_PATHS, cloudProviderConfigFile, type BundleInput } from '../../../core/bootstrap.js';
import { bundleBase, bundleOf, plannedNode } from './bundle-input.js';
import type { PlannedNode } from '../../../core/provisioning.js';

const base = bundleBase({ kubernetesVersion: '1.32.6' });
const planned = (role: PlannedNode['role'], index: number) => plannedNode(role, index, { zone: '1', instanceType: 'Standard_D4s_v5', diskGiB: 64 });
const bundle = (node: PlannedNode, extra: Partial<BundleInput> = {}) => bundleOf(base, node, extra);

/** What the Azure adapter records (InfraRefs.cloudProviderConfig). */
const azureJson = {
  cloud: 'AzurePublicCloud',
  tenantId: '11111111-2222-3333-4444-555555555555',
  subscriptionId: '00000000-0000-0000-0000-0000000000aa',
  resourceGroup: 'strata-cl-1',
  location: 'westeurope',
  vmType: 'standard',
  vnetName: 'demo-vnet',
  vnetResourceGroup: 'strata-cl-1',
  subnetName: 'nodes',
  securityGroupName: 'demo-workers',
  securityGroupResourceGroup: 'strata-cl-1',
  loadBalancerSku: 'standard',
  useManagedIdentityExtension: true,
  userAssignedIdentityID: '7d1c0a8e-5b2f-4c3d-9e8f-0a1b2c3d4e5f',
  useInstanceMetadata: true,
};

describe('the cloud controller manager’s configuration file in the bundle', () => {
  it('Azure: control-plane nodes get /etc/kubernetes/azure.json, root-only, the recorded object as JSON', () => {
    expect(CLOUD_CONFIG_PATHS.azure).toBe('/etc/kubernetes/azure.json');
    const cloudProviderConfig = cloudProviderConfigFile('azure', azureJson);
    expect(cloudProviderConfig).toEqual({ path: '/etc/kubernetes/azure.json', content: azureJson });
    for (const node of [planned('controlPlane', 0), planned('controlPlane', 1)]) {
      const file = bundle(node, { cloudProviderConfig }).find((f) => f.path === '/etc/kubernetes/azure.json');
      expect(file, node.name).toBeDefined();
      expect(file!.mode).toBe(0o600);
      expect(file!.content.endsWith('}\n')).toBe(true);
      expect(JSON.parse(file!.content)).toEqual(azureJson);
    }
  });

  it('Azure: workers get none (their node manager reads instance metadata)', () => {
    const files = bundle(planned('worker', 0), { cloudProviderConfig: cloudProviderConfigFile('azure', azureJson) });
    expect(files.map((f) => f.path)).toEqual(['/etc/kubernetes/kubeadm.yaml']);
  });

  it('AWS has no such file, and neither has an Azure cluster whose infrastructure recorded none', () => {
    expect(cloudProviderConfigFile('aws', azureJson)).toBeUndefined();
    expect(cloudProviderConfigFile('local', azureJson)).toBeUndefined();
    expect(cloudProviderConfigFile('azure', undefined)).toBeUndefined();
    const aws = bundle(planned('controlPlane', 0), { cloudProviderConfig: cloudProviderConfigFile('aws', azureJson) });
    expect(aws.some((f) => f.path.endsWith('.json'))).toBe(false);
    expect(aws.map((f) => f.path)).not.toContain('/etc/kubernetes/azure.json');
  });
});
