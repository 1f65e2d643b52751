import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bundleCli } from '../../cli/build.js';
import { strataFor } from './run-strata.js';
import { clusterBody, eventually, startApi, type Api } from '../integration/harness.js';

/**
 * `strata get|describe|delete image` as a user runs them (the bundled CLI in a process of its own)
 * against a local runtime of this file, where a cluster on the public Ubuntu pack bakes an image
 * and a second cluster in another region gets a copy of it.
 */
let api: Api;
let dir: string;
let accountId: string;
const clusterIds = { demo: '', west: '' };

const strata = strataFor(() => api, () => dir);

const images = async (query = '') => (await api.call('GET', `/v1/images${query}`)).body.items as any[];
const phaseOf = async (id: string) => (await api.call('GET', `/v1/clusters/${id}`)).body.phase as string;

async function createCluster(name: string, region: string): Promise<string> {
  const body = clusterBody(accountId, {
    name,
    region,
    nodePools: [
      { name: 'cp', role: 'controlPlane', count: 1, instanceType: 'sim.large', zones: [`${region}a`] },
      { name: 'workers', role: 'worker', count: 1, instanceType: 'sim.large', zones: [`${region}a`] },
    ],
  });
  const made = await api.call('POST', '/v1/clusters', { body });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  return made.body.id;
}

async function running(id: string): Promise<void> {
  await eventually(
    async () => {
      const phase = await phaseOf(id);
      if (phase === 'Failed') throw new Error(`cluster ${id} Failed: ${JSON.stringify((await api.call('GET', `/v1/clusters/${id}/conditions`)).body.items.filter((c: any) => c.status === 'False'))}`);
      return phase === 'Running' ? true : undefined;
    },
    `cluster ${id} Running`,
    120_000,
    200,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-cli-images-'));
  [api] = await Promise.all([startApi(), bundleCli()]);
  const account = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } });
  expect(account.status).toBe(201);
  accountId = account.body.id;
  // One cluster bakes the image in sim-east-1; the next, in sim-west-1, gets it copied there.
  clusterIds.demo = await createCluster('demo', 'sim-east-1');
  await running(clusterIds.demo);
  clusterIds.west = await createCluster('west', 'sim-west-1');
  await running(clusterIds.west);
}, 300_000);

