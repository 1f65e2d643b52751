import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent } from '../../adapters/dynamodb/events-store.js';
import { untarGz } from '../../functions/commons/tar.js';
import { bundleCli } from '../../cli/build.js';
import { strataFor } from './run-strata.js';
import { clusterBody, eventually, startApi, type Api } from '../integration/harness.js';

/**
 * Troubleshooting and compliance from the terminal, against a local runtime of this file: events
 * filtered by type, reason and subject, one cluster's and every cluster's (with its CLUSTER); a
 * log bundle asked for, waited for and saved as a real tar.gz whose manifest lists the types; a
 * kube-bench scan waited for, its failing checks shown before the history, and the tenant's
 * clusters sorted by most failing.
 */
let api: Api;
let dir: string;
let demoId: string;
let otherId: string;

const strataRun = strataFor(() => api, () => dir);
const strata = (...args: string[]) => strataRun(args);

const running = (id: string) => eventually(async () => ((await api.call('GET', `/v1/clusters/${id}`)).body.phase === 'Running' ? true : undefined), `${id} Running`, 40_000, 100);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-troubleshooting-'));
  [api] = await Promise.all([startApi(), bundleCli()]);
  const account = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } });
  const [demo, other] = await Promise.all([
    api.call('POST', '/v1/clusters', { body: clusterBody(account.body.id) }),
    api.call('POST', '/v1/clusters', { body: clusterBody(account.body.id, { name: 'other' }) }),
  ]);
  expect(demo.status, JSON.stringify(demo.body)).toBe(201);
  expect(other.status, JSON.stringify(other.body)).toBe(201);
  demoId = demo.body.id;
  otherId = other.body.id;
  await Promise.all([running(demoId), running(otherId)]);
}, 90_000);

afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('strata events, logs and compliance', { timeout: 60_000 }, () => {
  it('filters events by type, reason and subject, for one cluster and across the tenant with a CLUSTER column', async () => {
    const tenantId = 'default';
    await appendEvent({ tenantId, clusterId: demoId, type: 'Warning', reason: 'DiskPressureSeen', subject: 'demo-workers-0', message: 'disk 92 % full' });
    await appendEvent({ tenantId, clusterId: otherId, type: 'Warning', reason: 'DiskPressureSeen', subject: 'other-workers-1', message: 'disk 95 % full' });
    await appendEvent({ tenantId, clusterId: demoId, type: 'Normal', reason: 'DiskCleaned', subject: 'demo-workers-0', message: 'images pruned' });

    const warnings = await strata('events', 'cluster', 'demo', '--type', 'Warning', '-o', 'json');
    expect(warnings.code, warnings.stderr).toBe(0);
    const items = JSON.parse(warnings.stdout);
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((e: any) => e.type === 'Warning' && e.clusterId === demoId)).toBe(true);
    expect(items.map((e: any) => e.reason)).toContain('DiskPressureSeen');

    const byReason = await strata('events', 'cluster', 'demo', '--reason', 'DiskPressureSeen,DiskCleaned', '--subject', 'demo-workers-0', '--since', '1h');
    expect(byReason.code, byReason.stderr).toBe(0);
    expect(byReason.stdout).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
    const lines = byReason.stdout.trim().split('\n').slice(1);
    expect(lines).toHaveLength(2);
    expect(byReason.stdout).toMatch(/^\d+s\s+Warning\s+DiskPressureSeen\s+demo-workers-0\s+disk 92 % full$/m);
    expect(byReason.stdout).toMatch(/^\d+s\s+Normal\s+DiskCleaned\s+demo-workers-0\s+images pruned$/m);

    const tenant = await strata('events', '--reason', 'DiskPressureSeen');
    expect(tenant.code, tenant.stderr).toBe(0);
    expect(tenant.stdout).toMatch(/^LAST SEEN\s+CLUSTER\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
    expect(tenant.stdout).toMatch(/^\d+s\s+demo\s+Warning\s+DiskPressureSeen\s+demo-workers-0\s+disk 92 % full$/m);
    expect(tenant.stdout).toMatch(/^\d+s\s+other\s+Warning\s+DiskPressureSeen\s+other-workers-1\s+disk 95 % full$/m);
    expect(tenant.stdout.trim().split('\n')).toHaveLength(3);

    // A folded event shows its count and when it was first seen.
    await appendEvent({ tenantId, clusterId: demoId, type: 'Warning', reason: 'DiskPressureSeen', subject: 'demo-workers-0', message: 'disk 92 % full' });
    const folded = await strata('events', 'cluster', 'demo', '--reason', 'DiskPressureSeen');
    expect(folded.stdout).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+COUNT\s+FIRST SEEN\s+MESSAGE$/m);
    expect(folded.stdout).toMatch(/^\d+s\s+Warning\s+DiskPressureSeen\s+demo-workers-0\s+2\s+\d+s\s+disk 92 % full$/m);

    const none = await strata('events', 'cluster', 'other', '--reason', 'DiskCleaned');
    expect(none.stdout).toBe('No events matching the filters for cluster other.\n');
    const bad = await strata('events', '--reason', 'not a reason');
    expect(bad.code).toBe(2);
  });

  it('asks for a log bundle, waits, and saves a real tar.gz whose manifest lists the types; lists the requests', async () => {
    const file = join(dir, 'b.tar.gz');
    const run = await strata('logs', 'cluster', 'demo', '--types', 'kube-system,node', '--since', '30m', '--output', file);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stderr).toMatch(/^log request \S+ of cluster\/demo: kube-system,node, last 30m, at most 5000 lines a file$/m);
    expect(run.stderr).toMatch(/^log request \S+: Ready$/m);
    expect(run.stderr).toMatch(/^downloading .*b\.tar\.gz: \S+ \S+ of \S+ \S+ \(100 %\)$/m);
    expect(run.stdout).toMatch(/^cluster\/demo logs saved to .*b\.tar\.gz \(\S+ \S+\): \d+ file\(s\), /m);
    // Written beside, then renamed: nothing half-written is left.
    expect(readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);

    const files = await untarGz(readFileSync(file));
    const manifestEntry = [...files.entries()].find(([path]) => path.replace(/^\/+/, '') === 'manifest.json');
    expect(manifestEntry, [...files.keys()].join(', ')).toBeDefined();
    const manifest = JSON.parse(manifestEntry![1].content.toString());
    expect(manifest.clusterId).toBe(demoId);
    expect(manifest.request).toMatchObject({ types: ['kube-system', 'node'], sinceMinutes: 30 });
    const listed = new Set(manifest.files.map((f: any) => f.type));
    expect(listed.has('platform')).toBe(false);
    expect([...listed].every((t) => t === 'kube-system' || t === 'node')).toBe(true);
    expect(manifest.files.length).toBeGreaterThan(0);
    const id = /^log request (\S+): Ready$/m.exec(run.stderr)![1]!;
    const request = (await api.call('GET', `/v1/clusters/${demoId}/logs/${id}`)).body;
    expect(run.stdout).toContain(`${request.files} file(s)`);

    const list = await strata('logs', 'cluster', 'demo');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^REQUEST\s+STATUS\s+TYPES\s+NODES\s+SINCE\s+FILES\s+MISSING\s+SIZE\s+AGE\s+BY\s+MESSAGE$/m);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+Ready\\s+kube-system,node\\s+all\\s+30m\\s+\\d+\\s+\\d+\\s+\\S+ \\S+\\s`, 'm'));

    const noFile = await strata('logs', 'cluster', 'demo', '--types', 'platform');
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain('--output FILE');
  });

  it('scans with --wait and shows failing checks before the history; the tenant table puts the most failing first', async () => {
    const scan = await strata('compliance', 'scan', 'cluster', 'demo', '--wait', '--timeout', '50s');
    expect(scan.code, `${scan.stdout}\n${scan.stderr}`).toBe(0);
    expect(scan.stdout).toMatch(/^scan \S+ done: \d+ pass, \d+ fail, \d+ warn, \d+ info$/m);

    const shown = await strata('compliance', 'cluster', 'demo');
    expect(shown.code, shown.stderr).toBe(0);
    const c = (await api.call('GET', `/v1/clusters/${demoId}/compliance`)).body;
    expect(c.latest.failing.length).toBeGreaterThan(0);
    expect(shown.stdout).toMatch(/^TARGET\s+CONTROLS\s+VERSION\s+PASS\s+FAIL\s+WARN\s+INFO$/m);
    const failingAt = shown.stdout.search(/^Failing checks \(\d+/m);
    const historyAt = shown.stdout.search(/^History:$/m);
    expect(failingAt).toBeGreaterThan(shown.stdout.search(/^TARGET\s/m));
    expect(historyAt).toBeGreaterThan(failingAt);
    const first = c.latest.failing[0];
    expect(shown.stdout).toMatch(new RegExp(`^${first.id.replace(/\./g, '\\.')}\\s+${first.target}\\s+\\S`, 'm'));
    expect(shown.stdout).toMatch(new RegExp(`^Totals:\\s+${c.latest.totals.pass} pass, ${c.latest.totals.fail} fail, ${c.latest.totals.warn} warn, ${c.latest.totals.info} info$`, 'm'));

    const wide = await strata('compliance', 'cluster', 'demo', '-o', 'wide');
    expect(wide.stdout).toMatch(/^ID\s+TARGET\s+TEXT\s+REMEDIATION$/m);
    expect(wide.stdout).toContain(first.remediation.replace(/\s+/g, ' ').trim().slice(0, 40));

    const json = JSON.parse((await strata('compliance', 'cluster', 'demo', '-o', 'json')).stdout);
    expect(json.latest.id).toBe(c.latest.id);

    const tenant = await strata('compliance');
    expect(tenant.code, tenant.stderr).toBe(0);
    expect(tenant.stdout).toMatch(/^CLUSTER\s+PASS\s+FAIL\s+WARN\s+INFO\s+LAST RUN$/m);
    const rows = tenant.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s{2,}/));
    expect(rows.map((r) => r[0]).sort()).toEqual(['demo', 'other']);
    expect(rows.find((r) => r[0] === 'demo')!.slice(1, 3)).toEqual([String(c.latest.totals.pass), String(c.latest.totals.fail)]);
    // Most failing first; a cluster never scanned last.
    const fails = rows.map((r) => (r[2] === '—' ? -1 : Number(r[2])));
    expect(fails).toEqual([...fails].sort((a, b) => b - a));
  });
});
