import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, startApi, type Api, type Reply } from './harness.js';

let api: Api;
let accountId: string;
let registryId: string;
beforeAll(async () => {
  api = await startApi();
  accountId = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  registryId = (await api.call('POST', '/v1/registries', { body: { name: 'team' } })).body.id;
});
afterAll(() => api.stop());

/** A 4xx in the API's error shape whose details name `path`. */
function expectFieldError(res: Reply, status: number, path: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
}

const osPack = (over: Record<string, unknown> = {}) => ({
  layer: 'os',
  name: 'my-ubuntu',
  version: '1.0.0',
  values: 'a: 1\n',
  os: { images: { local: { 'sim-east-1': 'sim-ubuntu-22.04' } }, skipK8sInstall: false, ansibleRoles: [{ name: 'hardening', version: '1.0.0' }] },
  ...over,
});

describe('bad input is a 4xx naming the field, never a 5xx', () => {
  it('malformed JSON', async () => {
    expectFieldError(await api.call('POST', '/v1/clusters', { raw: '{"name": "x",' }), 400, 'body');
    expectFieldError(await api.call('POST', '/v1/clusters', { raw: '[1,2]' }), 400, 'body');
    expectFieldError(await api.call('POST', '/v1/clusters', { raw: '' }), 400, 'body');
  });

  it('wrong types', async () => {
    expectFieldError(await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { nodePools: 'three' }) }), 400, 'nodePools');
    const pools = clusterBody(accountId).nodePools;
    pools[1] = { ...pools[1]!, count: '2' as unknown as number };
    expectFieldError(await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { nodePools: pools }) }), 400, 'nodePools[1].count');
  });

  it('unknown fields, also nested, and long-lived AWS keys', async () => {
    expectFieldError(await api.call('POST', '/v1/clusters', { body: { ...clusterBody(accountId), colour: 'blue' } }), 400, 'colour');
    const res = await api.call('POST', '/v1/cloudaccounts', {
      body: { name: 'aws', spec: { type: 'aws', roleArn: 'arn:aws:iam::123456789012:role/strata', externalId: 'ext-123', secretAccessKey: 'x' } },
    });
    expectFieldError(res, 400, 'spec.secretAccessKey');
  });

  it('values that are not valid YAML, or not a mapping', async () => {
    expectFieldError(await api.call('POST', `/v1/registries/${registryId}/packs`, { body: osPack({ values: 'a: [1, 2\nb: {' }) }), 400, 'values');
    expectFieldError(await api.call('POST', `/v1/registries/${registryId}/packs`, { body: osPack({ values: '- just\n- a list\n' }) }), 400, 'values');
    expectFieldError(await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { overrides: { calico: 'x: : y: [' } }) }), 400, 'overrides.calico');
  });

  it('OS settings an image cannot be made from', async () => {
    const os = (o: Record<string, unknown>) => osPack({ os: { images: { local: { 'sim-east-1': 'sim-ubuntu-22.04' } }, ...o } });
    const post = (body: unknown) => api.call('POST', `/v1/registries/${registryId}/packs`, { body });
    expectFieldError(await post(os({ ansibleRoles: [{ name: 'hardening' }] })), 400, 'os.ansibleRoles[0].version');
    expectFieldError(await post(os({ ansibleRoles: [{ name: 'hardening', digest: 'sha256:xyz' }] })), 400, 'os.ansibleRoles[0].digest');
    expectFieldError(await post(os({ ansibleRoles: [{ name: 'bad role', version: '1' }] })), 400, 'os.ansibleRoles[0].name');
    expectFieldError(await post(os({ ansibleRoles: [{ name: 'pinned', digest: `sha256:${'a'.repeat(64)}` }] })), 400, 'os.ansibleRoles[0].source');
    expectFieldError(await post(os({ ansibleRoles: [{ name: 'r', version: '1', vars: 'bad-name: 1\n' }] })), 400, 'os.ansibleRoles[0].vars');
    expectFieldError(await post(os({ ansibleRoles: [{ name: 'r', version: '1' }, { name: 'r', version: '2' }] })), 400, 'os.ansibleRoles[1].version');
    expectFieldError(await post(os({ skipK8sInstall: true })), 400, 'os.kubernetesVersion');
    expectFieldError(await post(os({ skipK8sInstall: false, kubernetesVersion: '1.31.10' })), 400, 'os.kubernetesVersion');
  });

  it('bad semver', async () => {
    for (const version of ['1.2', 'v1.2.3', '01.2.3', 'latest']) {
      expectFieldError(await api.call('POST', `/v1/registries/${registryId}/packs`, { body: osPack({ version }) }), 400, 'version');
    }
  });

  it('a profile with two OS layers, or layers out of order', async () => {
    const ref = (packId: string) => ({ registryId: 'public', packId });
    const two = ['pk-ubuntu-22-04', 'pk-ubuntu-24-04', 'pk-kubernetes-1-31-10', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'].map(ref);
    const res = await api.call('POST', '/v1/profiles', { body: { name: 'two-os', layers: two } });
    expectFieldError(res, 400, 'layers');
    expect(res.body.message).toMatch(/exactly one os layer, found 2/);
    const swapped = ['pk-kubernetes-1-31-10', 'pk-ubuntu-22-04', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'].map(ref);
    expectFieldError(await api.call('POST', '/v1/profiles', { body: { name: 'swapped', layers: swapped } }), 400, 'layers[0]');
    const missing = ['pk-ubuntu-22-04', 'pk-kubernetes-1-31-10', 'pk-calico-3-29-3', 'pk-nope'].map(ref);
    expectFieldError(await api.call('POST', '/v1/profiles', { body: { name: 'missing', layers: missing } }), 400, 'layers[3].packId');
    // Nothing half-written: none of these profiles exists.
    const names = (await api.call('GET', '/v1/profiles')).body.items.map((p: { name: string }) => p.name);
    expect(names).toEqual(['ubuntu-k8s-calico']);
  });

  it('bodies over 256 KB', async () => {
    const big = 'x'.repeat(300 * 1024);
    const res = await api.call('POST', '/v1/registries', { body: { name: 'big', description: big } });
    expectFieldError(res, 413, 'body');
    expect((await api.call('GET', '/v1/registries')).body.items.map((r: { name: string }) => r.name)).not.toContain('big');
  });

  it('unknown ids, in the path and in the body', async () => {
    expectFieldError(await api.call('GET', '/v1/clusters/cl-doesnotexist'), 404, 'id');
    expectFieldError(await api.call('GET', '/v1/registries/reg-nope/packs'), 404, 'id');
    expectFieldError(await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { profileId: 'pf-nope' }) }), 404, 'profileId');
    expectFieldError(await api.call('POST', '/v1/clusters', { body: clusterBody('ca-nope') }), 404, 'cloudAccountId');
    expectFieldError(await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { profileRevision: 9 }) }), 404, 'profileRevision');
    expectFieldError(await api.call('GET', '/v1/profiles/pf-sample/revisions/abc'), 400, 'path.revision');
    expectFieldError(await api.call('GET', '/v1/clusters?limit=0'), 400, 'query.limit');
    expectFieldError(await api.call('GET', '/v1/clusters?cursor=garbage'), 400, 'query.cursor');
  });

  it('cluster shape: one odd-sized control plane, zones in the region, overrides of packs in the profile', async () => {
    const pools = clusterBody(accountId).nodePools;
    const even = [{ ...pools[0]!, count: 2 }, pools[1]!];
    expectFieldError(await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { nodePools: even }) }), 400, 'nodePools[0].count');
    const wrongZone = [pools[0]!, { ...pools[1]!, zones: ['us-west-2a'] }];
    expectFieldError(await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { nodePools: wrongZone }) }), 400, 'nodePools[1].zones[0]');
    expectFieldError(await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { nodePools: [pools[1]!] }) }), 400, 'nodePools');
    expectFieldError(await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { overrides: { nginx: 'a: 1' } }) }), 400, 'overrides.nginx');
    expectFieldError(
      await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { osPatch: { frequency: 'cron', cron: 'every sunday' } }) }),
      400,
      'osPatch.cron',
    );
    // Nothing half-written: the name is still free.
    expect((await api.call('POST', '/v1/clusters', { body: clusterBody(accountId) })).status).toBe(201);
  });

  it('status endpoints: bad query values, unknown clusters and nodes', async () => {
    const id = (await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'status-checks' }) })).body.id;
    expectFieldError(await api.call('GET', `/v1/clusters/${id}/usage?window=2h`), 400, 'query.window');
    expectFieldError(await api.call('GET', `/v1/clusters/${id}/usage?includeControlPlane=yes`), 400, 'query.includeControlPlane');
    expectFieldError(await api.call('GET', `/v1/clusters/${id}/usage?colour=blue`), 400, 'query.colour');
    expectFieldError(await api.call('GET', `/v1/clusters/${id}/events?limit=1000`), 400, 'query.limit');
    expectFieldError(await api.call('GET', `/v1/clusters/${id}/nodes/nope`), 404, 'path.name');
    for (const sub of ['conditions', 'events', 'nodes', 'usage', 'services']) {
      expectFieldError(await api.call('GET', `/v1/clusters/cl-nope/${sub}`), 404, 'id');
    }
  });

  it('odd path values, foreign cursors and invalid CIDRs are 400, not 500', async () => {
    expectFieldError(await api.call('GET', '/v1/clusters/%E0%A4%A'), 400, 'path.id');
    expectFieldError(await api.call('GET', `/v1/profiles/${'a'.repeat(3000)}`), 400, 'path.id');
    const page = await api.call('GET', '/v1/cloudaccounts?limit=1');
    await api.call('POST', '/v1/cloudaccounts', { body: { name: 'second', spec: { type: 'local' } } });
    const cursor = (await api.call('GET', '/v1/cloudaccounts?limit=1')).body.nextCursor ?? page.body.nextCursor;
    expect(cursor).toBeDefined();
    expectFieldError(await api.call('GET', `/v1/clusters?cursor=${cursor}`), 400, 'query.cursor');
    const forged = Buffer.from(JSON.stringify({ pk: 'T#default', sk: 'CLUSTER#a', x: 1 })).toString('base64url');
    expectFieldError(await api.call('GET', `/v1/clusters?cursor=${forged}`), 400, 'query.cursor');
    const cidr = clusterBody(accountId, { name: 'cidr', apiAccess: { public: true, allowedCidrs: ['999.1.1.1/99'] } });
    expectFieldError(await api.call('POST', '/v1/clusters', { body: cidr }), 400, 'apiAccess.allowedCidrs[0]');
    expectFieldError(await api.call('POST', '/v1/tenants', { body: { name: 'public' } }), 400, 'name');
  });

  it('a profile whose packs do not fit one revision is refused naming the layers', async () => {
    const big = { type: 'manifests', manifests: `# ${'x'.repeat(190 * 1024)}\n` };
    const ids: string[] = [];
    for (const name of ['big-a', 'big-b']) {
      const made = await api.call('POST', `/v1/registries/${registryId}/packs`, { body: { layer: 'addon', name, version: '1.0.0', content: big } });
      expect(made.status).toBe(201);
      ids.push(made.body.id);
    }
    const layers = [
      ...['pk-ubuntu-22-04', 'pk-kubernetes-1-31-10', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'].map((packId) => ({ registryId: 'public', packId })),
      ...ids.map((packId) => ({ registryId, packId })),
    ];
    const res = await api.call('POST', '/v1/profiles', { body: { name: 'too-big', layers } });
    expectFieldError(res, 400, 'layers');
    expect(res.body.message).toMatch(/a revision holds at most 300 KB/);
  });

  it('unknown paths and methods', async () => {
    expect((await api.call('GET', '/v1/nothing')).status).toBe(404);
    expect((await api.call('PATCH', '/v1/clusters')).status).toBe(405);
  });
});