afterAll(async () => {
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('strata … image', { timeout: 120_000 }, () => {
  it('lists images as a table with their pack, status, stage, place, contents and last use', async () => {
    const run = await strata(['get', 'images']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+PACK\s+STATUS\s+STAGE\s+CLOUD\s+REGION\s+IMAGE ID\s+K8S\s+ROLES\s+LAST USED$/);
    const [east] = await images('?region=sim-east-1');
    expect(east).toMatchObject({ status: 'Available', cloud: 'local', region: 'sim-east-1', source: { packName: 'ubuntu' } });
    expect(east.imageId).toBeTruthy();
    const row = lines.find((l) => l.startsWith(east.id));
    expect(row, run.stdout).toMatch(new RegExp(`^${east.id}\\s+ubuntu@${east.source.packVersion.replace(/\./g, '\\.')}\\s+Available\\s+done\\s+local\\s+sim-east-1\\s+${east.imageId}\\s+1\\.31\\.10\\s`));
    expect(row).toMatch(/\s\d+[smhd] ago$/);
    // The copy in sim-west-1 is listed too.
    expect(run.stdout).toMatch(/\slocal\s+sim-west-1\s/);
  });

  it('prints JSON and YAML, and filters by cloud, region, signature and pack', async () => {
    const all = await images();
    expect(all.length).toBeGreaterThanOrEqual(2);
    const json = JSON.parse((await strata(['get', 'images', '-o', 'json'])).stdout);
    expect(json.map((i: any) => i.id).sort()).toEqual(all.map((i) => i.id).sort());
    const yaml = parse((await strata(['get', 'images', '--region', 'sim-west-1', '-o', 'yaml'])).stdout);
    expect(yaml.map((i: any) => i.region)).toEqual(yaml.map(() => 'sim-west-1'));
    expect(yaml.length).toBeGreaterThan(0);

    const aws = await strata(['get', 'images', '--cloud', 'aws']);
    expect(aws.code, aws.stderr).toBe(0);
    expect(aws.stdout).toBe('');
    expect(aws.stderr).toBe('No images found.\n');

    const east = all.find((i) => i.region === 'sim-east-1');
    const bySignature = JSON.parse((await strata(['get', 'images', '--signature', east.signature, '--cloud', 'local', '-o', 'json'])).stdout);
    expect(bySignature.map((i: any) => i.region).sort()).toEqual(['sim-east-1', 'sim-west-1']);
    const bad = await strata(['get', 'images', '--signature', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('400');
    expect(bad.stderr).toMatch(/signature/);

    // A pack by name (every version), by name@version and by id.
    for (const ref of ['ubuntu', `ubuntu@${east.source.packVersion}`, east.source.packId]) {
      const byPack = JSON.parse((await strata(['get', 'images', '--pack', ref, '-o', 'json'])).stdout);
      expect(byPack.map((i: any) => i.id).sort(), ref).toEqual(all.filter((i) => i.source.packId === east.source.packId).map((i) => i.id).sort());
    }
    const noPack = await strata(['get', 'images', '--pack', 'no-such-os']);
    expect(noPack.code).toBe(1);
    expect(noPack.stderr).toContain('no pack "no-such-os"');
    expect((await strata(['get', 'images', '--cloud', 'gcp'])).code).toBe(2);
  });

  it('shows one image by id, with the clusters that use it; by its cloud name, every region it is in', async () => {
    const [east] = await images('?region=sim-east-1');
    const one = await strata(['get', 'image', east.id]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout.split('\n')[0]).toMatch(/\sLAST USED\s+USED BY$/);
    expect(one.stdout).toMatch(new RegExp(`^${east.id}\\s.*\\sdemo$`, 'm'));
    const json = JSON.parse((await strata(['get', 'image', east.id, '-o', 'json'])).stdout);
    expect(json).toEqual((await api.call('GET', `/v1/images/${east.id}`)).body);

    const byName = await strata(['get', 'image', east.name]);
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout.trimEnd().split('\n')).toHaveLength(3);
    const missing = await strata(['get', 'image', 'img-nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no image "img-nope"');
  });

  it('describes an image in full: signature, contents, copy, usedBy', async () => {
    const [east] = await images('?region=sim-east-1');
    const [west] = await images('?region=sim-west-1');
    const run = await strata(['describe', 'image', east.id]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Image:\\s+${east.id}$`, 'm'));
    expect(run.stdout).toMatch(/^Status:\s+Available/m);
    expect(run.stdout).toMatch(new RegExp(`^Signature:\\s+${east.signature}$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^Image ID:\\s+${east.imageId}$`, 'm'));
    expect(run.stdout).toMatch(/^Kubernetes:\s+1\.31\.10$/m);
    expect(run.stdout).toMatch(/^Arch:\s+amd64$/m);
    expect(run.stdout).toMatch(new RegExp(`^Requested by:\\s+cluster ${clusterIds.demo}$`, 'm'));
    expect(run.stdout).toMatch(/^Used by:$/m);
    expect(run.stdout).toMatch(/^CLUSTER\s+ID\s+PHASE$/m);
    expect(run.stdout).toMatch(new RegExp(`^demo\\s+${clusterIds.demo}\\s+Running$`, 'm'));
    expect(east.customization?.succeeded).toBe(true);
    expect(run.stdout).toMatch(/^Customization:\s+succeeded /m);
    // The playbook's words, every line of them, indented under their label.
    const lastLine = east.customization.message.trimEnd().split('\n').at(-1);
    expect(run.stdout).toContain(`Customization message:\n  `);
    expect(run.stdout).toContain(`  ${lastLine}\n`);

    const copy = await strata(['describe', 'image', west.id]);
    expect(copy.code, copy.stderr).toBe(0);
    expect(west.copiedFrom).toEqual({ region: 'sim-east-1', imageId: east.imageId });
    expect(copy.stdout).toMatch(new RegExp(`^Copied from:\\s+${west.copiedFrom.region} image ${west.copiedFrom.imageId}$`, 'm'));
    expect(copy.stdout).toMatch(new RegExp(`^west\\s+${clusterIds.west}\\s+Running$`, 'm'));

    const yaml = parse((await strata(['describe', 'image', east.id, '-o', 'yaml'])).stdout);
    expect(yaml.usedBy).toEqual([{ clusterId: clusterIds.demo, name: 'demo', phase: 'Running' }]);
  });

  it("refuses to delete an image a cluster uses, printing the API's 409 message; deletes it once none does", async () => {
    const [west] = await images('?region=sim-west-1');
    const refused = await strata(['delete', 'image', west.id, '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: .*west.* \(409 \w+\)$/m);
    expect((await api.call('GET', `/v1/images/${west.id}`)).status).toBe(200);
    // No terminal and no --yes: nothing is deleted.
    expect((await strata(['delete', 'image', west.id])).code).toBe(2);

    expect((await api.call('DELETE', `/v1/clusters/${clusterIds.west}`)).status).toBe(202);
    await eventually(async () => ((await phaseOf(clusterIds.west)) === 'Deleted' ? true : undefined), 'cluster west Deleted', 90_000, 200);
    const deleted = await strata(['delete', 'image', west.id, '--yes']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe(`image/${west.id} deleted\n`);
    await eventually(async () => {
      const r = await api.call('GET', `/v1/images/${west.id}`);
      return r.status === 404 || r.body.status === 'Deleting' ? true : undefined;
    }, 'the image gone or going');
  });

  it("shows an OS pack's Kubernetes and its roles with the version or digest that pins each", async () => {
    const ubuntu = await strata(['get', 'pack', 'ubuntu@22.4.5']);
    expect(ubuntu.code, ubuntu.stderr).toBe(0);
    expect(ubuntu.stdout).toMatch(/^Arch:\s+amd64$/m);
    expect(ubuntu.stdout).toMatch(/^Kubernetes:\s+installed at the profile's version when the image is baked$/m);
    expect(ubuntu.stdout).toMatch(/^Images:\s+.*local \([^)]*sim-east-1/m);

    const registry = await api.call('POST', '/v1/registries', { body: { name: 'mine' } });
    expect(registry.status, JSON.stringify(registry.body)).toBe(201);
    const digest = `sha256:${'ab'.repeat(32)}`;
    const pack = await api.call('POST', `/v1/registries/${registry.body.id}/packs`, {
      body: {
        layer: 'os',
        name: 'golden',
        version: '1.0.0',
        os: {
          images: { local: { 'sim-east-1': 'sim-ubuntu-22.04' } },
          skipK8sInstall: true,
          kubernetesVersion: '1.31.10',
          ansibleRoles: [
            { name: 'geerlingguy.ntp', version: '2.3.3' },
            { name: 'hardening', source: 'https://example.com/roles/hardening-1.4.0.tar.gz', digest },
          ],
        },
      },
    });
    expect(pack.status, JSON.stringify(pack.body)).toBe(201);
    const golden = await strata(['get', 'pack', 'golden@1.0.0', '--registry', 'mine']);
    expect(golden.code, golden.stderr).toBe(0);
    expect(golden.stdout).toMatch(/^Kubernetes:\s+1\.31\.10, shipped by the image$/m);
    expect(golden.stdout).toMatch(/^ROLE\s+SOURCE\s+VERSION\s+DIGEST$/m);
    expect(golden.stdout).toMatch(/^geerlingguy\.ntp\s+2\.3\.3$/m);
    expect(golden.stdout).toMatch(new RegExp(`^hardening\\s+https://example\\.com/roles/hardening-1\\.4\\.0\\.tar\\.gz\\s+${digest}$`, 'm'));
  });

  it("shows a failed bake: Failed in the list, the playbook's own words in describe", async () => {
    let nobleId: string | undefined;
    const fatal = 'fatal: [localhost]: FAILED! => {"msg": "sshd_config missing"}';
    expect((await api.call('POST', '/local/faults', { body: { bake: 'fail', message: `TASK [security : apply CIS rules] ***\n${fatal}` } })).status).toBe(201);
    try {
      // Ubuntu 24.04: another signature, so another bake.
      const layers = ['pk-ubuntu-24-04', 'pk-kubernetes-1-31-10', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'].map((packId) => ({ registryId: 'public', packId }));
      const profile = await api.call('POST', '/v1/profiles', { body: { name: 'noble', layers } });
      expect(profile.status, JSON.stringify(profile.body)).toBe(201);
      const made = await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'noble', profileId: profile.body.id }) });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      nobleId = made.body.id;
      const failed = await eventually(async () => (await images('?pack=pk-ubuntu-24-04')).find((i) => i.status === 'Failed'), 'the Ubuntu 24.04 bake Failed', 60_000, 200);

      const list = await strata(['get', 'images', '--pack', 'ubuntu@24.4.2']);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toMatch(new RegExp(`^${failed.id}\\s+ubuntu@24\\.4\\.2\\s+Failed\\s`, 'm'));
      const run = await strata(['describe', 'image', failed.id]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^Status:\s+Failed/m);
      expect(run.stdout).toMatch(new RegExp(`^Failure:\\s+${failed.failure.code}, (not )?retryable, `, 'm'));
      expect(run.stdout).toMatch(/^Image ID:\s+\(not made yet\)$/m);
      expect(run.stdout).toContain(`Failure message:\n  TASK [security : apply CIS rules] ***\n  ${fatal}\n`);
      // The playbook's output is the failure's message: said once.
      expect(run.stdout.split(fatal)).toHaveLength(2);
      expect(run.stdout).toMatch(/^Used by:\s+no cluster$/m);
    } finally {
      await api.call('DELETE', '/local/faults');
      if (nobleId) await api.call('DELETE', `/v1/clusters/${nobleId}`);
    }
  });
});
