import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureProvider } from '../../../../adapters/cloud/azure/azure-provider.js';
import { archOfVmSize, builderName, galleryName, imageVersionName, packOfImageName } from '../../../../adapters/cloud/azure/images.js';
import { CloudError, type BuilderSpec, type CopyImageSpec, type CreateImageSpec } from '../../../../core/cloud.js';
import { bakedImageName } from '../../../../core/images.js';
import { FakeArm, fakeCredential, plainHttpTransport, type ArmCall } from './fake-arm.js';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const REGION = 'westeurope';
const OTHER_REGION = 'northeurope';
const GROUP = `/subscriptions/${SUB}/resourceGroups/strata-images`;
const COMPUTE = `${GROUP}/providers/Microsoft.Compute`;
const NETWORK = `${GROUP}/providers/Microsoft.Network`;

const SIGNATURE = createHash('sha256').update('ubuntu-k8s 1.31.2 roles').digest('hex');
const BAKE = 'img-0123456789abcdef01234567-a1';
const VM_NAME = `strata-builder-${BAKE}`;
const VM = `${COMPUTE}/virtualMachines/${VM_NAME}`;
const NIC = `${NETWORK}/networkInterfaces/${VM_NAME}-nic`;
const DISK = `${COMPUTE}/disks/${VM_NAME}-osdisk`;
const GALLERY = `${COMPUTE}/galleries/strata_images_westeurope`;
const DEFINITION = `${GALLERY}/images/ubuntu-k8s-amd64`;
const VERSION = `${DEFINITION}/versions/${imageVersionName(SIGNATURE)}`;
const RESOURCES = `${GROUP}/resources`;

/** A subnet and NSG of the network the workflow gives builders (anywhere in the subscription). */
const SUBNET = `/subscriptions/${SUB}/resourceGroups/strata-cl-1/providers/Microsoft.Network/virtualNetworks/demo-vnet/subnets/nodes`;
const NSG = `/subscriptions/${SUB}/resourceGroups/strata-cl-1/providers/Microsoft.Network/networkSecurityGroups/demo-workers`;

const builder: BuilderSpec = {
  bakeId: BAKE,
  baseImageId: 'Canonical:ubuntu-24_04-lts:server:24.04.202501150',
  instanceType: 'Standard_D2s_v5',
  subnetId: SUBNET,
  securityGroupId: NSG,
  diskGiB: 30,
  userData: '#cloud-config\nwrite_files:\n  - path: /etc/strata/bake.env\n    content: STRATA_BAKE_ID=img-0123456789abcdef01234567-a1\n',
  idempotencyToken: BAKE,
  publicIp: false,
};

const imageSpec: CreateImageSpec = {
  bakeId: BAKE,
  name: bakedImageName('ubuntu-k8s', SIGNATURE),
  signature: SIGNATURE,
  description: 'ubuntu-k8s 1.2.0 with Kubernetes 1.31.2',
  tags: { 'strata:pack': 'ubuntu-k8s@1.2.0', 'strata:kubernetes': '1.31.2' },
};

const copySpec: CopyImageSpec = {
  sourceRegion: REGION,
  sourceImageId: VERSION,
  name: imageSpec.name,
  signature: SIGNATURE,
  description: imageSpec.description,
  idempotencyToken: `${BAKE}-copy`,
};

let arm: FakeArm;
let provider: AzureProvider;

function newProvider(extra: { region?: string; resourceGroup?: string; imageResourceGroup?: string } = {}) {
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
const fresh = () => {
  arm.calls.length = 0;
};

async function rejection(p: Promise<unknown>): Promise<CloudError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CloudError);
  return e as CloudError;
}

