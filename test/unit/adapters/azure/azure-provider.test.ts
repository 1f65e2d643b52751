import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureProvider, diskTypeFor, instanceState } from '../../../../adapters/cloud/azure/azure-provider.js';
import { roleAssignmentName } from '../../../../adapters/cloud/azure/identity.js';
import { CloudError, type InfraSpec, type InstanceSpec } from '../../../../core/cloud.js';
import { nodePermissions } from '../../../../core/node-permissions.js';
import { FakeArm, fakeCredential, plainHttpTransport, type ArmCall } from './fake-arm.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const REGION = 'westeurope';
const CLUSTER = 'cl-3k9x0q2m7vza';
const RG = `strata-${CLUSTER}`;
const RG_ID = `/subscriptions/${SUB}/resourceGroups/${RG}`;
const NET = `${RG_ID}/providers/Microsoft.Network`;
const COMPUTE = `${RG_ID}/providers/Microsoft.Compute`;
const IDENTITIES = `${RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;
const roleDefinition = (id: string) => `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${id}`;
const NETWORK_CONTRIBUTOR = roleDefinition('4d97b98b-1d4f-4787-a291-c67834d212e7');
const VM_CONTRIBUTOR = roleDefinition('9980e02c-c2be-4d73-94e8-173b1dc7cf3c');
/** A role assignment at the cluster's group, by the name derived from what it grants. */
const roleAssignment = (role: string, principalId: string, scope = RG_ID) =>
  `${scope}/providers/Microsoft.Authorization/roleAssignments/${roleAssignmentName(scope, role, principalId)}`;

const QUOTA_MESSAGE =
  'Operation could not be completed as it results in exceeding approved standardDSv5Family Cores quota. Additional details - Deployment Model: Resource Manager, Location: westeurope, Current Limit: 10, Current Usage: 8, Additional Required: 4, (Minimum) New Limit Required: 12.';

let arm: FakeArm;
let provider: AzureProvider;

function newProvider(extra: { resourceGroup?: string; sshPublicKey?: string; tenantId?: string } = {}) {
  return new AzureProvider({
    credential: fakeCredential,
    subscriptionId: SUB,
    region: REGION,
    endpoint: arm.endpoint,
    httpClient: plainHttpTransport(),
    sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests operator',
    ...extra,
  });
}

const lc = (xs: string[]) => xs.map((x) => x.toLowerCase());
const writes = (c: ArmCall) => c.method !== 'GET';

/** A cluster's infrastructure as the workflow asks for it by default: Strata's network, NAT egress, an internal API. */
function infraSpec(over: Partial<InfraSpec> = {}): InfraSpec {
  return {
    clusterId: CLUSTER,
    clusterName: 'demo',
    zones: ['1', '2', '3'],
    apiAllowedCidrs: [],
    publicApi: false,
    network: { nodeEgress: 'natGateway', natGateways: 'single' },
    nodeIdentity: { permissions: nodePermissions('azure', []) },
    ...over,
  };
}
const infra = infraSpec();

const node: InstanceSpec = {
  clusterId: CLUSTER,
  pool: 'workers',
  role: 'worker',
  name: 'demo-workers-1',
  zone: '2',
  subnetId: `${NET}/virtualNetworks/demo-vnet/subnets/nodes`,
  securityGroupId: `${NET}/networkSecurityGroups/demo-workers`,
  instanceType: 'Standard_D4s_v5',
  imageId: 'Canonical:ubuntu-24_04-lts:server:24.04.202501150',
  diskGiB: 64,
  userData: '#cloud-config\nruncmd:\n  - kubeadm join api.example:6443\n',
  idempotencyToken: `${CLUSTER}-workers-1`,
  publicIp: false,
  identity: '',
};

async function rejection(p: Promise<unknown>): Promise<CloudError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CloudError);
  return e as CloudError;
}

beforeAll(async () => {
  arm = await FakeArm.start();
});
afterAll(async () => {
  await arm.close();
});
beforeEach(() => {
  arm.reset();
  provider = newProvider();
});

describe('verifyAccess', () => {
  const computeProvider = new RegExp(`^/subscriptions/${SUB}/providers/Microsoft.Compute$`);

  it('signs in and reads the subscription: the Microsoft.Compute provider must be registered', async () => {
    arm.on('GET', computeProvider, { status: 200, body: { namespace: 'Microsoft.Compute', registrationState: 'Registered' } });
    expect(await provider.verifyAccess()).toContain(SUB);
    const call = arm.calls.find((c) => computeProvider.test(c.path))!;
    expect(call.authorization).toMatch(/^Bearer /);
  });

  it('answers the provider’s own refusal, or what is missing', async () => {
    arm.on('GET', computeProvider, { status: 403, body: { error: { code: 'AuthorizationFailed', message: "The client '1c2d' does not have authorization to perform action 'Microsoft.Resources/subscriptions/providers/read'." } } }, 1);
    const denied = await rejection(provider.verifyAccess());
    expect(denied).toMatchObject({ code: 'AuthorizationFailed', message: expect.stringContaining('does not have authorization') });
    arm.on('GET', computeProvider, { status: 200, body: { namespace: 'Microsoft.Compute', registrationState: 'NotRegistered' } });
    expect(await rejection(provider.verifyAccess())).toMatchObject({ code: 'MissingSubscriptionRegistration', retryable: false });
  });
});

describe('resolveImage', () => {
  const versions = `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/publishers/Canonical/artifacttypes/vmimage/offers/ubuntu-24_04-lts/skus/server/versions`;

  it('pins `latest` to the newest version offered in the region', async () => {
    arm.on('GET', new RegExp(`${versions}$`), {
      status: 200,
      body: [
        { name: '24.04.202409010', location: 'westeurope', id: `${versions}/24.04.202409010` },
        { name: '24.04.202501150', location: 'westeurope', id: `${versions}/24.04.202501150` },
        { name: '24.04.202410020', location: 'westeurope', id: `${versions}/24.04.202410020` },
      ],
    });
    const image = await provider.resolveImage('Canonical:ubuntu-24_04-lts:server:latest');
    expect(image).toEqual({ imageId: 'Canonical:ubuntu-24_04-lts:server:24.04.202501150', region: REGION, copied: false });
    expect(lc(arm.lines())).toEqual(lc([`GET ${versions}`]));
    expect(arm.calls[0]!.apiVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(arm.calls[0]!.authorization).toBe('Bearer x');
  });

  it('checks an exact version with a GET of that version', async () => {
    arm.on('GET', new RegExp(`${versions}/24.04.202501150$`), { status: 200, body: { name: '24.04.202501150', location: 'westeurope' } });
    const image = await provider.resolveImage('Canonical:ubuntu-24_04-lts:server:24.04.202501150');
    expect(image.imageId).toBe('Canonical:ubuntu-24_04-lts:server:24.04.202501150');
    expect(lc(arm.lines())).toEqual(lc([`GET ${versions}/24.04.202501150`]));
  });

  it('an unknown URN is ImageNotFound with Azure’s own message, not retryable', async () => {
    arm.on('GET', /\/offers\/no-such-offer\//, { status: 404, body: { error: { code: 'NotFound', message: 'Artifact: VMImage was not found.' } } });
    const e = await rejection(provider.resolveImage('Canonical:no-such-offer:server:latest'));
    expect(e.code).toBe('ImageNotFound');
    expect(e.message).toBe('Artifact: VMImage was not found.');
    expect(e.retryable).toBe(false);
  });

  it('a SKU with no versions in the region is ImageNotFound', async () => {
    arm.on('GET', new RegExp(`${versions}$`), { status: 200, body: [] });
    const e = await rejection(provider.resolveImage('Canonical:ubuntu-24_04-lts:server:latest'));
    expect(e.code).toBe('ImageNotFound');
    expect(e.message).toContain('westeurope');
  });

  it('rejects a malformed reference without calling Azure', async () => {
    for (const ref of ['ami-0123456789abcdef0', 'Canonical:ubuntu', 'Canonical:ubuntu:server:24.04:extra', '/subscriptions/x/images/y']) {
      const e = await rejection(provider.resolveImage(ref));
      expect(e.code).toBe('InvalidImageReference');
      expect(e.retryable).toBe(false);
    }
    expect(arm.calls).toEqual([]);
  });

  it('finds a gallery image version replicated to the region', async () => {
    const id = `/subscriptions/${SUB}/resourceGroups/images/providers/Microsoft.Compute/galleries/strata/images/ubuntu-k8s/versions/1.31.2`;
    arm.seed(id, {
      location: 'eastus',
      properties: { provisioningState: 'Succeeded', publishingProfile: { targetRegions: [{ name: 'East US' }, { name: 'West Europe' }] } },
    });
    const image = await provider.resolveImage(id);
    expect(image).toEqual({ imageId: id, region: REGION, copied: false });
    expect(lc(arm.lines())).toEqual(lc([`GET ${id}`]));
  });

  it('a gallery image version not replicated to the region is ImageNotFound', async () => {
    const id = `/subscriptions/${SUB}/resourceGroups/images/providers/Microsoft.Compute/galleries/strata/images/ubuntu-k8s/versions/1.31.2`;
    arm.seed(id, { location: 'eastus', properties: { publishingProfile: { targetRegions: [{ name: 'East US' }] } } });
    const e = await rejection(provider.resolveImage(id));
    expect(e.code).toBe('ImageNotFound');
    expect(e.message).toContain('not replicated to westeurope');
  });

  it('a managed image id that does not exist is ImageNotFound', async () => {
    const id = `/subscriptions/${SUB}/resourceGroups/images/providers/Microsoft.Compute/images/gone`;
    const e = await rejection(provider.resolveImage(id));
    expect(e.code).toBe('ImageNotFound');
    expect(lc(arm.lines())).toEqual(lc([`GET ${id}`]));
  });
});

describe('ensureInfrastructure', () => {
  const cpNsg = `${NET}/networkSecurityGroups/demo-control-plane`;
  const workersNsg = `${NET}/networkSecurityGroups/demo-workers`;
  const cpAsg = `${NET}/applicationSecurityGroups/demo-control-plane`;
  const workersAsg = `${NET}/applicationSecurityGroups/demo-workers`;

  const rulesOf = (nsgId: string) => arm.bodyOf('PUT', nsgId).properties.securityRules as any[];
  const allows = (rules: any[]) => rules.filter((r) => r.properties.access === 'Allow');
  const rule = (rules: any[], name: string) => {
    const r = rules.find((x) => x.name === name);
    expect(r, name).toBeDefined();
    return r.properties;
  };

  it('makes the group, ASGs, NSGs, NAT gateway, network with one subnet, identities and load balancer, and returns their ids', async () => {
    const refs = await provider.ensureInfrastructure(infra);

    const cpPrincipal = arm.store.get(`${IDENTITIES}/demo-control-plane`.toLowerCase()).properties.principalId;
    expect(lc(arm.lines()).sort()).toEqual(
      lc([
        `PUT /subscriptions/${SUB}/resourcegroups/${RG}`,
        `PUT ${cpAsg}`,
        `PUT ${workersAsg}`,
        `PUT ${NET}/publicIPAddresses/demo-nat-ip`,
        `PUT ${IDENTITIES}/demo-control-plane`,
        `PUT ${IDENTITIES}/demo-workers`,
        `PUT ${roleAssignment(NETWORK_CONTRIBUTOR, cpPrincipal)}`,
        `PUT ${roleAssignment(VM_CONTRIBUTOR, cpPrincipal)}`,
        `PUT ${cpNsg}`,
        `PUT ${workersNsg}`,
        `PUT ${NET}/natGateways/demo-nat`,
        `PUT ${NET}/virtualNetworks/demo-vnet`,
        `PUT ${NET}/loadBalancers/api`,
      ]).sort(),
    );
    // The group comes first, then the network (it needs the NAT gateway), and the load balancer last (it needs the subnet).
    expect(arm.calls[0]!.path.toLowerCase()).toBe(`/subscriptions/${SUB}/resourcegroups/${RG}`.toLowerCase());
    expect(arm.calls.at(-2)!.path).toBe(`${NET}/virtualNetworks/demo-vnet`);
    expect(arm.calls.at(-1)!.path).toBe(`${NET}/loadBalancers/api`);
    for (const c of arm.calls) expect(c.apiVersion, c.path).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    expect(arm.bodyOf('PUT', `/subscriptions/${SUB}/resourcegroups/${RG}`)).toEqual({
      location: REGION,
      tags: { 'strata:cluster': CLUSTER, Name: 'demo' },
    });
    const vnet = arm.bodyOf('PUT', `${NET}/virtualNetworks/demo-vnet`);
    expect(vnet.location).toBe(REGION);
    expect(vnet.tags).toEqual({ 'strata:cluster': CLUSTER, Name: 'demo-vnet' });
    expect(vnet.properties.addressSpace).toEqual({ addressPrefixes: ['10.0.0.0/16'] });
    expect(vnet.properties.subnets).toEqual([
      {
        name: 'nodes',
        properties: { addressPrefix: '10.0.0.0/18', natGateway: { id: `${NET}/natGateways/demo-nat` }, defaultOutboundAccess: false },
      },
    ]);
    expect(arm.bodyOf('PUT', `${NET}/natGateways/demo-nat`).properties.publicIpAddresses).toEqual([{ id: `${NET}/publicIPAddresses/demo-nat-ip` }]);

    const subnet = `${NET}/virtualNetworks/demo-vnet/subnets/nodes`;
    const frontendIp = arm.store.get(`${NET}/loadBalancers/api`.toLowerCase()).properties.frontendIPConfigurations[0].properties.privateIPAddress;
    expect(frontendIp).toMatch(/^10\.0\.0\.\d+$/);
    expect(refs).toEqual({
      networkId: `${NET}/virtualNetworks/demo-vnet`,
      subnets: { '1': subnet, '2': subnet, '3': subnet },
      networkManaged: true,
      natGatewayIds: [`${NET}/natGateways/demo-nat`],
      nodePublicIp: false,
      controlPlaneSecurityGroupId: cpNsg,
      workerSecurityGroupId: workersNsg,
      loadBalancerId: `${NET}/loadBalancers/api`,
      apiEndpoint: `api.${CLUSTER}.strata.internal`,
      apiPort: 6443,
      // A joining control-plane node reaches the API through the load balancer until its own serves.
      apiHosts: { controlPlane: '127.0.0.1', worker: frontendIp, join: frontendIp },
      nodeIdentity: { controlPlane: `${IDENTITIES}/demo-control-plane`, worker: `${IDENTITIES}/demo-workers` },
      cloudProviderConfig: expect.any(Object),
    });
  });

  it('azure.json for the controller manager: the cluster’s group, network, workers’ NSG and the control-plane identity’s client id', async () => {
    const refs = await provider.ensureInfrastructure(infra);
    const cpIdentity = arm.store.get(`${IDENTITIES}/demo-control-plane`.toLowerCase()).properties;
    expect(cpIdentity.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(refs.cloudProviderConfig).toEqual({
      cloud: 'AzurePublicCloud',
      // No tenant given to the provider: the one Azure reports for the identity.
      tenantId: cpIdentity.tenantId,
      subscriptionId: SUB,
      resourceGroup: RG,
      location: REGION,
      vmType: 'standard',
      vnetName: 'demo-vnet',
      vnetResourceGroup: RG,
      subnetName: 'nodes',
      securityGroupName: 'demo-workers',
      securityGroupResourceGroup: RG,
      loadBalancerSku: 'standard',
      useManagedIdentityExtension: true,
      userAssignedIdentityID: cpIdentity.clientId,
      useInstanceMetadata: true,
    });
    // No secret, no route table Strata never made, and no load balancer name: Service load balancers
    // are named after the cluster id, which the API's (`api`) never is.
    expect(Object.keys(refs.cloudProviderConfig!)).not.toContain('aadClientSecret');
    expect(Object.keys(refs.cloudProviderConfig!)).not.toContain('routeTableName');
    expect(Object.keys(refs.cloudProviderConfig!)).not.toContain('loadBalancerName');

    const withTenant = await newProvider({ tenantId: '11111111-2222-3333-4444-555555555555' }).ensureInfrastructure(infra);
    expect(withTenant.cloudProviderConfig!.tenantId).toBe('11111111-2222-3333-4444-555555555555');
  });

  it('control-plane rules: 6443 from workers and control plane, etcd and kubelet from the control plane only, nothing from outside', async () => {
    await provider.ensureInfrastructure(infra);
    const rules = rulesOf(cpNsg);

    expect(rule(rules, 'allow-api-from-workers')).toMatchObject({
      access: 'Allow',
      direction: 'Inbound',
      protocol: 'Tcp',
      destinationPortRange: '6443',
      sourceApplicationSecurityGroups: [{ id: workersAsg }],
      destinationApplicationSecurityGroups: [{ id: cpAsg }],
    });
    expect(rule(rules, 'allow-api-from-control-plane')).toMatchObject({ destinationPortRange: '6443', sourceApplicationSecurityGroups: [{ id: cpAsg }] });
    expect(rule(rules, 'allow-etcd-from-control-plane')).toMatchObject({
      protocol: 'Tcp',
      destinationPortRange: '2379-2380',
      sourceApplicationSecurityGroups: [{ id: cpAsg }],
      destinationApplicationSecurityGroups: [{ id: cpAsg }],
    });
    // Every allow names its sources by role: no address, no '*', no Internet, no 0.0.0.0/0.
    for (const r of allows(rules)) {
      expect(r.properties.sourceAddressPrefix ?? 'AzureLoadBalancer', r.name).toBe('AzureLoadBalancer');
      expect(r.properties.sourceAddressPrefixes, r.name).toBeUndefined();
    }
    // The only allow with a source other than the cluster's ASGs is Azure's probe source.
    expect(allows(rules).filter((r) => !r.properties.sourceApplicationSecurityGroups).map((r) => r.name)).toEqual(['allow-azure-load-balancer']);
    // etcd is denied to everything else before the node-to-node allow (priority 300); the kubelet is
    // open between nodes (metrics-server and Prometheus scrape every node).
    expect(rule(rules, 'deny-etcd')).toMatchObject({ access: 'Deny', destinationPortRange: '2379-2380', priority: 200 });
    expect(rules.some((r) => r.properties.access === 'Deny' && r.properties.destinationPortRange === '10250')).toBe(false);
    expect(rule(rules, 'allow-cluster-nodes')).toMatchObject({
      priority: 300,
      sourceApplicationSecurityGroups: [{ id: cpAsg }, { id: workersAsg }],
    });
    // Azure's AllowVnetInBound is overridden: the group ends by denying the virtual network.
    expect(rule(rules, 'deny-virtual-network')).toMatchObject({ access: 'Deny', sourceAddressPrefix: 'VirtualNetwork', priority: 4096 });
    const priorities = rules.map((r) => r.properties.priority);
    expect(new Set(priorities).size).toBe(priorities.length);
  });

  it("worker rules: the cluster's nodes (kubelet, overlay, Typha, node exporter), nothing else", async () => {
    await provider.ensureInfrastructure(infra);
    const rules = rulesOf(workersNsg);
    expect(rule(rules, 'allow-cluster-nodes')).toMatchObject({ access: 'Allow', sourceApplicationSecurityGroups: [{ id: cpAsg }, { id: workersAsg }] });
    expect(rules.some((r) => r.properties.access === 'Deny' && r.properties.destinationPortRange === '10250')).toBe(false);
    expect(rules.some((r) => r.properties.destinationPortRange === '6443' || r.properties.destinationPortRange === '2379-2380')).toBe(false);
    for (const r of allows(rules)) expect(r.properties.sourceAddressPrefixes, r.name).toBeUndefined();
  });

  it('apiAllowedCidrs open 6443 to those CIDRs, on the control plane only', async () => {
    await provider.ensureInfrastructure({ ...infra, apiAllowedCidrs: ['203.0.113.0/24', '0.0.0.0/0'] });
    const cp = rulesOf(cpNsg);
    const withCidrs = cp.filter((r) => r.properties.sourceAddressPrefixes);
    expect(withCidrs).toHaveLength(1);
    expect(withCidrs[0].properties).toMatchObject({
      access: 'Allow',
      protocol: 'Tcp',
      destinationPortRange: '6443',
      sourceAddressPrefixes: ['203.0.113.0/24', '0.0.0.0/0'],
      destinationApplicationSecurityGroups: [{ id: cpAsg }],
    });
    expect(JSON.stringify(rulesOf(workersNsg))).not.toContain('203.0.113.0/24');
    expect(JSON.stringify(rulesOf(workersNsg))).not.toContain('0.0.0.0/0');
  });

  it('is idempotent: a second run PUTs the same resources with the same bodies and returns the same ids', async () => {
    const first = await provider.ensureInfrastructure(infra);
    const firstCalls = arm.calls.map((c) => ({ m: c.method, p: c.path.toLowerCase(), b: c.body }));
    arm.calls.length = 0;
    const second = await provider.ensureInfrastructure(infra);
    const secondCalls = arm.calls.map((c) => ({ m: c.method, p: c.path.toLowerCase(), b: c.body }));
    const byPath = (a: { p: string }, b: { p: string }) => a.p.localeCompare(b.p);
    expect(secondCalls.sort(byPath)).toEqual(firstCalls.sort(byPath));
    expect(second).toEqual(first);
  });

  it('an authorization failure surfaces as a non-retryable CloudError with Azure’s message', async () => {
    const message = `The client 'strata' with object id '1' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/write' over scope '/subscriptions/${SUB}/resourcegroups/${RG}' or the scope is invalid.`;
    arm.on('PUT', /\/resourcegroups\/[^/]+$/, { status: 403, body: { error: { code: 'AuthorizationFailed', message } } });
    const e = await rejection(provider.ensureInfrastructure(infra));
    expect(e).toMatchObject({ code: 'AuthorizationFailed', message, retryable: false });
    expect(arm.calls).toHaveLength(1);
  });

  it('in a shared resource group: no group is created and names carry the cluster id', async () => {
    arm.seed(`/subscriptions/${SUB}/resourceGroups/platform`, { location: REGION, properties: { provisioningState: 'Succeeded' } });
    const shared = newProvider({ resourceGroup: 'platform' });
    const refs = await shared.ensureInfrastructure(infra);
    const base = `/subscriptions/${SUB}/resourceGroups/platform/providers/Microsoft.Network`;
    expect(arm.lines().some((l) => /\/resourcegroups\/[^/]+$/i.test(l))).toBe(false);
    expect(refs.controlPlaneSecurityGroupId).toBe(`${base}/networkSecurityGroups/strata-${CLUSTER}-control-plane`);
    expect(refs.networkId).toBe(`${base}/virtualNetworks/strata-${CLUSTER}-vnet`);
    expect(refs.cloudProviderConfig).toMatchObject({
      resourceGroup: 'platform',
      vnetName: `strata-${CLUSTER}-vnet`,
      vnetResourceGroup: 'platform',
      securityGroupName: `strata-${CLUSTER}-workers`,
      securityGroupResourceGroup: 'platform',
    });
    // The API's load balancer is strata-<id>-api; Service load balancers would be <id> and <id>-internal.
    expect(refs.loadBalancerId.split('/').at(-1)).toBe(`strata-${CLUSTER}-api`);
    expect(refs.cloudProviderConfig).not.toHaveProperty('loadBalancerName');
  });
});

