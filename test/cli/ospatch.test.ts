import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bundleCli } from '../../cli/build.js';
import { strataFor } from './run-strata.js';
import { clusterBody, eventually, startApi, type Api } from '../integration/harness.js';

/**
 * OS patching from the terminal, against a local runtime of this file: a weekly schedule in a
 * time zone set from flags (only what is given changes; a dry run writes nothing; a cron with
 * both days is refused naming the field), shown with its next runs; a run followed to its end,
 * node by node, one at a time, and each node's last patch on its own page.
 */
let api: Api;
let dir: string;
let clusterId: string;

const strataRun = strataFor(() => api, () => dir);
const strata = (...args: string[]) => strataRun(args);

const view = async () => (await api.call('GET', `/v1/clusters/${clusterId}/ospatch`)).body;

/** The weekday and clock of a moment in Berlin: Sun 03:00. */
const berlin = (iso: string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-ospatch-'));
  [api] = await Promise.all([startApi(), bundleCli()]);
  const account = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } });
  const made = await api.call('POST', '/v1/clusters', { body: clusterBody(account.body.id) });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  clusterId = made.body.id;
  await eventually(async () => ((await api.call('GET', `/v1/clusters/${clusterId}`)).body.phase === 'Running' ? true : undefined), 'demo Running', 40_000, 100);
}, 90_000);

afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('strata ospatch', { timeout: 60_000 }, () => {
  it('sets a weekly schedule in a time zone and prints its next runs; a later set changes only what it gives; a dry run writes nothing', async () => {
    const set = await strata('ospatch', 'set', 'cluster', 'demo', '--frequency', 'weekly', '--day', 'sun', '--time', '03:00', '--time-zone', 'Europe/Berlin', '--window', '180', '--reboot', '--patch-on-boot');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('cluster/demo OS patching set: weekly, SUN 03:00 Europe/Berlin, 3 h window, reboot if required, patch on boot');
    expect(set.stdout).toMatch(/^Schedule:\s+cron\(0 3 \? \* (SUN|1) \*\) \(Europe\/Berlin\)$/m);
    expect(set.stdout).toContain('Next runs (Europe/Berlin):');
    // Sunday 03:00 in Berlin, the window three hours on.
    const starts = [...set.stdout.matchAll(/^(\d{4}-\d\d-\d\d) 03:00 \(Europe\/Berlin\)\s+\1 06:00\s+\S+$/gm)];
    expect(starts).toHaveLength(5);
    const stored = await view();
    expect(stored.settings).toMatchObject({ frequency: 'weekly', dayOfWeek: 'SUN', timeOfDay: '03:00', timeZone: 'Europe/Berlin', windowMinutes: 180, rebootIfRequired: true, patchOnBoot: true });
    expect(stored.nextRuns.map((r: any) => berlin(r.at))).toEqual(Array(5).fill('Sun 03:00'));

    const later = await strata('ospatch', 'set', 'cluster', 'demo', '--time', '04:30', '--no-patch-on-boot');
    expect(later.code, later.stderr).toBe(0);
    expect((await view()).settings).toMatchObject({ frequency: 'weekly', dayOfWeek: 'SUN', timeOfDay: '04:30', timeZone: 'Europe/Berlin', windowMinutes: 180, rebootIfRequired: true, patchOnBoot: false });

    const dry = await strata('ospatch', 'set', 'cluster', 'demo', '--frequency', 'daily', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('cluster/demo OS patching would be: daily, 04:30 Europe/Berlin');
    expect(dry.stdout).toContain('Dry run: nothing was changed.');
    expect(dry.stdout.match(/^\d{4}-\d\d-\d\d 04:30 \(Europe\/Berlin\)/gm)).toHaveLength(5);
    expect((await view()).settings.frequency).toBe('weekly');
  });

  it("refuses a cron with both days, naming the field and its flag, and a schedule flag its frequency does not read; nothing changes", async () => {
    const before = (await view()).settings;
    const bad = await strata('ospatch', 'set', 'cluster', 'demo', '--cron', '0 3 15 * 1-5');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\(400 \w+\)/);
    expect(bad.stderr).toMatch(/^\s+(body\.)?cron: .*\(--cron\)$/m);

    const zone = await strata('ospatch', 'set', 'cluster', 'demo', '--time-zone', 'Mars/Olympus_Mons');
    expect(zone.code).toBe(1);
    expect(zone.stderr).toMatch(/^\s+(body\.)?timeZone: .*\(--time-zone\)$/m);

    const misplaced = await strata('ospatch', 'set', 'cluster', 'demo', '--day-of-month', '15');
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain('--day-of-month goes with --frequency monthly (the schedule is weekly)');
    expect((await view()).settings).toEqual(before);
  });

  it('shows the settings in words, the Scheduler expression and the next runs, and the view as YAML', async () => {
    const shown = await strata('ospatch', 'cluster', 'demo');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^Settings:\s+weekly, SUN 04:30 Europe\/Berlin, 3 h window, reboot if required, not on boot$/m);
    expect(shown.stdout).toMatch(/^START\s+WINDOW ENDS\s+IN$/m);
    expect(shown.stdout.match(/^\d{4}-\d\d-\d\d 04:30 \(Europe\/Berlin\)\s+\d{4}-\d\d-\d\d 07:30\s+\d+[smhd]$/gm)).toHaveLength(5);
    const yaml = parse((await strata('ospatch', 'cluster', 'demo', '-o', 'yaml')).stdout);
    expect(yaml).toMatchObject({ clusterId, settings: { frequency: 'weekly', timeZone: 'Europe/Berlin' } });
    expect(yaml.nextRuns).toHaveLength(5);
  });

  it('patches now and follows the run to its end, node by node; each node shows its last patch', async () => {
    const nodes: string[] = (await api.call('GET', `/v1/clusters/${clusterId}/nodes`)).body.items.map((n: any) => n.name);
    expect(nodes).toHaveLength(3);
    const run = await strata('ospatch', 'run', 'cluster', 'demo', '--wait', '--timeout', '50s');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const node of nodes) expect(run.stdout).toMatch(new RegExp(`^node ${node} patched: \\d+ packages?, (rebooted|no reboot|reboot required, not done)$`, 'm'));
    expect(run.stdout).toMatch(/^patch run \S+ Succeeded: \S/m);
    expect((await view()).runs[0].nodes.map((n: any) => n.status)).toEqual(['patched', 'patched', 'patched']);

    const shown = await strata('ospatch', 'cluster', 'demo');
    expect(shown.stdout).toMatch(/^Last runs \(Europe\/Berlin\):$/m);
    expect(shown.stdout).toMatch(/^\S+\s+manual\s+Succeeded\s+.*3 patched$/m);
    for (const node of nodes) expect(shown.stdout).toMatch(new RegExp(`^${node}\\s+patched\\s+\\d+\\s`, 'm'));

    // The agent's command per pool, summed up.
    const commands = await strata('get', 'commands', '-c', 'demo');
    expect(commands.stdout).toMatch(/\spatchNodes\s+Succeeded\s.*\s1 node\(s\) patched, 0 failed, 0 pending$/m);
    expect(commands.stdout).toMatch(/\spatchNodes\s+Succeeded\s.*\s2 node\(s\) patched, 0 failed, 0 pending$/m);

    const node = await strata('get', 'node', nodes[0]!, '-c', 'demo');
    expect(node.code, node.stderr).toBe(0);
    expect(node.stdout).toMatch(/^Last patch:\s+\S+Z \(\d+[smhd] ago\): patched, \d+ packages?, .* \(run \S+\)$/m);
  });

  it('refuses a second run while one is in progress, with the API message and where to see it; shows the active run', async () => {
    // A silent agent keeps the run in progress for as long as this takes.
    await api.call('POST', '/local/faults', { body: { cluster: clusterId, agent: 'silent' } });
    const first = await strata('ospatch', 'run', 'cluster', 'demo');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^patch run \S+ of cluster\/demo started: 3 node\(s\), window ends \S+Z;/m);
    const second = await strata('ospatch', 'run', 'cluster', 'demo');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/one run at a time; strata ospatch cluster demo shows the run in progress \(409 \w+\)/);
    const shown = await strata('ospatch', 'cluster', 'demo');
    expect(shown.stdout).toMatch(/^Active run:$/m);
    expect(shown.stdout).toMatch(/^Trigger:\s+manual/m);
    await api.call('POST', '/local/faults', { body: { cluster: clusterId, agent: 'reporting' } });
    await eventually(async () => ((await view()).activeRun ? undefined : true), 'the run ended', 40_000, 200);
  });

  it('--wait exits 1 when a node fails, saying which and why', async () => {
    const worker = (await api.call('GET', `/v1/clusters/${clusterId}/nodes`)).body.items.find((n: any) => n.pool === 'workers').name;
    await api.call('POST', '/local/faults', { body: { patch: { node: worker, mode: 'fail', message: 'E: dpkg was interrupted', times: 100 } } });
    const run = await strata('ospatch', 'run', 'cluster', 'demo', '--wait', '--timeout', '50s');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^node ${worker} failed \\(.*E: dpkg was interrupted.*\\)$`, 'm'));
    expect(run.stderr).toMatch(/^error: patch run \S+ Failed: /m);
  });
});
