import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

/**
 * Node images end to end on the local runtime: which OS packs are used as they are and which are
 * baked, one bake for any number of clusters that need the same signature, a copy (not a bake)
 * for another region, a failed bake that leaves no builder behind, and the images API.
 */
let api: Api;
let accountId: string;
let registryId: string;
let packVersion = 0;

beforeAll(async () => {
  api = await startApi();
  accountId = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  registryId = (await api.call('POST', '/v1/registries', { body: { name: 'images-team' } })).body.id;
});
afterAll(() => api.stop());

const get = async (path: string) => (await api.call('GET', path)).body;
const ref = (packId: string, reg = 'public') => ({ registryId: reg, packId });
const SIM_IMAGES = { local: { 'sim-east-1': 'sim-ubuntu-22.04', 'sim-west-1': 'sim-ubuntu-22.04' } };

/** A new OS pack (a new version each time, so each test has signatures of its own). */
async function osPack(os: Record<string, unknown>, name = 'team-ubuntu') {
  const res = await api.call('POST', `/v1/registries/${registryId}/packs`, { body: { layer: 'os', name, version: `1.0.${packVersion++}`, os: { images: SIM_IMAGES, ...os } } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function profile(osPackId: string, k8s = 'pk-kubernetes-1-31-10') {
  const res = await api.call('POST', '/v1/profiles', { body: { name: `p-${osPackId}`, layers: [ref(osPackId, registryId), ref(k8s), ref('pk-calico-3-29-3'), ref('pk-aws-ebs-csi-1-44-0')] } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

let clusterCount = 0;
async function cluster(profileId: string, region = 'sim-east-1') {
  const zone = `${region}a`;
  const body = clusterBody(accountId, {
    name: `img-${clusterCount++}`,
    profileId,
    region,
    nodePools: [
      { name: 'cp', role: 'controlPlane', count: 1, instanceType: 'sim.large', zones: [zone], diskGiB: 50 },
      { name: 'workers', role: 'worker', count: 1, instanceType: 'sim.large', zones: [zone], diskGiB: 50 },
    ],
  });
  const res = await api.call('POST', '/v1/clusters', { body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

const untilRunning = (id: string) => eventually(async () => ((await get(`/v1/clusters/${id}`)).phase === 'Running' ? true : undefined), `cluster ${id} Running`, 40_000);
const condition = async (id: string, type: string) => (await get(`/v1/clusters/${id}/conditions`)).items.find((c: any) => c.type === type);
const events = async (id: string) => (await get(`/v1/clusters/${id}/events?limit=100`)).items;
const cloud = () => get('/local/cloud');
const builders = async () => (await cloud()).builders as any[];
const nodeImages = async (id: string) => [...new Set((await cloud()).instances.filter((i: any) => i.tags['strata:cluster'] === id).map((i: any) => i.imageId))];
const imagesOfPack = async (packId: string) => (await get(`/v1/images?pack=${packId}`)).items as any[];

describe('bring your own image', () => {
  it('uses an image that ships Kubernetes and lists no roles as it is: no bake', async () => {
    const pack = await osPack({ skipK8sInstall: true, kubernetesVersion: '1.31.10' });
    const id = await cluster(await profile(pack));
    await untilRunning(id);
    expect(await condition(id, 'ImageReady')).toMatchObject({ status: 'True', reason: 'ImageResolved' });
    expect(await imagesOfPack(pack)).toEqual([]);
    expect(await nodeImages(id)).toEqual(['sim-ubuntu-22.04']);
  });

  it('refuses a profile whose Kubernetes layer is not the version the image ships, naming the layer', async () => {
    const pack = await osPack({ skipK8sInstall: true, kubernetesVersion: '1.30.14' });
    const res = await api.call('POST', '/v1/profiles', { body: { name: 'mismatch', layers: [ref(pack, registryId), ref('pk-kubernetes-1-31-10'), ref('pk-calico-3-29-3'), ref('pk-aws-ebs-csi-1-44-0')] } });
    expect(res.status).toBe(400);
    expect(res.body.details[0]).toMatchObject({ path: 'layers[1].packId' });
    expect(res.body.message).toMatch(/ships Kubernetes 1\.30\.14.*1\.31\.10/);
  });

  it('bakes Kubernetes at the profile version onto a base image that does not ship it', async () => {
    const pack = await osPack({ skipK8sInstall: false });
    const id = await cluster(await profile(pack, 'pk-kubernetes-1-32-6'));
    await untilRunning(id);
    const [image] = await imagesOfPack(pack);
    expect(image).toMatchObject({ status: 'Available', region: 'sim-east-1', contents: { kubernetesVersion: '1.32.6', roles: [] }, requestedBy: id, attempt: 1 });
    expect(image.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(await condition(id, 'ImageReady')).toMatchObject({ status: 'True', reason: 'ImageBaked' });
    expect(await nodeImages(id)).toEqual([image.imageId]);
    // The image carries its signature in the cloud, and the builder is gone.
    const made = (await cloud()).images.find((i: any) => i.imageId === image.imageId);
    expect(made.tags['strata:image-signature']).toBe(image.signature);
    expect((await builders()).filter((b: any) => b.bakeId.startsWith(image.id) && b.state !== 'terminated')).toEqual([]);
  });

  it('bakes the roles without installing Kubernetes onto an image that ships it', async () => {
    const pack = await osPack({ skipK8sInstall: true, kubernetesVersion: '1.31.10', ansibleRoles: [{ name: 'cis-hardening', version: '2.1.0', vars: 'level: 2\n' }] });
    const id = await cluster(await profile(pack));
    await untilRunning(id);
    const [image] = await imagesOfPack(pack);
    expect(image).toMatchObject({ status: 'Available', contents: { kubernetesVersion: '1.31.10', roles: ['cis-hardening'] } });
    expect(await nodeImages(id)).toEqual([image.imageId]);
  });

  it('bakes Kubernetes and the roles together', async () => {
    const pack = await osPack({ skipK8sInstall: false, ansibleRoles: [{ name: 'auditd', version: '1.0.0' }, { name: 'falco', version: '0.39.0' }] });
    const id = await cluster(await profile(pack));
    await untilRunning(id);
    const [image] = await imagesOfPack(pack);
    expect(image).toMatchObject({ status: 'Available', contents: { kubernetesVersion: '1.31.10', roles: ['auditd', 'falco'] } });
  });
});

describe('one bake per signature', () => {
  it('bakes once for two clusters provisioned at once with the same new OS pack; the other reuses it and says which image', async () => {
    const pack = await osPack({ skipK8sInstall: false, ansibleRoles: [{ name: 'cis-hardening', version: '3.0.0' }] });
    const profileId = await profile(pack);
    const [a, b] = await Promise.all([cluster(profileId), cluster(profileId)]);
    await Promise.all([untilRunning(a), untilRunning(b)]);
    const images = await imagesOfPack(pack);
    expect(images).toHaveLength(1);
    const image = images[0];
    expect((await builders()).filter((x: any) => x.bakeId.startsWith(image.id))).toHaveLength(1);
    expect(await nodeImages(a)).toEqual([image.imageId]);
    expect(await nodeImages(b)).toEqual([image.imageId]);
    const reuser = image.requestedBy === a ? b : a;
    expect(await condition(reuser, 'ImageReady')).toMatchObject({ status: 'True', reason: 'ImageReused' });
    const reused = (await events(reuser)).filter((e: any) => e.reason === 'ImageReused');
    expect(reused).toHaveLength(1);
    expect(reused[0].message).toContain(image.imageId);
    // A third cluster later: no bake at all.
    const c = await cluster(profileId);
    await untilRunning(c);
    expect((await builders()).filter((x: any) => x.bakeId.startsWith(image.id))).toHaveLength(1);
    expect((await get(`/v1/images/${image.id}`)).usedBy.map((u: any) => u.clusterId).sort()).toEqual([a, b, c].sort());
  });

  it('copies the image to a second region instead of baking it again', async () => {
    const pack = await osPack({ skipK8sInstall: false, ansibleRoles: [{ name: 'copy-me', version: '1.0.0' }] });
    const profileId = await profile(pack);
    const east = await cluster(profileId, 'sim-east-1');
    await untilRunning(east);
    const west = await cluster(profileId, 'sim-west-1');
    await untilRunning(west);
    const images = await imagesOfPack(pack);
    const source = images.find((i: any) => i.region === 'sim-east-1');
    const copy = images.find((i: any) => i.region === 'sim-west-1');
    expect(copy).toMatchObject({ status: 'Available', signature: source.signature, copiedFrom: { region: 'sim-east-1', imageId: source.imageId } });
    expect(copy.imageId).not.toBe(source.imageId);
    expect((await builders()).filter((x: any) => x.bakeId.startsWith(source.id) || x.bakeId.startsWith(copy.id))).toHaveLength(1);
    expect(await condition(west, 'ImageReady')).toMatchObject({ status: 'True', reason: 'ImageCopied' });
    expect(await nodeImages(west)).toEqual([copy.imageId]);
  });
});

describe('a failed bake', () => {
  it('leaves no builder, shows the playbook message on the cluster, and bakes again after the cluster changes', async () => {
    const failure = 'TASK [cis-hardening : apply CIS rules] fatal: [localhost]: FAILED! => {"msg": "apt-get exited 100"}';
    expect((await api.call('POST', '/local/faults', { body: { bake: 'fail', message: failure, times: 1 } })).status).toBe(201);
    const pack = await osPack({ skipK8sInstall: false, ansibleRoles: [{ name: 'cis-hardening', version: '4.0.0' }] });
    const id = await cluster(await profile(pack));
    const failed = await eventually(async () => {
      const c = await condition(id, 'ImageReady');
      return c?.status === 'False' ? c : undefined;
    }, 'ImageReady False', 30_000);
    expect(failed.reason).toBe('CustomizationFailed');
    expect(failed.message).toContain('apt-get exited 100');
    const [image] = await imagesOfPack(pack);
    expect(image).toMatchObject({ status: 'Failed', failure: { code: 'CustomizationFailed', retryable: false } });
    expect(image.failure.message).toContain('apt-get exited 100');
    await eventually(async () => ((await builders()).filter((b: any) => b.bakeId.startsWith(image.id)).every((b: any) => b.state === 'terminated') ? true : undefined), 'builder terminated', 10_000);
    expect((await events(id)).some((e: any) => e.type === 'Warning' && e.message.includes('apt-get exited 100'))).toBe(true);

    // A change of the cluster tries again (the fault was for one bake only).
    const current = await get(`/v1/clusters/${id}`);
    const res = await api.call('PUT', `/v1/clusters/${id}`, { body: { version: current.version, nodePools: current.nodePools.map((p: any) => (p.role === 'worker' ? { ...p, count: 2 } : p)) } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await untilRunning(id);
    const [again] = await imagesOfPack(pack);
    expect(again).toMatchObject({ status: 'Available', attempt: 2 });
    expect((await builders()).filter((b: any) => b.bakeId.startsWith(image.id))).toHaveLength(2);
  });
});

describe('the images API', () => {
  it('filters, reads, and deletes only an image no cluster uses', async () => {
    const pack = await osPack({ skipK8sInstall: false, ansibleRoles: [{ name: 'delete-me', version: '1.0.0' }] });
    const profileId = await profile(pack);
    const id = await cluster(profileId);
    await untilRunning(id);
    const [image] = await imagesOfPack(pack);
    expect((await get(`/v1/images?signature=${image.signature}`)).items.map((i: any) => i.id)).toEqual([image.id]);
    expect((await get('/v1/images?region=sim-west-1&pack=' + pack)).items).toEqual([]);
    expect((await api.call('GET', '/v1/images?signature=abc')).body.details[0].path).toBe('query.signature');
    expect((await api.call('GET', '/v1/images/img-000000000000000000000000')).status).toBe(404);

    // Another tenant sees none of it: its list is empty, the id is not found, DELETE changes nothing.
    const other: string = (await api.call('POST', '/v1/tenants', { body: { name: 'image-stranger' } })).body.apiKey.key;
    expect((await api.call('GET', '/v1/images', { key: other })).body.items).toEqual([]);
    expect((await api.call('GET', `/v1/images/${image.id}`, { key: other })).status).toBe(404);
    expect((await api.call('DELETE', `/v1/images/${image.id}`, { key: other })).status).toBe(404);
    expect((await get(`/v1/images/${image.id}`)).status).toBe('Available');

    const refused = await api.call('DELETE', `/v1/images/${image.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain(id);

    expect((await api.call('DELETE', `/v1/clusters/${id}`)).status).toBe(202);
    await eventually(async () => ((await get(`/v1/clusters/${id}`)).phase === 'Deleted' ? true : undefined), 'cluster deleted', 30_000);
    // The cloud refusing: a 502 in its own words, and the image is as it was.
    expect((await api.call('POST', '/local/faults', { body: { operation: 'DeregisterImage', error: 'InvalidAMIID.Unavailable', message: 'The image is in use by a pending copy', times: 1 } })).status).toBe(201);
    const refusedByCloud = await api.call('DELETE', `/v1/images/${image.id}`);
    expect(refusedByCloud.status).toBe(502);
    expect(refusedByCloud.body.message).toContain('The image is in use by a pending copy');
    expect((await get(`/v1/images/${image.id}`)).status).toBe('Available');
    expect((await api.call('DELETE', `/v1/images/${image.id}`)).status).toBe(204);
    expect((await api.call('GET', `/v1/images/${image.id}`)).status).toBe(404);
    expect((await cloud()).images.find((i: any) => i.imageId === image.imageId)).toBeUndefined();

    // The next cluster that needs it bakes it again: a new record, a new execution.
    const again = await cluster(profileId);
    await untilRunning(again);
    const [rebaked] = await imagesOfPack(pack);
    expect(rebaked).toMatchObject({ id: image.id, status: 'Available', attempt: 1, requestedBy: again });
    expect(rebaked.imageId).not.toBe(image.imageId);
  });
});