describe('ensureInstance', () => {
  const vmPath = `${COMPUTE}/virtualMachines/demo-workers-1`;
  const nicPath = `${NET}/networkInterfaces/demo-workers-1-nic`;

  beforeEach(async () => {
    await provider.ensureInfrastructure(infra);
    arm.calls.length = 0;
  });

  it('creates the NIC (no public IP) and the VM with the exact body', async () => {
    const info = await provider.ensureInstance(node);

    expect(lc(arm.lines())).toEqual(lc([`GET ${vmPath}`, `PUT ${nicPath}`, `PUT ${vmPath}`]));
    expect(arm.calls[0]!.query.$expand).toBe('instanceView');

    const nic = arm.bodyOf('PUT', nicPath);
    expect(nic).toEqual({
      location: REGION,
      tags: { 'strata:cluster': CLUSTER, 'strata:pool': 'workers', 'strata:role': 'worker', Name: 'demo-workers-1-nic' },
      properties: {
        networkSecurityGroup: { id: node.securityGroupId },
        ipConfigurations: [
          {
            name: 'ipconfig1',
            properties: {
              primary: true,
              privateIPAllocationMethod: 'Dynamic',
              privateIPAddressVersion: 'IPv4',
              subnet: { id: node.subnetId, properties: {} },
              applicationSecurityGroups: [{ id: `${NET}/applicationSecurityGroups/demo-workers` }],
            },
          },
        ],
      },
    });
    expect(JSON.stringify(nic)).not.toContain('publicIPAddress"');
    expect(arm.lines().some((l) => l.includes('/publicIPAddresses/demo-workers-1'))).toBe(false);

    const vm = arm.bodyOf('PUT', vmPath);
    expect(vm.location).toBe(REGION);
    expect(vm.zones).toEqual(['2']);
    expect(vm.tags).toEqual({ 'strata:cluster': CLUSTER, 'strata:pool': 'workers', 'strata:role': 'worker', Name: 'demo-workers-1' });
    expect(vm.properties.hardwareProfile).toEqual({ vmSize: 'Standard_D4s_v5' });
    expect(vm.properties.storageProfile).toEqual({
      imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: '24.04.202501150' },
      osDisk: {
        name: 'demo-workers-1-osdisk',
        createOption: 'FromImage',
        caching: 'ReadWrite',
        diskSizeGB: 64,
        managedDisk: { storageAccountType: 'Premium_LRS' },
        deleteOption: 'Delete',
      },
    });
    expect(vm.properties.osProfile).toEqual({
      computerName: 'demo-workers-1',
      adminUsername: 'strata',
      customData: Buffer.from(node.userData).toString('base64'),
      linuxConfiguration: {
        disablePasswordAuthentication: true,
        provisionVMAgent: true,
        ssh: { publicKeys: [{ path: '/home/strata/.ssh/authorized_keys', keyData: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests operator' }] },
      },
    });
    expect(Buffer.from(vm.properties.osProfile.customData, 'base64').toString('utf8')).toBe(node.userData);
    expect(vm.properties.networkProfile).toEqual({ networkInterfaces: [{ id: nicPath, properties: { primary: true, deleteOption: 'Delete' } }] });

    expect(info).toEqual({
      instanceId: vmPath,
      name: 'demo-workers-1',
      pool: 'workers',
      role: 'worker',
      zone: '2',
      instanceType: 'Standard_D4s_v5',
      state: 'running',
      privateIp: '10.0.0.4',
      imageId: node.imageId,
    });
  });

  it('a repeated call finds the VM by name and sends no PUT', async () => {
    const first = await provider.ensureInstance(node);
    arm.calls.length = 0;
    const again = await provider.ensureInstance(node);
    expect(lc(arm.lines())).toEqual(lc([`GET ${vmPath}`, `GET ${nicPath}`]));
    expect(again).toEqual(first);
  });

  it('publicIp: a zonal Standard public IP on the NIC', async () => {
    await provider.ensureInstance({ ...node, publicIp: true });
    const pip = `${NET}/publicIPAddresses/demo-workers-1-pip`;
    expect(lc(arm.lines(writes))).toEqual(lc([`PUT ${pip}`, `PUT ${nicPath}`, `PUT ${vmPath}`]));
    expect(arm.bodyOf('PUT', pip)).toMatchObject({ zones: ['2'], sku: { name: 'Standard' }, properties: { publicIPAllocationMethod: 'Static' } });
    expect(arm.bodyOf('PUT', nicPath).properties.ipConfigurations[0].properties.publicIPAddress).toEqual({ id: pip, properties: { deleteOption: 'Delete' } });
  });

  it('a gallery image id goes into imageReference.id; a control-plane node joins the control-plane ASG', async () => {
    const image = `/subscriptions/${SUB}/resourceGroups/images/providers/Microsoft.Compute/galleries/strata/images/ubuntu-k8s/versions/1.31.2`;
    const info = await provider.ensureInstance({
      ...node,
      name: 'demo-cp-0',
      pool: 'cp',
      role: 'controlPlane',
      securityGroupId: `${NET}/networkSecurityGroups/demo-control-plane`,
      imageId: image,
      instanceType: 'Standard_D4_v5',
    });
    const vm = arm.bodyOf('PUT', `${COMPUTE}/virtualMachines/demo-cp-0`);
    expect(vm.properties.storageProfile.imageReference).toEqual({ id: image });
    expect(info.imageId).toBe(image);
    expect(vm.properties.storageProfile.osDisk.managedDisk).toEqual({ storageAccountType: 'StandardSSD_LRS' });
    expect(vm.tags['strata:role']).toBe('controlPlane');
    const nic = arm.bodyOf('PUT', `${NET}/networkInterfaces/demo-cp-0-nic`);
    expect(nic.properties.ipConfigurations[0].properties.applicationSecurityGroups).toEqual([{ id: `${NET}/applicationSecurityGroups/demo-control-plane` }]);
    expect(nic.properties.networkSecurityGroup).toEqual({ id: `${NET}/networkSecurityGroups/demo-control-plane` });
  });

  it('without an operator key, installs a fresh ssh-rsa key nobody holds', async () => {
    const p = newProvider({ sshPublicKey: undefined });
    await p.ensureInstance(node);
    const key = arm.bodyOf('PUT', vmPath).properties.osProfile.linuxConfiguration.ssh.publicKeys[0].keyData as string;
    expect(key).toMatch(/^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/=]{500,} strata-no-ssh$/);
  });

  it('a quota refusal (409 OperationNotAllowed) is a retryable CloudError with Azure’s message', async () => {
    arm.on('PUT', /\/virtualMachines\/demo-workers-1$/, {
      status: 409,
      body: { error: { code: 'OperationNotAllowed', message: QUOTA_MESSAGE } },
    });
    const e = await rejection(provider.ensureInstance(node));
    expect(e.code).toBe('OperationNotAllowed');
    expect(e.message).toBe(QUOTA_MESSAGE);
    expect(e.retryable).toBe(true);
    // One PUT: a 409 is not retried by the SDK, the workflow's backoff decides.
    expect(arm.calls.filter((c) => c.method === 'PUT' && c.path === vmPath)).toHaveLength(1);
  });

  it('an allocation failure reported by the long-running operation keeps Azure’s code and message', async () => {
    const status = `${arm.endpoint}/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/operations/op-1`;
    arm.on('PUT', /\/virtualMachines\/demo-workers-1$/, (call) => ({
      status: 201,
      headers: { 'azure-asyncoperation': `${status}?api-version=${call.apiVersion}`, 'retry-after': '0' },
      body: { ...call.body, id: vmPath, name: 'demo-workers-1', properties: { ...call.body.properties, provisioningState: 'Creating' } },
    }));
    const message = 'Allocation failed. We do not have sufficient capacity for the requested VM size in this zone.';
    arm.on('GET', /\/operations\/op-1$/, { status: 200, body: { status: 'Failed', error: { code: 'ZonalAllocationFailed', message } } });
    const e = await rejection(provider.ensureInstance(node));
    expect(e).toMatchObject({ code: 'ZonalAllocationFailed', message, retryable: true });
    expect(lc(arm.lines())).toEqual(lc([`GET ${vmPath}`, `PUT ${nicPath}`, `PUT ${vmPath}`, `GET /subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/operations/op-1`]));
  });

  it('a VM whose provisioning failed is deleted so the next attempt recreates it', async () => {
    arm.seed(vmPath, {
      tags: { 'strata:cluster': CLUSTER },
      properties: {
        provisioningState: 'Failed',
        instanceView: { statuses: [{ code: 'ProvisioningState/failed/OSProvisioningTimedOut', level: 'Error', message: 'OS Provisioning did not finish in the allotted time.' }] },
      },
    });
    const e = await rejection(provider.ensureInstance(node));
    expect(e.code).toBe('OSProvisioningTimedOut');
    expect(e.retryable).toBe(true);
    expect(lc(arm.lines())).toEqual(lc([`GET ${vmPath}`, `DELETE ${vmPath}`]));
    expect(arm.calls[1]!.query.forceDeletion).toBe('true');
  });

  it('refuses to adopt a VM of that name that belongs to another cluster', async () => {
    arm.seed(vmPath, { tags: { 'strata:cluster': 'cl-other' }, properties: { provisioningState: 'Succeeded' } });
    const e = await rejection(provider.ensureInstance(node));
    expect(e).toMatchObject({ code: 'NameConflict', retryable: false });
    expect(arm.lines(writes)).toEqual([]);
  });
});

describe('API load balancer', () => {
  const lbPath = `${NET}/loadBalancers/api`;
  const subnet = `${NET}/virtualNetworks/demo-vnet/subnets/nodes`;
  const pool = `${lbPath}/backendAddressPools/control-plane`;
  const cpVm = `${COMPUTE}/virtualMachines/demo-cp-0`;
  const cpNic = `${NET}/networkInterfaces/demo-cp-0-nic`;
  const cpConfig = `${cpNic}/ipConfigurations/ipconfig1`;
  const cpNode: InstanceSpec = {
    ...node,
    name: 'demo-cp-0',
    pool: 'cp',
    role: 'controlPlane',
    zone: '1',
    securityGroupId: `${NET}/networkSecurityGroups/demo-control-plane`,
    idempotencyToken: `${CLUSTER}-cp-0`,
  };
  const poolsOf = (nicBody: any) => nicBody.properties.ipConfigurations[0].properties.loadBalancerBackendAddressPools;

  it('internal by default: a Standard load balancer with its frontend in the nodes’ subnet, a TCP probe on 6443 and a rule 6443 → 6443', async () => {
    const refs = await provider.ensureInfrastructure(infra);
    const lb = arm.bodyOf('PUT', lbPath);
    expect(lb).toEqual({
      location: REGION,
      tags: { 'strata:cluster': CLUSTER, Name: 'api' },
      sku: { name: 'Standard', tier: 'Regional' },
      properties: {
        frontendIPConfigurations: [
          { name: 'api', zones: ['1', '2', '3'], properties: { subnet: { id: subnet, properties: {} }, privateIPAllocationMethod: 'Dynamic', privateIPAddressVersion: 'IPv4' } },
        ],
        backendAddressPools: [{ name: 'control-plane' }],
        probes: [{ name: 'api', properties: { protocol: 'Tcp', port: 6443, intervalInSeconds: 5, probeThreshold: 2 } }],
        loadBalancingRules: [
          {
            name: 'api',
            properties: {
              protocol: 'Tcp',
              frontendPort: 6443,
              backendPort: 6443,
              frontendIPConfiguration: { id: `${lbPath}/frontendIPConfigurations/api` },
              backendAddressPool: { id: pool },
              probe: { id: `${lbPath}/probes/api` },
              enableFloatingIP: false,
              enableTcpReset: true,
              idleTimeoutInMinutes: 4,
              loadDistribution: 'Default',
            },
          },
        ],
      },
    });
    expect(arm.lines().some((l) => l.includes('/publicIPAddresses/demo-api-ip'))).toBe(false);
    expect(refs).toMatchObject({ loadBalancerId: lbPath, apiEndpoint: `api.${CLUSTER}.strata.internal`, apiPort: 6443, apiHosts: { controlPlane: '127.0.0.1', worker: '10.0.0.250', join: '10.0.0.250' } });

    // Azure never lets a frontend's zones change: they span the region whatever zones the pools use.
    arm.calls.length = 0;
    const again = await provider.ensureInfrastructure(infraSpec({ zones: ['2'] }));
    expect(arm.bodyOf('PUT', lbPath).properties.frontendIPConfigurations[0].zones).toEqual(['1', '2', '3']);
    expect(again.apiHosts).toEqual(refs.apiHosts);
  });

  it('public: a static Standard public IP with the cluster’s DNS label; the endpoint is its FQDN; who may connect stays the NSG’s', async () => {
    const refs = await provider.ensureInfrastructure(infraSpec({ publicApi: true, apiAllowedCidrs: ['203.0.113.0/24'] }));
    const ip = `${NET}/publicIPAddresses/demo-api-ip`;
    expect(arm.bodyOf('PUT', ip)).toEqual({
      location: REGION,
      tags: { 'strata:cluster': CLUSTER, Name: 'demo-api-ip' },
      sku: { name: 'Standard', tier: 'Regional' },
      zones: ['1', '2', '3'],
      properties: { publicIPAllocationMethod: 'Static', publicIPAddressVersion: 'IPv4', dnsSettings: { domainNameLabel: `strata-${CLUSTER}` } },
    });
    const lb = arm.bodyOf('PUT', lbPath);
    expect(lb.properties.frontendIPConfigurations).toEqual([{ name: 'api', properties: { publicIPAddress: { id: ip } } }]);
    expect(lb.properties.loadBalancingRules[0].properties).toMatchObject({ frontendPort: 6443, backendPort: 6443, disableOutboundSnat: true });
    expect(refs).toMatchObject({
      loadBalancerId: lbPath,
      apiEndpoint: `strata-${CLUSTER}.westeurope.cloudapp.azure.com`,
      apiPort: 6443,
      // Workers resolve the public name; a joining control-plane node joins through the public address.
      apiHosts: { controlPlane: '127.0.0.1', join: arm.store.get(ip.toLowerCase())?.properties?.ipAddress },
    });
    expect(refs.apiHosts!.join).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    // The load balancer passes clients' addresses through: the control-plane NSG decides, and lets Azure's probes in.
    const rules = arm.bodyOf('PUT', `${NET}/networkSecurityGroups/demo-control-plane`).properties.securityRules as any[];
    const byName = (n: string) => rules.find((r) => r.name === n).properties;
    expect(byName('allow-api-from-allowed-cidrs')).toMatchObject({ access: 'Allow', destinationPortRange: '6443', sourceAddressPrefixes: ['203.0.113.0/24'] });
    expect(byName('allow-azure-load-balancer')).toMatchObject({ access: 'Allow', sourceAddressPrefix: 'AzureLoadBalancer' });
    expect(byName('allow-azure-load-balancer').priority).toBeLessThan(byName('deny-virtual-network').priority);
    // Workers reach the public frontend from the NAT gateway's address: that address, and only on 6443.
    const natAddress = arm.store.get(`${NET}/publicIPAddresses/demo-nat-ip`.toLowerCase()).properties.ipAddress;
    expect(byName('allow-api-from-cluster-egress')).toMatchObject({ access: 'Allow', protocol: 'Tcp', destinationPortRange: '6443', sourceAddressPrefixes: [natAddress] });
    expect(rules.some((r) => r.properties.access === 'Allow' && (r.properties.sourceAddressPrefix === 'Internet' || r.properties.sourceAddressPrefix === '*'))).toBe(false);
  });

  describe('targets', () => {
    let cpId: string;
    beforeEach(async () => {
      await provider.ensureInfrastructure(infra);
      cpId = (await provider.ensureInstance(cpNode)).instanceId;
      arm.calls.length = 0;
    });

    it('register puts the control-plane NIC’s ipConfiguration in the pool; a second call sends no PUT', async () => {
      expect(cpId).toBe(cpVm);
      await provider.registerApiTargets(CLUSTER, [cpId]);
      expect(lc(arm.lines())).toEqual(lc([`GET ${cpVm}`, `GET ${cpNic}`, `PUT ${cpNic}`]));
      const nic = arm.bodyOf('PUT', cpNic);
      expect(poolsOf(nic)).toEqual([{ id: pool }]);
      // The rest of the NIC is sent back as it was: its NSG, ASG and subnet stay.
      expect(nic.properties.networkSecurityGroup).toEqual({ id: cpNode.securityGroupId });
      expect(nic.properties.ipConfigurations[0].properties.applicationSecurityGroups).toEqual([{ id: `${NET}/applicationSecurityGroups/demo-control-plane` }]);
      expect(nic.properties.ipConfigurations[0].properties.subnet.id).toBe(cpNode.subnetId);

      arm.calls.length = 0;
      await provider.registerApiTargets(CLUSTER, [cpId]);
      expect(lc(arm.lines())).toEqual(lc([`GET ${cpVm}`, `GET ${cpNic}`]));
      const stored = arm.store.get(lbPath.toLowerCase()).properties.backendAddressPools[0].properties.backendIPConfigurations;
      expect(lc(stored.map((c: any) => c.id))).toEqual(lc([cpConfig]));
    });

    it('deregister takes it out of the pool, once; an instance that is gone is a no-op', async () => {
      await provider.registerApiTargets(CLUSTER, [cpId]);
      arm.calls.length = 0;
      await provider.deregisterApiTargets(CLUSTER, [cpId]);
      expect(lc(arm.lines(writes))).toEqual(lc([`PUT ${cpNic}`]));
      expect(poolsOf(arm.bodyOf('PUT', cpNic))).toEqual([]);
      expect(arm.store.get(lbPath.toLowerCase()).properties.backendAddressPools[0].properties.backendIPConfigurations).toEqual([]);

      arm.calls.length = 0;
      await provider.deregisterApiTargets(CLUSTER, [cpId, `${COMPUTE}/virtualMachines/demo-cp-9`]);
      expect(arm.lines(writes)).toEqual([]);
    });

    it('registering an instance that does not exist is a retryable CloudError; one of another cluster is refused', async () => {
      const e = await rejection(provider.registerApiTargets(CLUSTER, [`${COMPUTE}/virtualMachines/demo-cp-9`]));
      expect(e).toMatchObject({ code: 'InstanceNotFound', retryable: true });
      arm.store.get(cpVm.toLowerCase()).tags['strata:cluster'] = 'cl-other';
      expect(await rejection(provider.registerApiTargets(CLUSTER, [cpId]))).toMatchObject({ code: 'NameConflict', retryable: false });
      await provider.deregisterApiTargets(CLUSTER, [cpId]);
      expect(arm.lines(writes)).toEqual([]);
    });

    it('apiEndpointStatus: the load balancer’s state and each target’s health from the rule-health API', async () => {
      const health = `${lbPath}/loadBalancingRules/api/health`;
      // No target yet: no health to ask for.
      expect(await provider.apiEndpointStatus(CLUSTER)).toEqual({ endpoint: `api.${CLUSTER}.strata.internal`, port: 6443, state: 'active', targets: [] });
      expect(arm.lines().some((l) => l.startsWith('POST'))).toBe(false);

      await provider.registerApiTargets(CLUSTER, [cpId]);
      arm.calls.length = 0;
      expect((await provider.apiEndpointStatus(CLUSTER))!.targets).toEqual([{ instanceId: cpVm, health: 'initial', reason: 'not probed yet' }]);
      expect(lc(arm.lines())).toEqual(lc([`GET ${lbPath}`, `GET ${COMPUTE}/virtualMachines`, `POST ${health}`]));
      expect(arm.calls.at(-1)!.apiVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);

      arm.health.set(cpConfig.toLowerCase(), { state: 'Up', reason: 'Up_Probe_Success' });
      expect((await provider.apiEndpointStatus(CLUSTER))!.targets).toEqual([{ instanceId: cpVm, health: 'healthy', reason: 'Up_Probe_Success' }]);

      arm.health.set(cpConfig.toLowerCase(), { state: 'Down', reason: 'Down_Probe_TcpProbeTimeout' });
      expect((await provider.apiEndpointStatus(CLUSTER))!.targets).toEqual([{ instanceId: cpVm, health: 'unhealthy', reason: 'Down_Probe_TcpProbeTimeout' }]);
    });

    it('apiEndpointStatus follows the health operation Azure answers with 202 and a Location', async () => {
      await provider.registerApiTargets(CLUSTER, [cpId]);
      const result = `/subscriptions/${SUB}/providers/Microsoft.Network/locations/westeurope/operationResults/health-1`;
      arm.on('POST', /\/loadBalancingRules\/api\/health$/, { status: 202, headers: { location: `${arm.endpoint}${result}?api-version=2024-05-01`, 'retry-after': '0' } });
      arm.on('GET', new RegExp(`${result}$`), {
        status: 200,
        body: { up: 1, down: 0, loadBalancerBackendAddresses: [{ ipAddress: '10.0.0.4', networkInterfaceIPConfigurationId: cpConfig, state: 'Up', reason: 'Up_Probe_Success' }] },
      });
      arm.calls.length = 0;
      const status = await provider.apiEndpointStatus(CLUSTER);
      expect(status!.targets).toEqual([{ instanceId: cpVm, health: 'healthy', reason: 'Up_Probe_Success' }]);
      expect(arm.lines().at(-1)).toBe(`GET ${result}`);
    });

    it('never healthy without Azure saying so: a load balancer still updating, or a health call that fails, leaves targets initial', async () => {
      await provider.registerApiTargets(CLUSTER, [cpId]);
      arm.health.set(cpConfig.toLowerCase(), { state: 'Up', reason: 'Up_Probe_Success' });

      arm.on('POST', /\/health$/, { status: 429, body: { error: { code: 'TooManyRequests', message: 'slow down' } }, headers: { 'retry-after': '0' } });
      const throttled = await provider.apiEndpointStatus(CLUSTER);
      expect(throttled!.state).toBe('active');
      expect(throttled!.targets).toEqual([{ instanceId: cpVm, health: 'initial', reason: expect.stringContaining('rule health not available') }]);
      arm.reset();

      await provider.ensureInfrastructure(infra);
      await provider.ensureInstance(cpNode);
      await provider.registerApiTargets(CLUSTER, [cpId]);
      arm.store.get(lbPath.toLowerCase()).properties.provisioningState = 'Updating';
      arm.calls.length = 0;
      const updating = await provider.apiEndpointStatus(CLUSTER);
      expect(updating).toMatchObject({ state: 'provisioning', targets: [{ instanceId: cpVm, health: 'initial', reason: 'the load balancer is Updating' }] });
      expect(arm.lines().some((l) => l.startsWith('POST'))).toBe(false);

      arm.store.get(lbPath.toLowerCase()).properties.provisioningState = 'Failed';
      expect((await provider.apiEndpointStatus(CLUSTER))!.state).toBe('failed');
    });
  });

  it('apiEndpointStatus is undefined before there is a load balancer; a public one reports its FQDN', async () => {
    expect(await provider.apiEndpointStatus(CLUSTER)).toBeUndefined();
    await provider.ensureInfrastructure(infraSpec({ publicApi: true }));
    expect(await provider.apiEndpointStatus(CLUSTER)).toEqual({ endpoint: `strata-${CLUSTER}.westeurope.cloudapp.azure.com`, port: 6443, state: 'active', targets: [] });
  });
});

describe('egress', () => {
  it('publicIp: no NAT gateway, a subnet without one, and nodes told to take public IPs', async () => {
    const refs = await provider.ensureInfrastructure(infraSpec({ network: { nodeEgress: 'publicIp', natGateways: 'single' } }));
    expect(arm.lines().some((l) => /natGateways|demo-nat-ip/i.test(l))).toBe(false);
    expect(arm.bodyOf('PUT', `${NET}/virtualNetworks/demo-vnet`).properties.subnets).toEqual([
      { name: 'nodes', properties: { addressPrefix: '10.0.0.0/18', defaultOutboundAccess: false } },
    ]);
    expect(refs).toMatchObject({ natGatewayIds: [], nodePublicIp: true, networkManaged: true });
  });
});

describe('bring your own network', () => {
  const corp = `/subscriptions/${SUB}/resourceGroups/corp-network/providers/Microsoft.Network`;
  const vnet = `${corp}/virtualNetworks/corp-vnet`;
  const natSubnet = `${vnet}/subnets/k8s-a`;
  const routedSubnet = `${vnet}/subnets/k8s-b`;
  const closedSubnet = `${vnet}/subnets/isolated`;
  const table = `${corp}/routeTables/to-firewall`;
  const byo = (subnets: Record<string, string>, nodeEgress: 'natGateway' | 'publicIp' = 'natGateway') =>
    infraSpec({ zones: Object.keys(subnets), network: { nodeEgress, natGateways: 'single', existing: { networkId: vnet, subnets } } });
  const customerWrites = () => arm.lines((c) => c.method !== 'GET' && c.path.toLowerCase().includes('/resourcegroups/corp-network'));

  beforeEach(() => {
    arm.seed(`/subscriptions/${SUB}/resourceGroups/corp-network`, { location: REGION, properties: { provisioningState: 'Succeeded' } });
    arm.seed(vnet, { type: 'Microsoft.Network/virtualNetworks', location: REGION, properties: { addressSpace: { addressPrefixes: ['172.16.0.0/16'] } } });
    arm.seed(natSubnet, { properties: { addressPrefix: '172.16.0.0/20', natGateway: { id: `${corp}/natGateways/corp-nat` } } });
    arm.seed(routedSubnet, { properties: { addressPrefix: '172.16.16.0/20', routeTable: { id: table } } });
    arm.seed(closedSubnet, { properties: { addressPrefix: '172.16.32.0/20' } });
    arm.seed(table, { properties: { routes: [{ name: 'default', properties: { addressPrefix: '0.0.0.0/0', nextHopType: 'VirtualAppliance', nextHopIpAddress: '172.16.255.4' } }] } });
  });

  it('checks the subnets, makes no network, subnet or NAT gateway, and puts the internal frontend in a customer subnet', async () => {
    const refs = await provider.ensureInfrastructure(byo({ '1': natSubnet, '2': routedSubnet }));
    expect(lc(arm.lines((c) => c.method === 'GET')).slice(0, 3)).toEqual(lc([`GET ${natSubnet}`, `GET ${routedSubnet}`, `GET ${table}`]));
    expect(arm.lines(writes).some((l) => /virtualNetworks|subnets|natGateways|nat-ip/i.test(l))).toBe(false);
    expect(customerWrites()).toEqual([]);
    expect(arm.bodyOf('PUT', `${NET}/loadBalancers/api`).properties.frontendIPConfigurations[0].properties.subnet.id).toBe(natSubnet);
    expect(refs).toMatchObject({
      networkId: vnet,
      subnets: { '1': natSubnet, '2': routedSubnet },
      networkManaged: false,
      natGatewayIds: [],
      nodePublicIp: false,
    });
    // Nothing of the customer's was written, so nothing of theirs carries the cluster's tag.
    for (const [id, r] of arm.store) if (id.includes('/resourcegroups/corp-network')) expect(r.tags?.['strata:cluster'], id).toBeUndefined();
  });

  it('azure.json names the customer’s network in its own group, and the subnet’s route table when it has one', async () => {
    const refs = await provider.ensureInfrastructure(byo({ '1': natSubnet, '2': routedSubnet }));
    expect(refs.cloudProviderConfig).toMatchObject({
      resourceGroup: RG,
      vnetName: 'corp-vnet',
      vnetResourceGroup: 'corp-network',
      subnetName: 'k8s-a',
      securityGroupName: 'demo-workers',
      securityGroupResourceGroup: RG,
    });
    expect(refs.cloudProviderConfig).not.toHaveProperty('routeTableName');

    const routed = await provider.ensureInfrastructure(byo({ '1': routedSubnet, '2': natSubnet }));
    expect(routed.cloudProviderConfig).toMatchObject({
      vnetResourceGroup: 'corp-network',
      subnetName: 'k8s-b',
      routeTableName: 'to-firewall',
      routeTableResourceGroup: 'corp-network',
    });
  });

  it('the NSG goes on each NIC, never on the customer’s subnet', async () => {
    const refs = await provider.ensureInfrastructure(byo({ '1': natSubnet }));
    arm.calls.length = 0;
    await provider.ensureInstance({ ...node, zone: '1', subnetId: refs.subnets['1']!, securityGroupId: refs.workerSecurityGroupId });
    const nic = arm.bodyOf('PUT', `${NET}/networkInterfaces/demo-workers-1-nic`);
    expect(nic.properties.networkSecurityGroup).toEqual({ id: refs.workerSecurityGroupId });
    expect(nic.properties.ipConfigurations[0].properties.subnet.id).toBe(natSubnet);
    expect(customerWrites()).toEqual([]);
  });

  it('a subnet with no way out is SubnetHasNoRouteOut, naming it, before anything is made', async () => {
    const e = await rejection(provider.ensureInfrastructure(byo({ '1': natSubnet, '2': closedSubnet })));
    expect(e).toMatchObject({ code: 'SubnetHasNoRouteOut', retryable: false });
    expect(e.message).toContain(closedSubnet);
    expect(arm.lines(writes)).toEqual([]);
  });

  it('a default route that drops traffic is no way out either', async () => {
    arm.seed(table, { properties: { routes: [{ name: 'blackhole', properties: { addressPrefix: '0.0.0.0/0', nextHopType: 'None' } }] } });
    const e = await rejection(provider.ensureInfrastructure(byo({ '1': routedSubnet })));
    expect(e).toMatchObject({ code: 'SubnetHasNoRouteOut', retryable: false });
  });

  it('nodes with public IPs need no route of the subnet’s own', async () => {
    const refs = await provider.ensureInfrastructure(byo({ '1': closedSubnet }, 'publicIp'));
    expect(refs).toMatchObject({ networkManaged: false, nodePublicIp: true, natGatewayIds: [] });
  });

  it('a subnet that does not exist, or is not in the named network, is a not-retryable error naming it', async () => {
    const missing = `${vnet}/subnets/gone`;
    const e = await rejection(provider.ensureInfrastructure(byo({ '1': missing })));
    expect(e).toMatchObject({ code: 'SubnetNotFound', retryable: false });
    expect(e.message).toContain(missing);

    const elsewhere = `${corp}/virtualNetworks/other-vnet/subnets/k8s`;
    const e2 = await rejection(provider.ensureInfrastructure(byo({ '1': elsewhere })));
    expect(e2).toMatchObject({ code: 'InvalidParameter', retryable: false });
    expect(e2.message).toContain(elsewhere);
    expect(arm.lines(writes)).toEqual([]);
  });

  it('in a shared group holding the customer’s network too, deletion leaves every resource of theirs', async () => {
    const group = `/subscriptions/${SUB}/resourceGroups/platform`;
    const theirs = `${group}/providers/Microsoft.Network/virtualNetworks/corp`;
    arm.seed(group, { location: REGION, properties: { provisioningState: 'Succeeded' } });
    arm.seed(theirs, { type: 'Microsoft.Network/virtualNetworks', tags: { owner: 'netops' }, properties: {} });
    arm.seed(`${theirs}/subnets/k8s`, { properties: { natGateway: { id: `${group}/providers/Microsoft.Network/natGateways/corp-nat` } } });
    const shared = newProvider({ resourceGroup: 'platform' });
    const refs = await shared.ensureInfrastructure(infraSpec({ zones: ['1'], network: { nodeEgress: 'natGateway', natGateways: 'single', existing: { networkId: theirs, subnets: { '1': `${theirs}/subnets/k8s` } } } }));
    await shared.ensureInstance({ ...node, zone: '1', subnetId: refs.subnets['1']!, securityGroupId: refs.workerSecurityGroupId });
    arm.calls.length = 0;
    for (let pass = 0; pass < 10 && (await shared.deleteClusterResources(CLUSTER)).remaining > 0; pass++);
    expect(await shared.deleteClusterResources(CLUSTER)).toEqual({ remaining: 0, details: [] });
    expect(arm.lines((c) => c.method === 'DELETE' && c.path.toLowerCase().startsWith(theirs.toLowerCase()))).toEqual([]);
    expect(arm.store.has(theirs.toLowerCase())).toBe(true);
    expect(arm.store.has(`${theirs}/subnets/k8s`.toLowerCase())).toBe(true);
  });
});

describe('node identities', () => {
  it('two user-assigned identities, each given its roles at the cluster’s group under names derived from the grant', async () => {
    const refs = await provider.ensureInfrastructure(infraSpec({ nodeIdentity: { permissions: nodePermissions('azure', ['azure-disk-csi']) } }));
    for (const name of ['demo-control-plane', 'demo-workers']) {
      expect(arm.bodyOf('PUT', `${IDENTITIES}/${name}`)).toEqual({ location: REGION, tags: { 'strata:cluster': CLUSTER, Name: name } });
    }
    const principal = (name: string) => arm.store.get(`${IDENTITIES}/${name}`.toLowerCase()).properties.principalId as string;
    const cp = principal('demo-control-plane');
    const workers = principal('demo-workers');
    const assignments = arm.calls.filter((c) => c.method === 'PUT' && c.path.includes('/roleAssignments/'));
    expect(lc(assignments.map((c) => c.path)).sort()).toEqual(
      lc([roleAssignment(NETWORK_CONTRIBUTOR, cp), roleAssignment(VM_CONTRIBUTOR, cp), roleAssignment(VM_CONTRIBUTOR, workers)]).sort(),
    );
    for (const c of assignments) {
      expect(c.apiVersion).toBe('2022-04-01');
      expect(c.path.split('/').at(-1)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(arm.bodyOf('PUT', roleAssignment(NETWORK_CONTRIBUTOR, cp))).toEqual({
      properties: { roleDefinitionId: NETWORK_CONTRIBUTOR, principalId: cp, principalType: 'ServicePrincipal' },
    });
    expect(refs.nodeIdentity).toEqual({ controlPlane: `${IDENTITIES}/demo-control-plane`, worker: `${IDENTITIES}/demo-workers` });

    // A retry lands on the same assignments: the same names, no new ones.
    const before = [...arm.store.keys()].filter((k) => k.includes('/roleassignments/')).sort();
    await provider.ensureInfrastructure(infraSpec({ nodeIdentity: { permissions: nodePermissions('azure', ['azure-disk-csi']) } }));
    expect([...arm.store.keys()].filter((k) => k.includes('/roleassignments/')).sort()).toEqual(before);
  });

  it('the same grant made by hand under another name (RoleAssignmentExists) is what was asked for', async () => {
    arm.on('PUT', /\/roleAssignments\//, { status: 409, body: { error: { code: 'RoleAssignmentExists', message: 'The role assignment already exists.' } } });
    const refs = await provider.ensureInfrastructure(infra);
    expect(refs.nodeIdentity.controlPlane).toBe(`${IDENTITIES}/demo-control-plane`);
  });

  it('a new identity the directory does not know yet (PrincipalNotFound) is worth a retry', async () => {
    arm.on('PUT', /\/roleAssignments\//, { status: 400, body: { error: { code: 'PrincipalNotFound', message: 'Principal 1f2e does not exist in the directory.' } } });
    expect(await rejection(provider.ensureInfrastructure(infra))).toMatchObject({ code: 'PrincipalNotFound', retryable: true });
  });

  it('identities the cloud account names are used as they are: none made, no role granted; the control plane’s is read for its client id', async () => {
    const mine = {
      controlPlane: `/subscriptions/${SUB}/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/k8s-cp`,
      worker: `/subscriptions/${SUB}/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/k8s-nodes`,
    };
    arm.seed(mine.controlPlane, {
      location: REGION,
      properties: { clientId: '7d1c0a8e-5b2f-4c3d-9e8f-0a1b2c3d4e5f', principalId: '1f2e3d4c-0000-4000-8000-000000000001', tenantId: '00000000-0000-0000-0000-0000000000tt' },
    });
    const refs = await newProvider({ tenantId: '11111111-2222-3333-4444-555555555555' }).ensureInfrastructure(
      infraSpec({ nodeIdentity: { existing: mine, permissions: nodePermissions('azure', []) } }),
    );
    expect(arm.lines(writes).some((l) => /userAssignedIdentities|roleAssignments/i.test(l))).toBe(false);
    expect(lc(arm.lines((c) => /userAssignedIdentities/i.test(c.path)))).toEqual(lc([`GET ${mine.controlPlane}`]));
    expect(refs.nodeIdentity).toEqual(mine);
    expect(refs.cloudProviderConfig).toMatchObject({
      tenantId: '11111111-2222-3333-4444-555555555555',
      resourceGroup: RG,
      useManagedIdentityExtension: true,
      userAssignedIdentityID: '7d1c0a8e-5b2f-4c3d-9e8f-0a1b2c3d4e5f',
    });
  });

  it('an identity the account names may be in another subscription; one that does not exist is a not-retryable error naming it', async () => {
    const other = '00000000-0000-0000-0000-0000000000bb';
    const mine = {
      controlPlane: `/subscriptions/${other}/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/k8s-cp`,
      worker: `/subscriptions/${other}/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/k8s-nodes`,
    };
    const spec = infraSpec({ nodeIdentity: { existing: mine, permissions: nodePermissions('azure', []) } });
    const e = await rejection(provider.ensureInfrastructure(spec));
    expect(e).toMatchObject({ code: 'IdentityNotFound', retryable: false });
    expect(e.message).toContain(mine.controlPlane);

    arm.seed(mine.controlPlane, { location: REGION, properties: { clientId: 'c0ffee00-0000-4000-8000-000000000000', tenantId: 'tenant-of-identity' } });
    const refs = await provider.ensureInfrastructure(spec);
    expect(refs.cloudProviderConfig).toMatchObject({ tenantId: 'tenant-of-identity', subscriptionId: SUB, userAssignedIdentityID: 'c0ffee00-0000-4000-8000-000000000000' });
  });

  it('an unknown role name is a programming error, not a cloud error', async () => {
    const permissions = { ...nodePermissions('azure', []), worker: { aws: [], azureRoles: ['Kubernetes Wizard'] } };
    const e = await provider.ensureInfrastructure(infraSpec({ nodeIdentity: { permissions } })).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(CloudError);
    expect((e as Error).message).toContain('Kubernetes Wizard');
  });

  it('a VM launches with its role’s identity, and with none when it is not given one', async () => {
    const refs = await provider.ensureInfrastructure(infra);
    await provider.ensureInstance({ ...node, identity: refs.nodeIdentity.worker });
    expect(arm.bodyOf('PUT', `${COMPUTE}/virtualMachines/demo-workers-1`).identity).toEqual({
      type: 'UserAssigned',
      userAssignedIdentities: { [`${IDENTITIES}/demo-workers`]: {} },
    });
    await provider.ensureInstance({ ...node, name: 'demo-workers-2' });
    expect(arm.bodyOf('PUT', `${COMPUTE}/virtualMachines/demo-workers-2`).identity).toBeUndefined();
  });
});

describe('listInstances', () => {
  it('lists the tagged VMs of the cluster group with their private IPs and states', async () => {
    await provider.ensureInfrastructure(infra);
    await provider.ensureInstance(node);
    await provider.ensureInstance({ ...node, name: 'demo-workers-2', zone: '3' });
    const second = arm.store.get(`${COMPUTE}/virtualMachines/demo-workers-2`.toLowerCase()).properties;
    second.provisioningState = 'Creating';
    // A VM made from `latest` (by hand, say) tells the version Azure chose.
    second.storageProfile.imageReference = { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest', exactVersion: '24.04.202502100' };
    second.timeCreated = '2025-02-11T08:30:00.1234567+00:00';
    arm.seed(`${COMPUTE}/virtualMachines/not-strata`, { tags: {}, properties: { provisioningState: 'Succeeded' } });
    arm.calls.length = 0;

    const list = await provider.listInstances(CLUSTER);
    expect(lc(arm.lines())).toEqual(lc([`GET ${COMPUTE}/virtualMachines`, `GET ${NET}/networkInterfaces`]));
    expect(list).toEqual([
      expect.objectContaining({ name: 'demo-workers-1', zone: '2', state: 'running', privateIp: '10.0.0.4', pool: 'workers', role: 'worker' }),
      expect.objectContaining({
        name: 'demo-workers-2',
        zone: '3',
        state: 'pending',
        privateIp: '10.0.0.5',
        imageId: 'Canonical:ubuntu-24_04-lts:server:24.04.202502100',
        launchedAt: '2025-02-11T08:30:00.123Z',
      }),
    ]);
  });

  it('no resource group means no instances', async () => {
    expect(await provider.listInstances(CLUSTER)).toEqual([]);
    expect(lc(arm.lines())).toEqual(lc([`GET ${COMPUTE}/virtualMachines`]));
  });

  it('maps power and provisioning states', () => {
    expect(instanceState({ provisioningState: 'Succeeded', instanceView: { statuses: [{ code: 'PowerState/deallocated' }] } })).toBe('stopped');
    expect(instanceState({ provisioningState: 'Updating', instanceView: { statuses: [{ code: 'PowerState/stopping' }] } })).toBe('stopping');
    expect(instanceState({ provisioningState: 'Creating' })).toBe('pending');
    expect(instanceState({ provisioningState: 'Succeeded' })).toBe('running');
    expect(instanceState({ provisioningState: 'Deleting' })).toBe('shutting-down');
    expect(instanceState({ provisioningState: 'Failed' })).toBe('stopped');
  });
});

describe('terminateInstance', () => {
  const vmPath = `${COMPUTE}/virtualMachines/demo-workers-1`;
  const nicPath = `${NET}/networkInterfaces/demo-workers-1-nic`;
  const diskPath = `${COMPUTE}/disks/demo-workers-1-osdisk`;
  let id: string;

  beforeEach(async () => {
    await provider.ensureInfrastructure(infra);
    id = (await provider.ensureInstance(node)).instanceId;
    arm.store.get(vmPath.toLowerCase()).properties.timeCreated = '2025-01-15T10:00:00Z';
    arm.calls.length = 0;
  });

  it('starts deleting the VM and reports it shutting-down until it is gone; then removes what it left and answers undefined', async () => {
    // Azure accepts the deletion and works on it for a while.
    arm.on(
      'DELETE',
      new RegExp(`${vmPath}$`),
      (_call, a) => {
        a.store.get(vmPath.toLowerCase()).properties.provisioningState = 'Deleting';
        return { status: 202, headers: { location: `${a.endpoint}/operationresults/delete-vm`, 'retry-after': '15' } };
      },
      1,
    );
    const first = await provider.terminateInstance(CLUSTER, id);
    expect(first).toEqual({
      instanceId: vmPath,
      name: 'demo-workers-1',
      pool: 'workers',
      role: 'worker',
      zone: '2',
      instanceType: 'Standard_D4s_v5',
      state: 'shutting-down',
      imageId: node.imageId,
      launchedAt: '2025-01-15T10:00:00.000Z',
    });
    expect(lc(arm.lines(writes))).toEqual(lc([`DELETE ${vmPath}`]));
    expect(arm.calls.find((c) => c.method === 'DELETE')!.query.forceDeletion).toBeUndefined();

    // Still deleting: nothing is sent again.
    arm.calls.length = 0;
    expect(await provider.terminateInstance(CLUSTER, id)).toMatchObject({ instanceId: vmPath, state: 'shutting-down' });
    expect(arm.lines(writes)).toEqual([]);

    // The VM is gone, but its NIC and OS disk were left (deleteOption Delete normally takes them).
    arm.store.delete(vmPath.toLowerCase());
    arm.seed(diskPath, { type: 'Microsoft.Compute/disks', location: REGION, properties: { provisioningState: 'Succeeded' } });
    arm.calls.length = 0;
    expect(await provider.terminateInstance(CLUSTER, id)).toBeUndefined();
    expect(lc(arm.lines(writes))).toEqual(lc([`DELETE ${nicPath}`, `DELETE ${diskPath}`]));
    expect(arm.store.has(nicPath.toLowerCase())).toBe(false);

    arm.calls.length = 0;
    expect(await provider.terminateInstance(CLUSTER, id)).toBeUndefined();
    expect(arm.lines(writes)).toEqual([]);
  });

  it("refuses a VM of another cluster, or an id in another cluster's group, and touches nothing", async () => {
    arm.seed(`${COMPUTE}/virtualMachines/stranger`, { tags: { 'strata:cluster': 'cl-other' }, properties: { provisioningState: 'Succeeded' } });
    expect(await rejection(provider.terminateInstance(CLUSTER, `${COMPUTE}/virtualMachines/stranger`))).toMatchObject({ code: 'InstanceNotOwned', retryable: false });
    // Same VM name, but the id names another group: never this cluster's demo-workers-1.
    const elsewhere = `/subscriptions/${SUB}/resourceGroups/strata-cl-other/providers/Microsoft.Compute/virtualMachines/demo-workers-1`;
    expect(await rejection(provider.terminateInstance(CLUSTER, elsewhere))).toMatchObject({ code: 'InstanceNotOwned', retryable: false });
    expect(arm.lines(writes)).toEqual([]);
    expect(arm.store.has(vmPath.toLowerCase())).toBe(true);
  });

  it("in a shared group, leaves an untagged disk or another cluster's NIC of the same name", async () => {
    const group = `/subscriptions/${SUB}/resourceGroups/platform`;
    arm.seed(group, { location: REGION, properties: { provisioningState: 'Succeeded' } });
    arm.seed(`${group}/providers/Microsoft.Network/networkInterfaces/demo-workers-1-nic`, { tags: { 'strata:cluster': 'cl-other' }, properties: {} });
    arm.seed(`${group}/providers/Microsoft.Compute/disks/demo-workers-1-osdisk`, { properties: {} });
    arm.calls.length = 0;
    const shared = newProvider({ resourceGroup: 'platform' });
    expect(await shared.terminateInstance(CLUSTER, `${group}/providers/Microsoft.Compute/virtualMachines/demo-workers-1`)).toBeUndefined();
    expect(arm.lines(writes)).toEqual([]);
  });
});

describe('deleteClusterResources', () => {
  const rgPath = `/subscriptions/${SUB}/resourcegroups/${RG}`;

  it('deletes the whole resource group, then reports it until it is gone', async () => {
    await provider.ensureInfrastructure(infra);
    arm.calls.length = 0;

    const first = await provider.deleteClusterResources(CLUSTER);
    expect(first).toEqual({ remaining: 1, details: [`resource group ${RG}: deletion started`] });
    // The SDK's poller looks at the operation once and is then left: the next pass checks the group.
    expect(lc(arm.lines())).toEqual(lc([`GET ${rgPath}`, `DELETE ${rgPath}`, `GET /operationresults/delete-${RG}`]));
    const deletes = arm.calls.filter((c) => c.method === 'DELETE');
    expect(lc(deletes.map((c) => c.path))).toEqual(lc([rgPath]));
    expect(deletes[0]!.query.forceDeletionTypes).toBe('Microsoft.Compute/virtualMachines,Microsoft.Compute/virtualMachineScaleSets');

    arm.calls.length = 0;
    const second = await provider.deleteClusterResources(CLUSTER);
    expect(second).toEqual({ remaining: 1, details: [`resource group ${RG}: deleting`] });
    expect(lc(arm.lines())).toEqual(lc([`GET ${rgPath}`]));

    arm.store.delete(rgPath.toLowerCase());
    expect(await provider.deleteClusterResources(CLUSTER)).toEqual({ remaining: 0, details: [] });
  });

  it('leaves alone a group of that name that Strata did not tag for the cluster', async () => {
    arm.seed(`/subscriptions/${SUB}/resourceGroups/${RG}`, { location: REGION, tags: { owner: 'someone' }, properties: { provisioningState: 'Succeeded' } });
    const e = await rejection(provider.deleteClusterResources(CLUSTER));
    expect(e).toMatchObject({ code: 'ResourceGroupNotOwned', retryable: false });
    expect(arm.lines(writes)).toEqual([]);
  });

  it('in a shared group: deletes the cluster’s tagged resources a tier per pass', async () => {
    const group = `/subscriptions/${SUB}/resourceGroups/platform`;
    arm.seed(group, { location: REGION, properties: { provisioningState: 'Succeeded' } });
    const shared = newProvider({ resourceGroup: 'platform' });
    await shared.ensureInfrastructure(infra);
    await shared.ensureInstance({ ...node, subnetId: `${group}/providers/Microsoft.Network/virtualNetworks/strata-${CLUSTER}-vnet/subnets/nodes`, securityGroupId: `${group}/providers/Microsoft.Network/networkSecurityGroups/strata-${CLUSTER}-workers` });
    arm.seed(`${group}/providers/Microsoft.Network/virtualNetworks/other-cluster-vnet`, { type: 'Microsoft.Network/virtualNetworks', tags: { 'strata:cluster': 'cl-other' } });
    arm.calls.length = 0;

    const pass1 = await shared.deleteClusterResources(CLUSTER);
    expect(pass1.remaining).toBe(12);
    expect(lc(arm.lines(writes))).toEqual(lc([`DELETE ${group}/providers/Microsoft.Compute/virtualMachines/demo-workers-1`]));
    const list = arm.calls[0]!;
    expect(list.path).toBe(`${group}/resources`);
    expect(list.query.$filter).toBe(`tagName eq 'strata:cluster' and tagValue eq '${CLUSTER}'`);

    arm.calls.length = 0;
    await shared.deleteClusterResources(CLUSTER);
    expect(lc(arm.lines(writes))).toEqual(lc([`DELETE ${group}/providers/Microsoft.Network/networkInterfaces/demo-workers-1-nic`]));

    // The load balancer and the identities, each identity's role assignments first (they carry no tag).
    const assignments = [...arm.store.keys()].filter((k) => k.includes('/microsoft.authorization/roleassignments/'));
    expect(assignments).toHaveLength(2);
    arm.calls.length = 0;
    await shared.deleteClusterResources(CLUSTER);
    const pass3 = lc(arm.lines(writes));
    expect(pass3.filter((l) => !l.includes('/roleassignments/')).sort()).toEqual(
      lc([
        `DELETE ${group}/providers/Microsoft.Network/loadBalancers/strata-${CLUSTER}-api`,
        `DELETE ${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/strata-${CLUSTER}-control-plane`,
        `DELETE ${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/strata-${CLUSTER}-workers`,
      ]).sort(),
    );
    for (const a of assignments) expect(pass3).toContain(`delete ${a}`);
    const identityDelete = pass3.indexOf(`delete ${group}/providers/microsoft.managedidentity/userassignedidentities/strata-${CLUSTER}-control-plane`.toLowerCase());
    expect(Math.max(...assignments.map((a) => pass3.indexOf(`delete ${a}`)))).toBeLessThan(identityDelete);
    expect([...arm.store.keys()].some((k) => k.includes('/roleassignments/'))).toBe(false);

    arm.calls.length = 0;
    await shared.deleteClusterResources(CLUSTER);
    expect(lc(arm.lines(writes)).sort()).toEqual(
      lc([
        `DELETE ${group}/providers/Microsoft.Network/virtualNetworks/strata-${CLUSTER}-vnet`,
        `DELETE ${group}/providers/Microsoft.Network/networkSecurityGroups/strata-${CLUSTER}-control-plane`,
        `DELETE ${group}/providers/Microsoft.Network/networkSecurityGroups/strata-${CLUSTER}-workers`,
        `DELETE ${group}/providers/Microsoft.Network/applicationSecurityGroups/strata-${CLUSTER}-control-plane`,
        `DELETE ${group}/providers/Microsoft.Network/applicationSecurityGroups/strata-${CLUSTER}-workers`,
      ]).sort(),
    );
    await shared.deleteClusterResources(CLUSTER); // NAT gateway
    await shared.deleteClusterResources(CLUSTER); // its public IP
    expect(await shared.deleteClusterResources(CLUSTER)).toEqual({ remaining: 0, details: [] });
    expect(arm.store.has(`${group}/providers/Microsoft.Network/virtualNetworks/other-cluster-vnet`.toLowerCase())).toBe(true);
    expect(arm.store.has(group.toLowerCase())).toBe(true);
  });

  it('in a shared group: a public API’s load balancer goes before its public IP', async () => {
    const group = `/subscriptions/${SUB}/resourceGroups/platform`;
    arm.seed(group, { location: REGION, properties: { provisioningState: 'Succeeded' } });
    const shared = newProvider({ resourceGroup: 'platform' });
    await shared.ensureInfrastructure(infraSpec({ publicApi: true, network: { nodeEgress: 'publicIp', natGateways: 'single' } }));
    const order: string[] = [];
    for (let pass = 0; pass < 10; pass++) {
      arm.calls.length = 0;
      const { remaining } = await shared.deleteClusterResources(CLUSTER);
      order.push(...lc(arm.lines((c) => c.method === 'DELETE')).map((l) => l.split('/').at(-1)!));
      if (remaining === 0) break;
    }
    expect(order.indexOf(`strata-${CLUSTER}-api`)).toBeLessThan(order.indexOf(`strata-${CLUSTER}-api-ip`));
    expect(await shared.deleteClusterResources(CLUSTER)).toEqual({ remaining: 0, details: [] });
  });
});

describe('diskTypeFor', () => {
  it('Premium SSD only on sizes with premium storage', () => {
    expect(diskTypeFor('Standard_D4s_v5')).toBe('Premium_LRS');
    expect(diskTypeFor('Standard_E8ads_v5')).toBe('Premium_LRS');
    expect(diskTypeFor('Standard_DS2_v2')).toBe('Premium_LRS');
    expect(diskTypeFor('Standard_B2s')).toBe('Premium_LRS');
    expect(diskTypeFor('Standard_D4_v5')).toBe('StandardSSD_LRS');
    expect(diskTypeFor('Standard_A2_v2')).toBe('StandardSSD_LRS');
  });
});
