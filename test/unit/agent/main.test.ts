import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Heartbeat } from '../../../core/agent-protocol.js';
import { fixtureItems, kubeHandler, sendJson, startServer, until, type TestServer } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const servers: TestServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('agent/main.ts', () => {
  it('runs from the environment and a kubeconfig, heartbeats, and exits 0 on SIGTERM', async () => {
    const kube = await startServer(kubeHandler({ nodes: fixtureItems('nodes/k9s-node-minikube.json'), pods: [], services: [] }));
    const beats: Heartbeat[] = [];
    const api = await startServer((req, res) => {
      if (req.headers.authorization !== 'Bearer tok') return sendJson(res, 401, { message: 'no' });
      beats.push(Heartbeat.parse(JSON.parse(req.body)));
      sendJson(res, 200, { desiredGeneration: 1, packs: [], commands: [], heartbeatIntervalSeconds: 30 });
    });
    servers.push(kube, api);
    const dir = mkdtempSync(join(tmpdir(), 'strata-agent-main-'));
    dirs.push(dir);
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: kube.url, 'insecure-skip-tls-verify': true } }], // plain HTTP needs it
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig, STRATA_API_URL: api.url, STRATA_CLUSTER_ID: 'cl-main', STRATA_AGENT_TOKEN: 'tok' };
    delete env.KUBERNETES_SERVICE_HOST;
    const child = spawn(process.execPath, ['--import', 'tsx', 'agent/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    // the first report, then (generation 1 has no packs) at once the one observing it
    await until(() => beats.length >= 2, 20_000).catch((err: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${err.message}; agent output:\n${out}`);
    });
    expect(beats[0]).toMatchObject({ clusterId: 'cl-main', observedGeneration: 0, nodes: [{ name: 'minikube', role: 'controlPlane' }] });
    expect(beats[1]!.observedGeneration).toBe(1);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message: string });
    expect(lines.map((l) => l.message)).toEqual(expect.arrayContaining(['agent started', 'stopping', 'agent stopped']));
  });

  it('exits 1 naming the missing settings', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.STRATA_API_URL;
    delete env.STRATA_CLUSTER_ID;
    delete env.STRATA_AGENT_TOKEN;
    const child = spawn(process.execPath, ['--import', 'tsx', 'agent/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(err).toContain('missing environment: STRATA_API_URL, STRATA_CLUSTER_ID, STRATA_AGENT_TOKEN');
  });
});