/** The builder launched, deallocated and captured: the version exists, replicating to the region. */
async function captured(): Promise<void> {
  await provider.launchBuilder(builder);
  await provider.stopBuilder(BAKE);
  await provider.createImage(imageSpec);
  fresh();
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

describe('baking an image on Azure', () => {
  it('builder, deallocation, capture into the gallery, copy to a second region, clean-up', async () => {
    // The builder: its group made on first use, a NIC in the given subnet, the VM from the base image.
    const launched = await provider.launchBuilder(builder);
    expect(lc(arm.lines())).toEqual(lc([`GET ${VM}`, `GET ${GROUP}`, `PUT ${GROUP}`, `PUT ${NIC}`, `PUT ${VM}`]));
    expect(arm.bodyOf('PUT', GROUP)).toMatchObject({ location: REGION });
    expect(arm.bodyOf('PUT', NIC)).toEqual({
      location: REGION,
      tags: { 'strata:bake': BAKE, Name: `${VM_NAME}-nic` },
      properties: {
        networkSecurityGroup: { id: NSG },
        ipConfigurations: [
          {
            name: 'ipconfig1',
            properties: { primary: true, privateIPAllocationMethod: 'Dynamic', privateIPAddressVersion: 'IPv4', subnet: { id: SUBNET, properties: {} } },
          },
        ],
      },
    });
    const vm = arm.bodyOf('PUT', VM);
    expect(vm.tags).toEqual({ 'strata:bake': BAKE, Name: VM_NAME });
    expect(vm.tags['strata:cluster']).toBeUndefined();
    expect(vm.zones).toBeUndefined();
    expect(vm.identity).toBeUndefined();
    expect(vm.properties.hardwareProfile).toEqual({ vmSize: 'Standard_D2s_v5' });
    expect(vm.properties.storageProfile).toEqual({
      imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: '24.04.202501150' },
      osDisk: { name: `${VM_NAME}-osdisk`, createOption: 'FromImage', caching: 'ReadWrite', diskSizeGB: 30, managedDisk: { storageAccountType: 'Premium_LRS' }, deleteOption: 'Delete' },
    });
    expect(Buffer.from(vm.properties.osProfile.customData, 'base64').toString('utf8')).toBe(builder.userData);
    expect(vm.properties.networkProfile).toEqual({ networkInterfaces: [{ id: NIC, properties: { primary: true, deleteOption: 'Delete' } }] });
    expect(launched).toEqual({ instanceId: VM, state: 'running' });

    // Launching again finds it by name: same VM, nothing written.
    fresh();
    expect(await provider.launchBuilder(builder)).toEqual(launched);
    expect(lc(arm.lines())).toEqual(lc([`GET ${VM}`]));

    // A running builder is no image yet.
    fresh();
    const running = await rejection(provider.createImage(imageSpec));
    expect(running).toMatchObject({ code: 'BuilderNotDeallocated', retryable: true });
    expect(running.message).toContain('deallocated');
    expect(arm.lines(writes)).toEqual([]);

    // stopBuilder deallocates (started, not waited for); a second call sends nothing.
    fresh();
    expect(await provider.stopBuilder(BAKE)).toEqual({ instanceId: VM, state: 'stopping' });
    expect(lc(arm.lines(writes))).toEqual(lc([`POST ${VM}/deallocate`]));
    expect(await provider.builderStatus(BAKE)).toEqual({ instanceId: VM, state: 'stopped' });
    fresh();
    expect(await provider.stopBuilder(BAKE)).toEqual({ instanceId: VM, state: 'stopped' });
    expect(arm.lines(writes)).toEqual([]);

    // createImage: generalize, the region's gallery and the pack's definition, then the version from the VM.
    fresh();
    const image = await provider.createImage(imageSpec);
    expect(lc(arm.lines(writes))).toEqual(lc([`POST ${VM}/generalize`, `PUT ${GALLERY}`, `PUT ${DEFINITION}`, `PUT ${VERSION}`]));
    expect(arm.bodyOf('PUT', GALLERY)).toMatchObject({ location: REGION });
    expect(arm.bodyOf('PUT', DEFINITION)).toMatchObject({
      location: REGION,
      properties: {
        osType: 'Linux',
        osState: 'Generalized',
        hyperVGeneration: 'V2',
        architecture: 'x64',
        identifier: { publisher: 'strata', offer: 'ubuntu-k8s', sku: 'amd64' },
        features: [{ name: 'SecurityType', value: 'TrustedLaunchSupported' }],
      },
    });
    const version = arm.bodyOf('PUT', VERSION);
    expect(version.location).toBe(REGION);
    expect(version.tags).toEqual({
      'strata:pack': 'ubuntu-k8s@1.2.0',
      'strata:kubernetes': '1.31.2',
      Name: imageSpec.name,
      'strata:image-signature': SIGNATURE,
      'strata:bake': BAKE,
    });
    expect(version.properties.storageProfile).toEqual({ source: { virtualMachineId: VM } });
    expect(version.properties.publishingProfile.targetRegions).toEqual([{ name: REGION }]);
    expect(image).toEqual({ imageId: VERSION, name: imageSpec.name, region: REGION, state: 'pending', signature: SIGNATURE, message: 'replicating to westeurope (0%)' });

    // A second createImage returns the version the first made.
    fresh();
    expect(await provider.createImage(imageSpec)).toEqual(image);
    expect(arm.lines(writes)).toEqual([]);

    // Available once Azure has replicated it to the region.
    expect(await provider.describeImage(VERSION)).toMatchObject({ state: 'pending' });
    arm.replicate(VERSION, REGION);
    expect(await provider.describeImage(VERSION)).toEqual({ imageId: VERSION, name: imageSpec.name, region: REGION, state: 'available', signature: SIGNATURE });

    // findImage: ARM's tag filter over the image group, then the one version it names.
    fresh();
    expect(await provider.findImage(SIGNATURE)).toEqual({ imageId: VERSION, name: imageSpec.name, region: REGION, state: 'available', signature: SIGNATURE });
    expect(lc(arm.lines())).toEqual(lc([`GET ${RESOURCES}`, `GET ${VERSION}`]));
    expect(arm.calls[0]!.query.$filter).toBe(`tagName eq 'strata:image-signature' and tagValue eq '${SIGNATURE}'`);
    expect(arm.calls[1]!.query.$expand).toBe('ReplicationStatus');

    // A second region: no image there until the copy, which adds it to the version's target regions.
    const other = newProvider({ region: OTHER_REGION });
    expect(await other.findImage(SIGNATURE)).toBeUndefined();
    fresh();
    const copying = await other.copyImage(copySpec);
    expect(copying).toMatchObject({ imageId: VERSION, region: OTHER_REGION, state: 'pending', signature: SIGNATURE });
    expect(lc(arm.lines(writes))).toEqual(lc([`PATCH ${VERSION}`]));
    expect(arm.bodyOf('PATCH', VERSION)).toEqual({ properties: { publishingProfile: { targetRegions: [{ name: REGION }, { name: OTHER_REGION }] } } });
    fresh();
    expect(await other.copyImage(copySpec)).toMatchObject({ state: 'pending' });
    expect(arm.lines(writes)).toEqual([]);
    expect(await other.findImage(SIGNATURE)).toMatchObject({ imageId: VERSION, region: OTHER_REGION, state: 'pending' });
    // The first region keeps its replica while the second is made.
    expect(await provider.describeImage(VERSION)).toMatchObject({ region: REGION, state: 'available' });
    arm.replicate(VERSION, OTHER_REGION);
    expect(await other.copyImage(copySpec)).toEqual({ imageId: VERSION, name: imageSpec.name, region: OTHER_REGION, state: 'available', signature: SIGNATURE });
    expect(await other.findImage(SIGNATURE)).toMatchObject({ imageId: VERSION, region: OTHER_REGION, state: 'available' });
    expect(await other.resolveImage(VERSION)).toEqual({ imageId: VERSION, region: OTHER_REGION, copied: false });

    // Clean-up: the VM first (forced), then what it left; then nothing.
    fresh();
    expect(await provider.terminateBuilder(BAKE)).toEqual({ instanceId: VM, state: 'shutting-down' });
    expect(lc(arm.lines(writes))).toEqual(lc([`DELETE ${VM}`]));
    expect(arm.calls.find((c) => c.method === 'DELETE')!.query.forceDeletion).toBe('true');
    fresh();
    expect(await provider.terminateBuilder(BAKE)).toBeUndefined();
    expect(lc(arm.lines(writes))).toEqual(lc([`DELETE ${NIC}`, `DELETE ${DISK}`]));
    expect(arm.store.has(NIC.toLowerCase()) || arm.store.has(DISK.toLowerCase())).toBe(false);
    fresh();
    expect(await provider.terminateBuilder(BAKE)).toBeUndefined();
    expect(arm.lines(writes)).toEqual([]);
    expect(await provider.builderStatus(BAKE)).toBeUndefined();

    // With the builder gone, createImage still answers the image the bake made.
    expect(await provider.createImage(imageSpec)).toMatchObject({ imageId: VERSION, state: 'available' });

    // deleteImage is one region's: in the source region, which Azure keeps among the targets, the
    // version is marked released while the copy still uses it; the last region deletes it.
    fresh();
    await provider.deleteImage(VERSION);
    expect(lc(arm.lines(writes))).toEqual(lc([`PATCH ${VERSION}`]));
    expect(arm.bodyOf('PATCH', VERSION)).toEqual({ tags: { ...version.tags, 'strata:source-region-released': 'true' } });
    expect(await other.describeImage(VERSION)).toMatchObject({ state: 'available' });
    fresh();
    await provider.deleteImage(VERSION);
    expect(arm.lines(writes)).toEqual([]);
    await other.deleteImage(VERSION);
    expect(lc(arm.lines(writes))).toEqual(lc([`DELETE ${VERSION}`]));
    fresh();
    await other.deleteImage(VERSION);
    expect(arm.lines(writes)).toEqual([]);
    expect(await provider.describeImage(VERSION)).toBeUndefined();
    expect(await other.findImage(SIGNATURE)).toBeUndefined();
  });
});

