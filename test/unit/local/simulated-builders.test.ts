import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedCloud } from '../../../adapters/cloud/simulated/simulated-cloud.js';
import { SimulatedProvider } from '../../../adapters/cloud/simulated/simulated-provider.js';
import { localControls } from '../../../local/faults.js';
import { SimulatedBuilders } from '../../../local/simulated-builders.js';
import type { LocalStepFunctions } from '../../../local/step-functions.js';
import { sendJson, startServer, type Recorded, type TestServer } from '../agent/helpers.js';

/** The agent API's bake route, answering each signal with the next status of `answers` (200 once they run out). */
let api: TestServer;
let answers: number[] = [];
const signals = () => api.requests.filter((r) => /^\/agent\/v1\/bakes\/[^/]+\/result$/.test(r.path));

let cloud: SimulatedCloud;
let provider: SimulatedProvider;
let builders: SimulatedBuilders;
let logs: string[];
const OPERATOR = 'operator-key';
const controls = () => localControls(cloud, {} as LocalStepFunctions, OPERATOR, builders);
const local = async (method: string, path: string, body?: unknown) => {
  const res = await controls()({ method, url: path, headers: { authorization: `Bearer ${OPERATOR}` } } as IncomingMessage, body === undefined ? '' : JSON.stringify(body));
  return { status: res!.statusCode, body: res!.body ? JSON.parse(res!.body) : undefined };
};

/** What the bake's user data carries (core/bake-script.ts writes it into /etc/strata/bake.env). */
const userData = (bakeId: string, url = api.url) =>
  ['#cloud-config', 'write_files:', '  - path: /etc/strata/bake.env', '    content: |', `      STRATA_BAKE_ID=${bakeId}`, `      STRATA_BAKE_SIGNAL_URL=${url}/agent/v1/bakes/${bakeId}/result`, `      STRATA_BAKE_TOKEN=tok-${bakeId}`].join('\n');

const launch = (bakeId: string, p = provider, url?: string) =>
  p.launchBuilder({
    bakeId,
    baseImageId: 'sim-ubuntu-24.04',
    instanceType: 'sim.medium',
    subnetId: 'subnet-x',
    securityGroupId: 'sg-x',
    diskGiB: 20,
    userData: userData(bakeId, url),
    idempotencyToken: `${bakeId}-builder`,
    publicIp: false,
  });

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: () => T | undefined, label: string, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = what();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await settle(5);
  }
}
const body = (r: Recorded) => JSON.parse(r.body) as { succeeded: boolean; message: string };

beforeAll(async () => {
  api = await startServer((req, res) => {
    const id = /^\/agent\/v1\/bakes\/([^/]+)\/result$/.exec(req.path)?.[1];
    if (!id) return sendJson(res, 404, { message: 'no route' });
    const status = answers.shift() ?? 200;
    sendJson(res, status, status === 200 ? { id, status: 'Baking' } : { error: 'Refused', message: `answered ${status}` });
  });
});
afterAll(() => api.close());

beforeEach(() => {
  api.requests.splice(0);
  answers = [];
  logs = [];
  cloud = new SimulatedCloud();
  Object.assign(cloud.settings, { bootMs: 0, terminateMs: 5, stopMs: 5, imageMs: 5, bakeMs: 30 });
  provider = new SimulatedProvider('sim-east-1', cloud);
  builders = new SimulatedBuilders(cloud, { retryDelayMs: 5, attempts: 4, log: (l) => logs.push(l) });
});
afterEach(() => builders.stop());