describe('placement the provider does not offer is refused at once, naming the field', () => {
  it('an unknown region, zone or instance type of the simulated cloud', async () => {
    const region = await api.call('POST', '/v1/clusters', {
      body: clusterBody(accountId, { name: 'nowhere', region: 'sim-north-1', nodePools: [{ name: 'cp', role: 'controlPlane', count: 1, instanceType: 'sim.large', zones: ['sim-north-1a'] }] }),
    });
    expectFieldError(region, 400, 'region');
    const pools = clusterBody(accountId).nodePools;
    pools[1] = { ...pools[1]!, zones: ['sim-east-1a', 'sim-east-1z'], instanceType: 'sim.mega' };
    const res = await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'misplaced', nodePools: pools }) });
    expectFieldError(res, 400, 'nodePools[1].zones[1]');
    expectFieldError(res, 400, 'nodePools[1].instanceType');
    expect((await api.call('GET', '/v1/clusters?limit=100')).body.items.map((c: any) => c.name)).not.toContain('misplaced');
  });
});

describe('the contract is exact', () => {
  it('bodies must be application/json: anything else is 415 naming the header', async () => {
    const body = JSON.stringify({ name: 'typed' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
      expectFieldError(await api.call('POST', '/v1/registries', { raw: body, headers: { 'content-type': type } }), 415, 'headers.content-type');
    }
    expectFieldError(await api.call('POST', '/v1/registries', { raw: body, headers: { 'content-type': '' } }), 415, 'headers.content-type');
    const ok = await api.call('POST', '/v1/registries', { raw: body, headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(ok.status).toBe(201);
  });

  it('names and descriptions refuse NUL, control characters and unpaired surrogates', async () => {
    for (const description of ['a\u0000b', 'bell\u0007', 'lone \ud800 high', 'lone \udc00 low']) {
      expectFieldError(await api.call('POST', '/v1/registries', { body: { name: 'texty', description } }), 400, 'description');
    }
    expectFieldError(await api.call('POST', '/v1/apikeys', { body: { name: 'ci\u0000', role: 'viewer' } }), 400, 'name');
    const fine = await api.call('POST', '/v1/registries', { body: { name: 'texty', description: 'Zoë’s team 🚀\nsecond line\ttabbed' } });
    expect(fine.status).toBe(201);
    expect(fine.body.description).toBe('Zoë’s team 🚀\nsecond line\ttabbed');
  });

  it('a diff without from or to is a 400 naming the parameter', async () => {
    expectFieldError(await api.call('GET', '/v1/profiles/pf-sample/diff'), 400, 'query.from');
    expectFieldError(await api.call('GET', '/v1/profiles/pf-sample/diff?from=1'), 400, 'query.to');
    expectFieldError(await api.call('GET', '/v1/profiles/pf-sample/diff?from=one&to=1'), 400, 'query.from');
    expect((await api.call('GET', '/v1/profiles/pf-sample/diff?from=1&to=1')).status).toBe(200);
  });

  it('a filtered list never answers an empty page with a cursor, and pages cover every item once', async () => {
    const reg = (await api.call('POST', '/v1/registries', { body: { name: 'paged' } })).body.id;
    const addon = (i: number) => ({ layer: 'addon', name: `tool-${i}`, version: '1.0.0' });
    for (let i = 0; i < 7; i++) expect((await api.call('POST', `/v1/registries/${reg}/packs`, { body: addon(i) })).status).toBe(201);
    expect((await api.call('POST', `/v1/registries/${reg}/packs`, { body: osPack() })).status).toBe(201);

    const os = await api.call('GET', `/v1/registries/${reg}/packs?layer=os&limit=1`);
    expect(os.body.items.map((p: { name: string }) => p.name)).toEqual(['my-ubuntu']);
    expect(os.body.nextCursor).toBeUndefined();

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.call('GET', `/v1/registries/${reg}/packs?layer=addon&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      if (page.body.nextCursor) expect(page.body.items).toHaveLength(2);
      seen.push(...page.body.items.map((p: { name: string }) => p.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `tool-${i}`));
  });
});