describe('findImage', () => {
  it('is one ARM call when nothing carries the signature, or there is no image group yet', async () => {
    expect(await provider.findImage(SIGNATURE)).toBeUndefined();
    expect(lc(arm.lines())).toEqual(lc([`GET ${RESOURCES}`]));
    arm.seed(GROUP, { location: REGION, properties: { provisioningState: 'Succeeded' } });
    fresh();
    expect(await provider.findImage(SIGNATURE)).toBeUndefined();
    expect(arm.calls).toHaveLength(1);
  });

  it('a replica that failed is not found there; describeImage says why, in Azure’s words', async () => {
    await captured();
    const details = 'Replication job failed: the storage account quota for the region was exceeded.';
    arm.replicate(VERSION, REGION, 'Failed', details);
    expect(await provider.findImage(SIGNATURE)).toBeUndefined();
    expect(await provider.describeImage(VERSION)).toMatchObject({ state: 'failed', message: details });
  });

  it('reads only versions: other resources carrying the tag are not images', async () => {
    arm.seed(GROUP, { location: REGION });
    arm.seed(`${COMPUTE}/disks/stray`, { type: 'Microsoft.Compute/disks', tags: { 'strata:image-signature': SIGNATURE }, properties: {} });
    expect(await provider.findImage(SIGNATURE)).toBeUndefined();
    expect(lc(arm.lines())).toEqual(lc([`GET ${RESOURCES}`]));
  });
});

