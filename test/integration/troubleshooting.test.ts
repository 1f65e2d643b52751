import { readFileSync } from 'node:fs';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentToken } from '../../core/agent-token.js';
import { LogManifest } from '../../core/log-bundles.js';
import { LOCAL_ACCESS_KEY } from '../../local/s3-local.js';
import { untarGz } from '../../functions/commons/tar.js';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

/** The cap this runtime gives log bundles: small, so an oversized one is cheap to make. */
const CAP = 256 * 1024;

let api: Api;
let running: string; // its simulated agent collects and scans
let quiet: string; // its agent is this test
let viewer: string;
beforeAll(async () => {
  api = await startApi({ logBundleMaxBytes: CAP });
  const account = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  [running, quiet] = await Promise.all(
    (['runner', 'quiet'] as const).map(async (name) => {
      const id = (await api.call('POST', '/v1/clusters', { body: clusterBody(account, { name }) })).body.id as string;
      await eventually(async () => ((await api.call('GET', `/v1/clusters/${id}`)).body.phase === 'Running' ? true : undefined), `${name} Running`, 60_000);
      return id;
    }),
  ) as [string, string];
  await api.call('POST', '/local/faults', { body: { cluster: quiet, agent: 'silent' } });
  viewer = (await api.call('POST', '/v1/apikeys', { body: { name: 'reader', role: 'viewer' } })).body.key;
}, 90_000);
afterAll(() => api.stop());

const token = (clusterId: string) => agentToken(process.env.PLATFORM_SECRET!, 'default', clusterId);