describe('simulated builders', () => {
  it("signal success a bake time after the builder runs, with the token from its user data and a playbook's recap", async () => {
    cloud.settings.bakeMs = 150;
    const b = await launch('img-1-a1');
    await settle(20);
    expect(signals()).toEqual([]); // the playbook still runs
    expect(builders.reports.get(b.instanceId)).toMatchObject({ bakeId: 'img-1-a1', stage: 'customizing' });
    await until(() => signals().length === 1, 'the signal');
    const [req] = signals();
    expect(req).toMatchObject({ method: 'POST', path: '/agent/v1/bakes/img-1-a1/result' });
    expect(req!.headers.authorization).toBe('Bearer tok-img-1-a1');
    expect(req!.headers['content-type']).toBe('application/json');
    const signal = body(req!);
    expect(signal).toEqual({ succeeded: true, message: expect.stringContaining('PLAY RECAP') });
    expect(signal.message).toMatch(/localhost\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0/);
    await until(() => builders.reports.get(b.instanceId)?.stage === 'signalled', 'signalled');
    expect(builders.reports.get(b.instanceId)).toMatchObject({ status: 200, attempts: 1 });
    await settle(20);
    expect(signals()).toHaveLength(1);
    expect(logs).toEqual([]);
  });

  it('a builder terminated (or stopped) before its playbook ends never signals', async () => {
    cloud.settings.bakeMs = 150;
    const b = await launch('img-1-a1');
    const c = await launch('img-2-a1');
    await settle(5);
    await provider.terminateBuilder('img-1-a1');
    await provider.stopBuilder('img-2-a1');
    await settle(250);
    expect(signals()).toEqual([]);
    expect(builders.reports.get(b.instanceId)).toMatchObject({ stage: 'interrupted', error: expect.stringMatching(/terminated|shutting-down/) });
    expect(builders.reports.get(c.instanceId)).toMatchObject({ stage: 'interrupted', error: expect.stringMatching(/stopp/) });
  });

  it('an injected bake failure posts succeeded false with its message, for the next bakes of its region only', async () => {
    const message = 'TASK [security : apply CIS rules] *****\nfatal: [localhost]: FAILED! => {"msg": "apt-get install auditd failed"}\napt-get exited 100';
    expect((await local('POST', '/local/faults', { bake: 'fail', message, times: 1, region: 'sim-east-1' })).status).toBe(201);
    expect((await local('GET', '/local/faults')).body.faults).toEqual([{ operation: 'Customize', error: 'PlaybookFailed', message, times: 1, region: 'sim-east-1' }]);
    expect((await local('POST', '/local/faults', { bake: 'fail', region: 'mars-1' })).status).toBe(400);

    await launch('img-1-a1', new SimulatedProvider('sim-west-1', cloud));
    await until(() => signals().length === 1, 'the west signal');
    expect(body(signals()[0]!).succeeded).toBe(true);

    await launch('img-2-a1');
    await until(() => signals().length === 2, 'the failed signal');
    const failed = body(signals()[1]!);
    expect(failed.succeeded).toBe(false);
    expect(failed.message).toContain('TASK [security : apply CIS rules]');
    expect(failed.message).toContain('apt-get exited 100');
    expect(failed.message).toMatch(/failed=1/);
    expect(cloud.faults).toEqual([]); // spent

    await launch('img-3-a1');
    await until(() => signals().length === 3, 'the next signal');
    expect(body(signals()[2]!).succeeded).toBe(true);

    // Without a message: a realistic failing task.
    await local('POST', '/local/faults', { bake: 'fail' });
    await launch('img-4-a1');
    await until(() => signals().length === 4, 'the default failure');
    expect(body(signals()[3]!)).toEqual({ succeeded: false, message: expect.stringMatching(/fatal: \[localhost\]: FAILED!.*\n.*exited 100/s) });
    await local('DELETE', '/local/faults');
    expect(cloud.faults).toEqual([]);
  });

  it('retries a 5xx or an unanswered signal as curl --retry does; a 4xx is final and logged', async () => {
    answers = [503, 502];
    const b = await launch('img-1-a1');
    await until(() => builders.reports.get(b.instanceId)?.stage === 'signalled', 'signalled after retries');
    expect(signals()).toHaveLength(3);
    expect(builders.reports.get(b.instanceId)).toMatchObject({ attempts: 3, status: 200 });

    answers = [403];
    const c = await launch('img-2-a1');
    await until(() => builders.reports.get(c.instanceId)?.stage === 'refused', 'refused');
    await settle(30);
    expect(signals().filter((r) => r.path.includes('img-2-a1'))).toHaveLength(1);
    expect(builders.reports.get(c.instanceId)).toMatchObject({ status: 403, attempts: 1 });
    expect(logs).toEqual([expect.stringContaining('the signal was refused: 403')]);

    // No agent API answers at all: it gives up after its tries.
    const dead = await startServer(() => undefined);
    const deadUrl = dead.url;
    await dead.close();
    const d = await launch('img-3-a1', provider, deadUrl);
    await until(() => builders.reports.get(d.instanceId)?.stage === 'undelivered', 'undelivered');
    expect(builders.reports.get(d.instanceId)).toMatchObject({ attempts: 4, error: expect.any(String) });
    expect(logs[1]).toContain('gave up signalling after 4 tries');
  });

  it('a builder terminated while it retries stops trying', async () => {
    builders.stop();
    builders = new SimulatedBuilders(cloud, { retryDelayMs: 150, attempts: 4, log: (l) => logs.push(l) });
    answers = [503, 503, 503, 503];
    const b = await launch('img-1-a1');
    await until(() => signals().length === 1, 'the first try');
    await provider.terminateBuilder('img-1-a1');
    await settle(250);
    expect(signals()).toHaveLength(1);
    expect(builders.reports.get(b.instanceId)).toMatchObject({ stage: 'interrupted' });
  });

  it('once stopped, no builder signals', async () => {
    cloud.settings.bakeMs = 100;
    await launch('img-1-a1');
    await settle(5);
    builders.stop();
    await settle(150);
    expect(signals()).toEqual([]);
  });

  it('GET /local/cloud shows builders with their customization, and images', async () => {
    const b = await launch('img-1-a1');
    await until(() => builders.reports.get(b.instanceId)?.stage === 'signalled', 'signalled');
    await provider.stopBuilder('img-1-a1');
    await settle(15);
    const image = await provider.createImage({ bakeId: 'img-1-a1', name: 'strata-ubuntu-0123456789abcdef', signature: '0123456789abcdef'.repeat(4), description: 'd', tags: {} });
    const seen = (await local('GET', '/local/cloud')).body;
    expect(seen.builders).toEqual([
      expect.objectContaining({
        instanceId: b.instanceId,
        bakeId: 'img-1-a1',
        region: 'sim-east-1',
        state: 'stopped',
        imageId: 'sim-ubuntu-24.04',
        customization: expect.objectContaining({ stage: 'signalled', signal: expect.objectContaining({ succeeded: true }) }),
      }),
    ]);
    expect(seen.images).toEqual([expect.objectContaining({ imageId: image.imageId, name: image.name, region: 'sim-east-1', state: 'pending', sourceInstanceId: b.instanceId })]);
    expect(seen.baseImages['sim-west-1']).toEqual(['sim-ubuntu-22.04', 'sim-ubuntu-24.04']);
    expect(JSON.stringify(seen)).not.toContain('tok-img-1-a1'); // user data (the signal token) is never shown
  });
});