describe('launchBuilder', () => {
  it('a public IP only when asked, going with the NIC; a gallery base image by its id', async () => {
    const base = `/subscriptions/${SUB}/resourceGroups/images/providers/Microsoft.Compute/galleries/golden/images/ubuntu/versions/1.0.0`;
    await provider.launchBuilder({ ...builder, publicIp: true, baseImageId: base, instanceType: 'Standard_D2ps_v5' });
    const pip = `${NETWORK}/publicIPAddresses/${VM_NAME}-pip`;
    expect(lc(arm.lines(writes))).toEqual(lc([`PUT ${GROUP}`, `PUT ${pip}`, `PUT ${NIC}`, `PUT ${VM}`]));
    expect(arm.bodyOf('PUT', pip)).toMatchObject({ tags: { 'strata:bake': BAKE }, sku: { name: 'Standard' }, properties: { publicIPAllocationMethod: 'Static' } });
    expect(arm.bodyOf('PUT', pip).zones).toBeUndefined();
    expect(arm.bodyOf('PUT', NIC).properties.ipConfigurations[0].properties.publicIPAddress).toEqual({ id: pip, properties: { deleteOption: 'Delete' } });
    expect(arm.bodyOf('PUT', VM).properties.storageProfile.imageReference).toEqual({ id: base });
  });

  it('uses a shared resource group as it is, and an image group named for it over that', async () => {
    const platform = `/subscriptions/${SUB}/resourceGroups/platform`;
    arm.seed(platform, { location: REGION, properties: { provisioningState: 'Succeeded' } });
    const shared = newProvider({ resourceGroup: 'platform' });
    await shared.launchBuilder(builder);
    expect(lc(arm.lines(writes))).toEqual(lc([`PUT ${platform}/providers/Microsoft.Network/networkInterfaces/${VM_NAME}-nic`, `PUT ${platform}/providers/Microsoft.Compute/virtualMachines/${VM_NAME}`]));

    fresh();
    await newProvider({ resourceGroup: 'platform', imageResourceGroup: 'images' }).launchBuilder(builder);
    expect(lc(arm.lines(writes))[0]).toBe(`put /subscriptions/${SUB}/resourcegroups/images`);
  });

  it("refuses a VM of the builder's name that is not this bake's; deletes a builder that failed to provision", async () => {
    arm.seed(GROUP, { location: REGION });
    arm.seed(VM, { tags: { 'strata:bake': 'img-other-a1' }, properties: { provisioningState: 'Succeeded' } });
    expect(await rejection(provider.launchBuilder(builder))).toMatchObject({ code: 'NameConflict', retryable: false });
    expect(await rejection(provider.terminateBuilder(BAKE))).toMatchObject({ code: 'NameConflict', retryable: false });
    expect(arm.lines(writes)).toEqual([]);

    arm.seed(VM, {
      tags: { 'strata:bake': BAKE },
      properties: {
        provisioningState: 'Failed',
        instanceView: { statuses: [{ code: 'ProvisioningState/failed/OSProvisioningTimedOut', level: 'Error', message: 'OS Provisioning did not finish in the allotted time.' }] },
      },
    });
    fresh();
    const e = await rejection(provider.launchBuilder(builder));
    expect(e).toMatchObject({ code: 'VMProvisioningFailed', retryable: true });
    expect(e.message).toContain('OS Provisioning did not finish');
    expect(lc(arm.lines(writes))).toEqual(lc([`DELETE ${VM}`]));
  });

  it('a builder that shut itself down is stopped but allocated: deallocated first, then it becomes an image', async () => {
    await provider.launchBuilder(builder);
    arm.store.get(VM.toLowerCase()).properties.instanceView = { statuses: [{ code: 'PowerState/stopped' }] };
    expect(await provider.builderStatus(BAKE)).toMatchObject({ state: 'stopped' });
    fresh();
    // The workflow asks stopBuilder only of a running builder: createImage deallocates this one itself.
    expect(await rejection(provider.createImage(imageSpec))).toMatchObject({ code: 'BuilderNotDeallocated', retryable: true });
    expect(lc(arm.lines(writes))).toEqual(lc([`POST ${VM}/deallocate`]));
    expect((await provider.createImage(imageSpec)).state).toBe('pending');
    // stopBuilder, too, deallocates a builder that is only stopped.
    arm.store.get(VM.toLowerCase()).properties.instanceView = { statuses: [{ code: 'PowerState/stopped' }] };
    fresh();
    await provider.stopBuilder(BAKE);
    expect(lc(arm.lines(writes))).toEqual(lc([`POST ${VM}/deallocate`]));
  });
});