/** The files of a tar.gz, by name, as text. */
const untar = async (archive: Buffer) => new Map([...(await untarGz(archive))].map(([name, f]) => [name.replace(/^\//, ''), f.content.toString('utf8')]));

async function requestLogs(clusterId: string, body: unknown) {
  const made = await api.call('POST', `/v1/clusters/${clusterId}/logs`, { body });
  expect(made.status, JSON.stringify(made.body)).toBe(202);
  return made.body;
}

const settled = (clusterId: string, requestId: string) =>
  eventually(async () => {
    const r = (await api.call('GET', `/v1/clusters/${clusterId}/logs/${requestId}`)).body;
    return r.status === 'Ready' || r.status === 'Failed' ? r : undefined;
  }, `log request ${requestId} settled`, 30_000);

describe('log bundles', () => {
  it('turn Ready with an archive holding the requested types and a manifest of what was and was not collected', async () => {
    const made = await requestLogs(running, { types: ['kube-system', 'node'], nodes: ['runner-workers-0', 'no-such-node'], sinceMinutes: 30, maxLines: 200 });
    expect(made).toMatchObject({ status: 'Pending', types: ['kube-system', 'node'], sinceMinutes: 30, maxLines: 200 });
    const ready = await settled(running, made.id);
    expect(ready.status, ready.message).toBe('Ready');
    expect(ready.download.fileName).toBe(`runner-logs-${made.id}.tar.gz`);
    const res = await fetch(ready.download.url);
    expect(res.status).toBe(200);
    const archive = Buffer.from(await res.arrayBuffer());
    expect(archive.length).toBe(ready.bytes);
    const files = await untar(archive);
    const manifest = LogManifest.parse(JSON.parse(files.get('manifest.json')!));
    expect(manifest).toMatchObject({ requestId: made.id, clusterId: running, request: { types: ['kube-system', 'node'], sinceMinutes: 30, maxLines: 200 } });
    expect(new Set(manifest.files.map((f) => f.type))).toEqual(new Set(['kube-system', 'node']));
    // Every file the manifest lists is in the archive, with its size; nothing else but the manifest.
    expect([...files.keys()].filter((f) => f !== 'manifest.json').sort()).toEqual(manifest.files.map((f) => f.path).sort());
    for (const f of manifest.files) expect(Buffer.byteLength(files.get(f.path)!), f.path).toBe(f.bytes);
    expect(manifest.files.filter((f) => f.type === 'node').every((f) => f.node === 'runner-workers-0')).toBe(true);
    expect(manifest.files.every((f) => f.lines <= 200)).toBe(true);
    expect(manifest.missing).toEqual([expect.objectContaining({ type: 'node', target: 'no-such-node' })]);
    expect(ready).toMatchObject({ files: manifest.files.length, missing: 1 });
    // The list shows it too, without a URL (a URL comes with the request itself).
    const listed = (await api.call('GET', `/v1/clusters/${running}/logs`)).body.items.find((r: any) => r.id === made.id);
    expect(listed).toMatchObject({ status: 'Ready' });
    expect(listed.download).toBeUndefined();
  });

  it('hand out download URLs that expire after 5 minutes, and s3rver refuses an expired one', async () => {
    const made = await requestLogs(running, { types: ['platform'] });
    const ready = await settled(running, made.id);
    const url = new URL(ready.download.url);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    const signedAt = Date.parse(url.searchParams.get('X-Amz-Date')!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
    expect(Date.parse(ready.download.expiresAt) - signedAt).toBeGreaterThanOrEqual(300_000);
    expect(Date.parse(ready.download.expiresAt) - signedAt).toBeLessThan(301_000);
    expect((await fetch(url)).status).toBe(200);
    // The same presigner, with the runtime's credentials, signing 6 minutes ago.
    const s3 = new S3Client({ endpoint: api.runtime.s3Endpoint, forcePathStyle: true, region: 'us-east-1', credentials: LOCAL_ACCESS_KEY });
    const key = url.pathname.split('/').slice(2).join('/');
    const stale = await getSignedUrl(s3, new GetObjectCommand({ Bucket: process.env.ARCHIVE_BUCKET!, Key: decodeURIComponent(key) }), { expiresIn: 300, signingDate: new Date(Date.now() - 360_000) });
    const refused = await fetch(stale);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/expired/i);
  });

  it('delete an archive found over the cap after upload, and fail the request', async () => {
    const made = await requestLogs(quiet, { types: ['kube-system'] });
    const commandId = made.commandId;
    // The agent asks for its form: over the cap it is refused at once.
    const tooBig = await api.call('POST', `/agent/v1/logs/${made.id}/upload`, { key: token(quiet), body: { bytes: CAP + 1 } });
    expect(tooBig.status).toBe(413);
    const form = await api.call('POST', `/agent/v1/logs/${made.id}/upload`, { key: token(quiet), body: { bytes: 1000 } });
    expect(form.status).toBe(200);
    expect(form.body.maxBytes).toBe(CAP);
    expect((await api.call('GET', `/v1/clusters/${quiet}/logs/${made.id}`)).body.status).toBe('Collecting');
    // A client that ignores the policy (s3rver does not enforce it; a bug could): twice the cap.
    const upload = new FormData();
    for (const [k, v] of Object.entries(form.body.fields as Record<string, string>)) upload.append(k, v);
    upload.append('file', new Blob([Buffer.alloc(CAP * 2, 1)]), 'bundle.tar.gz');
    expect((await fetch(form.body.url, { method: 'POST', body: upload })).status).toBe(204);
    const reported = await api.call('POST', `/agent/v1/commands/${commandId}/result`, { key: token(quiet), body: { status: 'Succeeded', result: { requestId: made.id, bytes: 1000, files: 1, missing: 0 } } });
    expect(reported.status).toBe(200);
    const failed = (await api.call('GET', `/v1/clusters/${quiet}/logs/${made.id}`)).body;
    expect(failed).toMatchObject({ status: 'Failed', message: expect.stringContaining('over the') });
    expect(failed.download).toBeUndefined();
    const s3 = new S3Client({ endpoint: api.runtime.s3Endpoint, forcePathStyle: true, region: 'us-east-1', credentials: LOCAL_ACCESS_KEY });
    const key = `logs/default/${quiet}/${made.id}.tar.gz`;
    await expect(s3.send(new HeadObjectCommand({ Bucket: process.env.ARCHIVE_BUCKET!, Key: key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    // The request is over: no new form.
    expect((await api.call('POST', `/agent/v1/logs/${made.id}/upload`, { key: token(quiet), body: { bytes: 1000 } })).status).toBe(409);
  });

  it('fail a request whose agent says it uploaded what is not stored', async () => {
    const made = await requestLogs(quiet, { types: ['platform'] });
    await api.call('POST', `/agent/v1/commands/${made.commandId}/result`, { key: token(quiet), body: { status: 'Succeeded', result: { requestId: made.id, bytes: 512, files: 1, missing: 0 } } });
    expect((await api.call('GET', `/v1/clusters/${quiet}/logs/${made.id}`)).body).toMatchObject({ status: 'Failed', message: 'the agent reported an upload, but no archive is stored' });
  });

  it('collect one bundle at a time per cluster', async () => {
    const first = await requestLogs(quiet, { types: ['kube-system'] });
    const second = await api.call('POST', `/v1/clusters/${quiet}/logs`, { body: { types: ['node'] } });
    expect(second.status).toBe(409);
    expect(second.body.message).toMatch(/one at a time/);
    await api.call('POST', `/agent/v1/commands/${first.commandId}/result`, { key: token(quiet), body: { status: 'Failed', message: 'stopped' } });
    expect((await api.call('GET', `/v1/clusters/${quiet}/logs/${first.id}`)).body.status).toBe('Failed');
    const third = await requestLogs(quiet, { types: ['node'] });
    await api.call('POST', `/agent/v1/commands/${third.commandId}/result`, { key: token(quiet), body: { status: 'Failed', message: 'stopped' } });
  });

  it('fail a request whose agent reports a failure, with its reason', async () => {
    const made = await requestLogs(quiet, { types: ['node'] });
    await api.call('POST', `/agent/v1/commands/${made.commandId}/result`, { key: token(quiet), body: { status: 'Failed', message: 'the kubelet node log query is turned off' } });
    expect((await api.call('GET', `/v1/clusters/${quiet}/logs/${made.id}`)).body).toMatchObject({ status: 'Failed', message: expect.stringContaining('node log query is turned off') });
  });

  it("refuse bad requests with a 400 naming the field, viewers with 403, another tenant's ids with 404", async () => {
    for (const [body, path] of [
      [{}, 'types'],
      [{ types: [] }, 'types'],
      [{ types: ['everything'] }, 'types[0]'],
      [{ types: ['node', 'node'] }, 'types'],
      [{ types: ['node'], sinceMinutes: 0 }, 'sinceMinutes'],
      [{ types: ['node'], maxLines: 1_000_001 }, 'maxLines'],
      [{ types: ['node'], nodes: ['Not A Node'] }, 'nodes[0]'],
      [{ types: ['node'], extra: 1 }, 'extra'],
    ] as const) {
      const res = await api.call('POST', `/v1/clusters/${running}/logs`, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.details.map((d: any) => d.path), JSON.stringify(body)).toContain(path);
    }
    expect((await api.call('POST', `/v1/clusters/${running}/logs`, { key: viewer, body: { types: ['node'] } })).status).toBe(403);
    expect((await api.call('GET', `/v1/clusters/${running}/logs`, { key: viewer })).status).toBe(403);
    const other = (await api.call('POST', '/v1/tenants', { body: { name: 'umbrella' } })).body.apiKey.key;
    const mine = (await api.call('GET', `/v1/clusters/${running}/logs`)).body.items[0].id;
    expect((await api.call('GET', `/v1/clusters/${running}/logs/${mine}`, { key: other })).status).toBe(404);
    expect((await api.call('POST', `/v1/clusters/${running}/logs`, { key: other, body: { types: ['node'] } })).status).toBe(404);
    // Another cluster's agent cannot ask for this request's upload form.
    expect((await api.call('POST', `/agent/v1/logs/${mine}/upload`, { key: token(quiet), body: { bytes: 10 } })).status).toBe(404);
  });
});

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/kube-bench/${name}`, import.meta.url), 'utf8'));
const postReport = (clusterId: string, body: unknown, query = 'node=runner-cp-0') => api.call('POST', `/agent/v1/compliance?${query}`, { key: token(clusterId), body });

describe('compliance', () => {
  it("keeps each kube-bench run with totals from the report's own counters, in both output forms", async () => {
    const object = fixture('aquasecurity-result.json');
    const posted = await postReport(quiet, object, 'node=quiet-cp-0');
    expect(posted.status).toBe(201);
    expect(posted.body.totals).toEqual({ pass: object.Totals.total_pass, fail: object.Totals.total_fail, warn: object.Totals.total_warn, info: object.Totals.total_info });
    const array = fixture('aquasecurity-result_no_totals.json');
    const second = await postReport(quiet, array, 'node=quiet-cp-0');
    expect(second.status).toBe(201);
    const sum = (k: string) => array.reduce((n: number, c: any) => n + c[k], 0);
    expect(second.body.totals).toEqual({ pass: sum('total_pass'), fail: sum('total_fail'), warn: sum('total_warn'), info: sum('total_info') });

    const view = (await api.call('GET', `/v1/clusters/${quiet}/compliance`)).body;
    expect(view.latest).toMatchObject({ id: second.body.runId, form: 'array', trigger: 'schedule', node: 'quiet-cp-0' });
    expect(view.latest.targets.map((t: any) => [t.target, t.pass, t.fail, t.warn, t.info])).toEqual(array.map((c: any) => [c.node_type, c.total_pass, c.total_fail, c.total_warn, c.total_info]));
    // Newest first (the agent's own scheduled run at start, if any, comes after these).
    expect(view.history.map((r: any) => r.id).slice(0, 2)).toEqual([second.body.runId, posted.body.runId]);
    // The raw report, as the agent posted it, through a short-lived URL.
    const run = (await api.call('GET', `/v1/clusters/${quiet}/compliance/runs/${posted.body.runId}`)).body;
    expect(run.form).toBe('object');
    expect(new URL(run.report.url).searchParams.get('X-Amz-Expires')).toBe('300');
    expect(await (await fetch(run.report.url)).json()).toEqual(object);
  });

  it('lists failing checks with their remediation, and the tenant view puts the most failing cluster first', async () => {
    const failing = JSON.parse(readFileSync(new URL('../unit/kube-bench-fail.json', import.meta.url), 'utf8'));
    const posted = await postReport(running, failing);
    expect(posted.status).toBe(201);
    const run = (await api.call('GET', `/v1/clusters/${running}/compliance`)).body.latest;
    const fails = failing.Controls.flatMap((c: any) => c.tests.flatMap((t: any) => t.results.filter((r: any) => r.status === 'FAIL').map((r: any) => r.test_number)));
    expect(run.failing.map((f: any) => f.id).sort()).toEqual([...fails].sort());
    expect(run.failing.every((f: any) => f.text && f.remediation)).toBe(true);
    expect(run.totals.fail).toBe(failing.Totals.total_fail);
    const tenant = (await api.call('GET', '/v1/compliance')).body.items;
    // quiet's latest run (the fixture's array form) fails 12 checks, runner's 9.
    expect(tenant.filter((c: any) => [running, quiet].includes(c.clusterId)).map((c: any) => [c.clusterId, c.totals.fail])).toEqual([
      [quiet, 12],
      [running, failing.Totals.total_fail],
    ]);
    expect(tenant.find((c: any) => c.clusterId === running)).toMatchObject({ clusterName: 'runner', runId: posted.body.runId });
    // A run is an event on the cluster's stream.
    const events = (await api.call('GET', `/v1/clusters/${running}/events?reason=ComplianceScanCompleted`)).body.items;
    expect(events[0]).toMatchObject({ type: 'Warning', subject: 'runner-cp-0' });
    const other = (await api.call('POST', '/v1/tenants', { body: { name: 'cyberdyne' } })).body.apiKey.key;
    expect((await api.call('GET', '/v1/compliance', { key: other })).body.items).toEqual([]);
    expect((await api.call('GET', `/v1/clusters/${running}/compliance`, { key: other })).status).toBe(404);
  });

  it('refuses what is not a kube-bench report with a 400 naming where', async () => {
    const bad = fixture('aquasecurity-result.json');
    bad.Controls[0].tests[0].results[0].status = 'MAYBE';
    const res = await postReport(quiet, bad);
    expect(res.status).toBe(400);
    expect(res.body.details[0].path).toBe('body.Controls[0].tests[0].results[0].status');
    expect((await postReport(quiet, { hello: 'world' })).status).toBe(400);
    expect((await postReport(quiet, fixture('aquasecurity-result.json'), 'node=Not_A_Node')).body.details[0].path).toBe('query.node');
  });

  it('takes a report for a scan only when that scan was asked for and waits', async () => {
    const forged = await postReport(quiet, fixture('aquasecurity-result.json'), 'node=quiet-cp-0&scanId=scan-made-up');
    expect(forged.status).toBe(409);
    expect(forged.body.details[0].path).toBe('query.scanId');
    const scan = (await api.call('POST', `/v1/clusters/${quiet}/compliance/scans`)).body;
    expect((await api.call('GET', `/v1/clusters/${quiet}/compliance`)).body.scanning).toMatchObject({ scanId: scan.scanId, status: 'Pending' });
    const posted = await postReport(quiet, fixture('aquasecurity-controlsCollection.json'), `node=quiet-cp-0&scanId=${scan.scanId}`);
    expect(posted.status).toBe(201);
    const view = (await api.call('GET', `/v1/clusters/${quiet}/compliance`)).body;
    expect(view.latest).toMatchObject({ scanId: scan.scanId, trigger: 'command' });
    expect(view.scanning).toBeUndefined();
    await api.call('POST', `/agent/v1/commands/${scan.commandId}/result`, { key: token(quiet), body: { status: 'Succeeded', result: { scanId: scan.scanId, node: 'quiet-cp-0' } } });
    // Once the scan's command has ended, its id takes no more reports.
    expect((await postReport(quiet, fixture('aquasecurity-result.json'), `node=quiet-cp-0&scanId=${scan.scanId}`)).status).toBe(409);
  });

  it('runs a scan on demand: the agent runs kube-bench and its report answers the scan', async () => {
    const scan = await api.call('POST', `/v1/clusters/${running}/compliance/scans`);
    expect(scan.status).toBe(202);
    expect((await api.call('POST', `/v1/clusters/${running}/compliance/scans`, { key: viewer })).status).toBe(403);
    const answered = await eventually(async () => {
      const view = (await api.call('GET', `/v1/clusters/${running}/compliance`)).body;
      return view.latest?.scanId === scan.body.scanId ? view : undefined;
    }, 'the scan answered', 30_000);
    expect(answered.scanning).toBeUndefined();
    expect(answered.latest).toMatchObject({ trigger: 'command' });
    expect(answered.latest.targets.map((t: any) => t.target)).toEqual(expect.arrayContaining(['master', 'node']));
  });
});

describe('a log request nobody answers', () => {
  it('fails at its command\'s deadline, saying so, and frees the cluster for the next', async () => {
    const made = await requestLogs(quiet, { types: ['kube-system'] });
    expect((await api.call('GET', `/v1/clusters/${quiet}/logs/${made.id}`)).body.status).toBe('Pending');
    api.runtime.clock.advance(16 * 60_000); // past the 15-minute deadline: the clock moves, the test does not sleep
    const failed = (await api.call('GET', `/v1/clusters/${quiet}/logs/${made.id}`)).body;
    expect(failed).toMatchObject({ status: 'Failed', message: expect.stringContaining('no agent finished collecting') });
    expect((await api.call('GET', `/v1/clusters/${quiet}/commands/${made.commandId}`)).body.status).toBe('Expired');
    // Too late for the agent too.
    expect((await api.call('POST', `/agent/v1/logs/${made.id}/upload`, { key: token(quiet), body: { bytes: 10 } })).status).toBe(409);
    expect((await api.call('POST', `/v1/clusters/${quiet}/logs`, { body: { types: ['node'] } })).status).toBe(202);
  });
});
