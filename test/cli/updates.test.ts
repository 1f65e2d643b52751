import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../../cli/build.js';
import { strataFor } from './run-strata.js';
import { clusterBody, eventually, startApi, type Api } from '../integration/harness.js';

/**
 * Profile updates from the terminal, against a local runtime of this file: a cluster whose
 * override of calico's MTU conflicts with the profile's next revision; the pending update shown,
 * apply-update refused until the conflict is resolved, then applied; its history; a pack's values
 * shown and its override set.
 */
let api: Api;
let dir: string;
let clusterId: string;

const CALICO_V1 = 'calicoNetwork:\n  mtu: 1440\nlogLevel: info\n';
const CALICO_V2 = 'calicoNetwork:\n  mtu: 1400\nlogLevel: debug\n';

const strataRun = strataFor(() => api, () => dir);
const strata = (...args: string[]) => strataRun(args);

const cluster = async () => (await api.call('GET', `/v1/clusters/${clusterId}`)).body;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-updates-'));
  [api] = await Promise.all([startApi(), bundleCli()]);
  const account = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } });
  const sample = (await api.call('GET', '/v1/profiles/pf-sample')).body;
  const layers = (calico: string) => sample.layers.map((l: any) => ({ registryId: l.registryId, packId: l.packId, ...(l.name === 'calico' ? { values: calico } : {}) }));
  const profile = await api.call('POST', '/v1/profiles', { body: { name: 'edge', layers: layers(CALICO_V1) } });
  expect(profile.status, JSON.stringify(profile.body)).toBe(201);
  const made = await api.call('POST', '/v1/clusters', { body: clusterBody(account.body.id, { profileId: profile.body.id, overrides: { calico: 'calicoNetwork:\n  mtu: 1300\n' } }) });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  clusterId = made.body.id;
  await eventually(async () => ((await cluster()).phase === 'Running' ? true : undefined), 'demo Running', 40_000, 100);
  const revised = await api.call('PUT', `/v1/profiles/${profile.body.id}`, { body: { version: profile.body.version, layers: layers(CALICO_V2) } });
  expect(revised.status, JSON.stringify(revised.body)).toBe(200);
}, 90_000);

afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('strata profile updates', { timeout: 60_000 }, () => {
  it('marks the cluster behind in get clusters, and shows the update with its conflict and the flags to settle it', async () => {
    const list = await strata('get', 'clusters');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/\sUPDATE\s/);
    expect(list.stdout).toMatch(/^demo\s.*\sedge@1\s+r2 \(1 behind\)\s/m);

    const run = await strata('updates', 'cluster', 'demo');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Cluster demo, profile edge: revision 1 → 2 (1 behind)');
    expect(run.stdout).toMatch(/^\s+cni\s+~ calico values$/m);
    expect(run.stdout).toMatch(/~ calicoNetwork\.mtu: 1440 → 1400\s+\(cluster: 1300\)\s+CONFLICT$/m);
    expect(run.stdout).toMatch(/~ logLevel: info → debug$/m);
    expect(run.stdout).toContain('--resolve calico/calicoNetwork.mtu=keepCluster');

    const json = JSON.parse((await strata('updates', 'cluster', 'demo', '-o', 'json')).stdout);
    expect(json).toMatchObject({ currentRevision: 1, toRevision: 2, conflicts: ['calico/calicoNetwork.mtu'] });
  });

  it('refuses to apply with the conflict unresolved, naming the flags; previews and applies once it is resolved', async () => {
    const refused = await strata('apply-update', 'cluster', 'demo', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('1 conflict(s) not resolved');
    for (const choice of ['keepCluster', 'takeProfile', 'value:']) expect(refused.stderr).toContain(`--resolve calico/calicoNetwork.mtu=${choice}`);
    expect((await cluster()).profileRevision).toBe(1);

    const before = await cluster();
    const dry = await strata('apply-update', 'cluster', 'demo', '--resolve', 'calico/calicoNetwork.mtu=value:1350', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^\s+mtu: 1350$/m);
    expect(dry.stdout).toContain('Dry run: nothing was changed.');
    expect((await cluster()).version).toBe(before.version);

    const applied = await strata('apply-update', 'cluster', 'demo', '--resolve', 'calico/calicoNetwork.mtu=keepCluster', '--yes', '--wait', '--timeout', '40s');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/^cluster\/demo updated: revision 1 → 2, generation \d+/m);
    expect(applied.stdout).toMatch(/^cluster\/demo runs generation \d+$/m);
    const after = await cluster();
    expect(after.profileRevision).toBe(2);
    expect(after.overrides.calico).toContain('mtu: 1300');

    const now = await strata('updates', 'cluster', 'demo');
    expect(now.stdout).toContain('runs revision 2, the latest: up to date');
    const history = await strata('history', 'cluster', 'demo');
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toMatch(/^2 \(running\)\s+1\s+apply\s/m);
    expect(history.stdout).toMatch(/^1\s+create\s/m);
  });

  it("shows a pack's values and differences, sets the override from a file, and a dry run of clearing it changes nothing", async () => {
    const shown = await strata('values', 'cluster', 'demo', 'calico');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^Pack:\s+calico \S+ \(cni\)$/m);
    expect(shown.stdout).toMatch(/^calicoNetwork\.mtu\s+1400\s+1300$/m);

    const file = join(dir, 'calico.yaml');
    writeFileSync(file, 'calicoNetwork:\n  mtu: 1300\nlogLevel: warning\n');
    const set = await strata('values', 'cluster', 'demo', 'calico', '--set-file', file);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^logLevel\s+debug\s+warning$/m);
    expect((await cluster()).overrides.calico).toContain('logLevel: warning');

    const version = (await cluster()).version;
    const dry = await strata('values', 'cluster', 'demo', 'calico', '--clear', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("No differences: the cluster runs the profile's values.");
    expect(dry.stdout).toContain('Dry run: nothing was changed.');
    expect((await cluster()).version).toBe(version);
    expect((await strata('values', 'cluster', 'demo', 'calico', '--dry-run')).code).toBe(2);
  });
});