describe('createImage', () => {
  it('an Arm64 builder makes its image in the pack’s arm64 definition', async () => {
    await provider.launchBuilder({ ...builder, instanceType: 'Standard_D2ps_v5' });
    await provider.stopBuilder(BAKE);
    const image = await provider.createImage(imageSpec);
    expect(image.imageId).toBe(`${GALLERY}/images/ubuntu-k8s-arm64/versions/${imageVersionName(SIGNATURE)}`);
    expect(arm.bodyOf('PUT', `${GALLERY}/images/ubuntu-k8s-arm64`).properties).toMatchObject({ architecture: 'Arm64', identifier: { sku: 'arm64' } });
  });

  it('refuses a version of its name that carries another signature', async () => {
    await provider.launchBuilder(builder);
    await provider.stopBuilder(BAKE);
    arm.seed(VERSION, { location: REGION, tags: { 'strata:image-signature': 'f'.repeat(64) }, properties: { provisioningState: 'Succeeded', publishingProfile: { targetRegions: [{ name: REGION }] } } });
    fresh();
    expect(await rejection(provider.createImage(imageSpec))).toMatchObject({ code: 'NameConflict', retryable: false });
    expect(arm.lines(writes)).toEqual([]);
  });

  it('a version whose replica failed is deleted, so the next attempt makes it again', async () => {
    await captured();
    arm.replicate(VERSION, REGION, 'Failed', 'Replication failed.');
    const e = await rejection(provider.createImage(imageSpec));
    expect(e).toMatchObject({ code: 'ImageCreationFailed', retryable: true });
    expect(e.message).toContain('Replication failed.');
    expect(lc(arm.lines(writes))).toEqual(lc([`DELETE ${VERSION}`]));
    fresh();
    expect((await provider.createImage(imageSpec)).state).toBe('pending');
    expect(lc(arm.lines(writes))).toEqual(lc([`PUT ${GALLERY}`, `PUT ${DEFINITION}`, `PUT ${VERSION}`]));
  });

  it('with no builder and no image of the bake, the bake has to start over', async () => {
    expect(await rejection(provider.createImage(imageSpec))).toMatchObject({ code: 'BuilderNotFound', retryable: false });
  });

  it('Azure’s refusal keeps its code and message', async () => {
    await provider.launchBuilder(builder);
    await provider.stopBuilder(BAKE);
    const message = "The client 'strata' with object id '1c2d' does not have authorization to perform action 'Microsoft.Compute/galleries/write' over scope '/subscriptions/x'.";
    arm.on('PUT', /\/galleries\/[^/]+$/, { status: 403, body: { error: { code: 'AuthorizationFailed', message } } });
    expect(await rejection(provider.createImage(imageSpec))).toMatchObject({ code: 'AuthorizationFailed', message, retryable: false });
  });
});

describe('copyImage', () => {
  const other = () => newProvider({ region: OTHER_REGION });

  it('waits for a version Azure is still creating; refuses one gone or of another signature', async () => {
    await captured();
    expect(await rejection(other().copyImage(copySpec))).toMatchObject({ code: 'ImageNotReady', retryable: true });
    expect(arm.lines(writes)).toEqual([]);
    expect(await rejection(other().copyImage({ ...copySpec, signature: 'e'.repeat(64) }))).toMatchObject({ code: 'NameConflict', retryable: false });
    expect(await rejection(other().copyImage({ ...copySpec, sourceImageId: `${DEFINITION}/versions/1.2.3` }))).toMatchObject({ code: 'ImageNotFound', retryable: false });
  });

  it('keeps the target regions Azure lists, with their settings', async () => {
    await captured();
    arm.replicate(VERSION, REGION);
    arm.store.get(VERSION.toLowerCase()).properties.publishingProfile.targetRegions = [{ name: 'West Europe', regionalReplicaCount: 2, storageAccountType: 'Standard_ZRS' }];
    await other().copyImage(copySpec);
    expect(arm.bodyOf('PATCH', VERSION).properties.publishingProfile.targetRegions).toEqual([
      { name: 'West Europe', regionalReplicaCount: 2, storageAccountType: 'Standard_ZRS' },
      { name: OTHER_REGION },
    ]);
  });

  it('a replica that failed in the new region is failed, with Azure’s details', async () => {
    await captured();
    arm.replicate(VERSION, REGION);
    await other().copyImage(copySpec);
    arm.replicate(VERSION, OTHER_REGION, 'Failed', 'The region does not offer the storage account type.');
    expect(await other().copyImage(copySpec)).toMatchObject({ state: 'failed', message: 'The region does not offer the storage account type.' });
    expect(await provider.describeImage(VERSION)).toMatchObject({ state: 'available' });
  });
});

describe('deleteImage and resolveImage', () => {
  it('deleting in a copy’s region takes only that region out; the source region’s image stays until it is deleted there', async () => {
    await captured();
    arm.replicate(VERSION, REGION);
    const other = newProvider({ region: OTHER_REGION });
    await other.copyImage(copySpec);
    arm.replicate(VERSION, OTHER_REGION);
    fresh();
    await other.deleteImage(VERSION);
    expect(lc(arm.lines(writes))).toEqual(lc([`PATCH ${VERSION}`]));
    expect(arm.bodyOf('PATCH', VERSION)).toEqual({ properties: { publishingProfile: { targetRegions: [{ name: REGION }] } } });
    expect(await other.describeImage(VERSION)).toBeUndefined();
    expect(await provider.describeImage(VERSION)).toMatchObject({ state: 'available' });
    fresh();
    await provider.deleteImage(VERSION);
    expect(lc(arm.lines(writes))).toEqual(lc([`DELETE ${VERSION}`]));
  });

  it('a source region that uses its image again (a new bake finds it) takes back its release', async () => {
    await captured();
    arm.replicate(VERSION, REGION);
    const other = newProvider({ region: OTHER_REGION });
    await other.copyImage(copySpec);
    await provider.deleteImage(VERSION);
    expect(arm.store.get(VERSION.toLowerCase()).tags['strata:source-region-released']).toBe('true');
    fresh();
    expect(await provider.createImage(imageSpec)).toMatchObject({ imageId: VERSION, state: 'available' });
    expect(lc(arm.lines(writes))).toEqual(lc([`PATCH ${VERSION}`]));
    expect(arm.store.get(VERSION.toLowerCase()).tags['strata:source-region-released']).toBeUndefined();
    // Now the copy's deletion leaves the source region its image.
    fresh();
    await other.deleteImage(VERSION);
    expect(arm.bodyOf('PATCH', VERSION).properties.publishingProfile.targetRegions).toEqual([{ name: REGION }]);
  });

  it('deleteImage leaves a version Strata did not tag', async () => {
    const foreign = `/subscriptions/${SUB}/resourceGroups/images/providers/Microsoft.Compute/galleries/golden/images/ubuntu/versions/1.0.0`;
    arm.seed(foreign, { location: REGION, tags: { owner: 'platform-team' }, properties: { provisioningState: 'Succeeded' } });
    expect(await rejection(provider.deleteImage(foreign))).toMatchObject({ code: 'ImageNotOwned', retryable: false });
    expect(arm.lines(writes)).toEqual([]);
    expect(await rejection(provider.deleteImage('Canonical:ubuntu-24_04-lts:server:latest'))).toMatchObject({ code: 'InvalidImageReference', retryable: false });
  });

  it('resolveImage of a version still replicating to the region is worth a retry; once there, it resolves', async () => {
    await captured();
    expect(await rejection(provider.resolveImage(VERSION))).toMatchObject({ code: 'ImageNotReady', retryable: true });
    arm.replicate(VERSION, REGION);
    expect(await provider.resolveImage(VERSION)).toEqual({ imageId: VERSION, region: REGION, copied: false });
    expect(await provider.resolveImage('Canonical:ubuntu-24_04-lts:server:latest').catch((e: CloudError) => e.code)).toBe('ImageNotFound');
  });
});

describe('names', () => {
  it('an image version per signature: x.y.z of 31-bit numbers, the same every time, another for another signature', () => {
    const v = imageVersionName(SIGNATURE);
    expect(v).toMatch(/^\d{1,10}\.\d{1,10}\.\d{1,10}$/);
    expect(v.split('.').every((n) => Number(n) <= 2 ** 31 - 1)).toBe(true);
    expect(imageVersionName(SIGNATURE)).toBe(v);
    expect(imageVersionName(`${SIGNATURE.slice(0, 23)}0${SIGNATURE.slice(24)}`)).not.toBe(imageVersionName(`${SIGNATURE.slice(0, 23)}1${SIGNATURE.slice(24)}`));
    expect(imageVersionName('ffffffff' + '0'.repeat(56))).toBe('2147483647.0.0');
    expect(() => imageVersionName('not-a-signature')).toThrow(CloudError);
  });

  it('architecture from the VM size, pack from the image name, one gallery per region', () => {
    expect(['Standard_D2s_v5', 'Standard_D4as_v5', 'Standard_E8ds_v5', 'Standard_DS2_v2'].map(archOfVmSize)).toEqual(['amd64', 'amd64', 'amd64', 'amd64']);
    expect(['Standard_D2ps_v5', 'Standard_E4pds_v5', 'Standard_B2pts_v2', 'Standard_D2pls_v6'].map(archOfVmSize)).toEqual(['arm64', 'arm64', 'arm64', 'arm64']);
    expect(packOfImageName(bakedImageName('ubuntu-k8s', SIGNATURE), SIGNATURE)).toBe('ubuntu-k8s');
    expect(galleryName('westeurope')).toBe('strata_images_westeurope');
    expect(builderName(BAKE)).toBe(VM_NAME);
  });
});
