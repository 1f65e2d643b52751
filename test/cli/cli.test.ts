import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { appendEvent } from '../../adapters/dynamodb/events-store.js';
import { bundleCli } from '../../cli/build.js';
import { eventually, startApi, type Api } from '../integration/harness.js';
import { signInThroughLocalIdp } from '../support/sso.js';

/**
 * The `strata` CLI as a user runs it: `node bin/strata.mjs …` in a process of its own, against a
 * local runtime of this file, with a config directory of its own.
 */
const BIN = resolve('bin/strata.mjs');
let api: Api;
let dir: string;
let platform: Record<string, string>;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment of a run: a config dir of this test file, no colour settings, no platform unless given. */
function envOf(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: join(dir, 'config'), ...extra };
  for (const k of ['STRATA_API_URL', 'STRATA_API_KEY', 'NO_COLOR'] as const) if (!(k in extra)) delete env[k];
  return env;
}

/** Asynchronously: the runtime serving the CLI runs in this very process. */
function strata(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: envOf(opts.env ?? platform) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

const modeOf = (path: string) => statSync(path).mode & 0o777;
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const cluster = async () => (await api.call('GET', '/v1/clusters')).body.items.find((c: any) => c.name === 'demo');
const fault = (body: unknown) => api.call('POST', '/local/faults', { body });

const STACK = `
kind: Profile
name: web
description: the web stack
layers:
  - pack: ubuntu@22.4.5
  - pack: kubernetes@1.31.10
  - pack: calico
    values:
      calicoNetwork:
        mtu: 1440
  - pack: pk-aws-ebs-csi-1-44-0
---
kind: Cluster
name: demo
profile: web
cloudAccount: sim
region: sim-east-1
nodePools:
  - { name: cp, role: controlPlane, count: 1, instanceType: sim.large, zones: [sim-east-1a] }
  - { name: workers, role: worker, count: 2, instanceType: sim.large, zones: [sim-east-1a, sim-east-1b] }
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-cli-'));
  // Bundled once here, so no run has to.
  [api] = await Promise.all([startApi(), bundleCli()]);
  platform = { STRATA_API_URL: api.runtime.url, STRATA_API_KEY: api.key };
});
afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('strata', { timeout: 60_000 }, () => {
  it('login stores the URL and key in a 0600 file, tightens a looser one, and later commands use it', async () => {
    const login = await strata(['login', '--url', api.runtime.url, '--key', api.key], { env: {} });
    expect(login.code, login.stderr).toBe(0);
    const config = join(dir, 'config', 'strata', 'config.json');
    expect(modeOf(config)).toBe(0o600);
    expect(JSON.parse(readFileSync(config, 'utf8')).profiles.default).toEqual({ url: api.runtime.url, key: api.key });

    chmodSync(config, 0o644);
    const listed = await strata(['get', 'registries'], { env: {} });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^public\s+public\s+public/m);
    expect(listed.stderr).toContain('mode is now 600');
    expect(modeOf(config)).toBe(0o600);

    // The key from stdin, as a second platform.
    expect((await strata(['login', '--profile', 'other', '--url', api.runtime.url], { env: {}, input: `${api.key}\n` })).code).toBe(0);
    expect((await strata(['get', 'registries', '--profile', 'other'], { env: {} })).code).toBe(0);
    // A key the API refuses is not stored.
    const refused = await strata(['login', '--profile', 'bad', '--url', api.runtime.url, '--key', 'strata_nope'], { env: {} });
    expect(refused.code).toBe(1);
    expect(JSON.parse(readFileSync(config, 'utf8')).profiles.bad).toBeUndefined();
    // Nothing configured: a usage error.
    const none = await strata(['get', 'clusters', '--profile', 'missing'], { env: {} });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no profile "missing"');
  });

  it('get lists and shows resources as a table, JSON and YAML', async () => {
    const table = await strata(['get', 'packs', '--registry', 'public']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+VERSION\s+LAYER\s+REGISTRY\s+ID\s+AGE$/);
    expect(table.stdout).toMatch(/^calico\s+3\.29\.3\s+cni\s+public\s+pk-calico-3-29-3/m);

    const json = await strata(['get', 'packs', '--layer', 'k8s', '-o', 'json']);
    expect(JSON.parse(json.stdout).map((p: any) => p.version).sort()).toEqual(['1.30.14', '1.31.10', '1.32.6']);

    const yaml = parse((await strata(['get', 'pack', 'calico@3.29.3', '-o', 'yaml'])).stdout);
    expect(yaml).toMatchObject({ id: 'pk-calico-3-29-3', layer: 'cni', version: '3.29.3' });

    const profile = await strata(['get', 'profile', 'ubuntu-k8s-calico']);
    expect(profile.stdout).toMatch(/^ubuntu-k8s-calico\s+pf-sample\s+1\s/m);
    expect(profile.stdout).toMatch(/^k8s\s+kubernetes\s+1\.31\.10\s+public\s+pk-kubernetes-1-31-10$/m);
  });

  it('creates from flags, and apply creates what is missing, then changes nothing and says so', async () => {
    const made = await strata(['create', 'cloudaccount', 'sim', '--type', 'local']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^cloudaccount\/sim created \(ca-\w+\)$/m);
    const again = await strata(['create', 'cloudaccount', 'sim', '--type', 'local']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('409');

    const stack = file('stack.yaml', STACK);
    const first = await strata(['apply', '-f', stack]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^profile\/web created/m);
    expect(first.stdout).toMatch(/^cluster\/demo created/m);
    const profile = (await api.call('GET', '/v1/profiles')).body.items.find((p: any) => p.name === 'web');
    const before = await cluster();

    const second = await strata(['apply', '-f', stack]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('profile/web unchanged');
    expect(second.stdout).toContain('cluster/demo unchanged');
    expect(second.stdout).toContain('Nothing to change');
    // Truly nothing: no new revision, no new version.
    expect((await api.call('GET', `/v1/profiles/${profile.id}`)).body.latestRevision).toBe(1);
    expect((await cluster()).version).toBe(before.version);

    // A change of a profile is a new revision, sent with the version read.
    const changed = await strata(['apply', '-f', file('profile.yaml', STACK.split('---')[0]!.replace('mtu: 1440', 'mtu: 1400'))]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toBe('profile/web configured: revision 2\n');
    const diff = await strata(['diff', 'profile', 'web']);
    expect(diff.stdout).toContain('calicoNetwork.mtu: 1440 → 1400');

    const listed = parse((await strata(['get', 'clusters', '-o', 'yaml'])).stdout);
    expect(listed.map((c: any) => c.name)).toEqual(['demo']);
  });

  it('prints the field path of a 400 and exits 1', async () => {
    const bad = file('bad.yaml', STACK.split('---')[1]!.replace('name: demo', 'name: bad').replace('count: 2', 'count: -1'));
    const run = await strata(['apply', '-f', bad]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('400 ValidationError');
    expect(run.stderr).toMatch(/^\s+nodePools\[1\]\.count: /m);
  });

  it('exits 2 on a wrong command line, commander errors included', async () => {
    const unknown = await strata(['get', 'clusters', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    expect((await strata(['get', 'widgets'])).code).toBe(2);
    expect((await strata(['scale', 'cluster', 'demo', '--pool', 'workers', '--count', 'many'])).code).toBe(2);
    expect((await strata(['wait', 'cluster', 'demo', '--for', 'Sleeping'])).code).toBe(2);
    expect((await strata(['--help'])).code).toBe(0);
  });

  it('waits for Running, and times out with exit 1', async () => {
    const run = await strata(['wait', 'cluster', 'demo', '--for=Running', '--timeout=40s']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('cluster/demo is Running\n');
    const late = await strata(['wait', 'cluster', 'demo', '--for=Failed', '--timeout=1s']);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('timed out after 1s');
  });

  it('describes the condition tree with failures first', async () => {
    const id = (await cluster()).id;
    await fault({ node: 'demo-workers-1', condition: 'Ready', status: 'False' });
    try {
      await eventually(async () => ((await api.call('GET', `/v1/clusters/${id}/conditions`)).body.items.find((c: any) => c.type === 'NodesHealthy')?.status === 'False' ? true : undefined), 'NodesHealthy False');
      const run = await strata(['describe', 'cluster', 'demo']);
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^NAME\s+STATUS\s+REASON\s+AGE\s+MESSAGE$/);
      expect(lines[1]).toMatch(/^Cluster\/demo \(Running, Unhealthy\)\s+(True|False|Unknown)\s/);
      const at = (text: string) => lines.findIndex((l) => l.includes(text));
      expect(lines[at('Node/demo-workers-1')]).toMatch(/│ ├─Node\/demo-workers-1 .*\sFalse\s+KubeletNotReady\s+\d+s\s+Ready is False/);
      expect(at('Node/demo-workers-1')).toBeLessThan(at('Node/demo-workers-0'));
      expect(lines[at('NodesHealthy')]).toMatch(/\sFalse\s+NodeProblems\s/);
      expect(at('NodesHealthy')).toBeLessThan(at('HeartbeatHealthy'));
      // Subtrees with a failure come before those without.
      for (const fine of ['Milestones', 'Pool/cp']) {
        expect(at('Pool/workers')).toBeLessThan(at(fine));
        expect(at('─Health')).toBeLessThan(at(fine));
      }
      expect(lines.at(-1)).toMatch(/└─Node\/demo-cp-0 .*\sTrue\s+KubeletReady/);
    } finally {
      await api.call('DELETE', '/local/faults');
    }
  });

  it('scales with a plan: --dry-run changes nothing, no terminal and no --yes refuses, --yes applies', async () => {
    const before = await cluster();
    const dry = await strata(['scale', 'cluster', 'demo', '--pool', 'workers', '--count', '3', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`Plan for cluster demo (generation ${before.generation} → ${before.generation + 1})`);
    expect(dry.stdout).toMatch(/^1\s+launch\s+workers\s+demo-workers-2\s+sim-east-1\w\s+scaleUp/m);
    expect(dry.stdout).toMatch(/^2\s+waitReady\s+workers\s+demo-workers-2\s+sim-east-1\w\s+scaleUp/m);
    expect(dry.stdout).toContain('Dry run: nothing was changed.');
    expect((await cluster()).version).toBe(before.version);

    const unasked = await strata(['scale', 'cluster', 'demo', '--pool', 'workers', '--count', '3']);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain('stdin is not a terminal');
    expect((await cluster()).version).toBe(before.version);

    const applied = await strata(['scale', 'cluster', 'demo', '--pool', 'workers', '--count', '3', '--yes']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`cluster/demo changed: generation ${before.generation + 1}`);
    const after = await cluster();
    expect(after.nodePools.find((p: any) => p.name === 'workers').count).toBe(3);
    const plan = await strata(['plan', 'cluster', 'demo']);
    expect(plan.stdout).toMatch(/^1\s+(done|running|pending)\s+launch\s+workers\s+demo-workers-2/m);
  });

  it('follows events: a new one is printed as it happens', async () => {
    const id = (await cluster()).id;
    const child = spawn(process.execPath, [BIN, 'events', 'cluster', 'demo', '--follow', '--limit', '3', '-o', 'json'], { env: envOf(platform) });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await eventually(async () => (out.split('\n').filter(Boolean).length >= 3 ? true : undefined), 'the recent events', 10_000);
      await appendEvent({ clusterId: id, type: 'Warning', reason: 'FollowedByCli', message: 'seen as it happened' });
      const line = await eventually(async () => out.split('\n').find((l) => l.includes('FollowedByCli')), 'the new event', 10_000);
      expect(JSON.parse(line)).toMatchObject({ clusterId: id, type: 'Warning', reason: 'FollowedByCli', message: 'seen as it happened' });
    } finally {
      child.kill();
    }
  });

  it('shows usage with a sparkline', async () => {
    const run = await eventually(async () => {
      const r = await strata(['usage', 'cluster', 'demo', '--window', '1h']);
      return /[▁▂▃▄▅▆▇█]/.test(r.stdout) ? r : undefined;
    }, 'usage samples');
    expect(run.stdout).toMatch(/^CPU\s+[\d.]+%\s+[\d.]+ of [\d.]+ cores\s+.*\s[▁▂▃▄▅▆▇█]+$/m);
    expect(run.stdout).toMatch(/^Memory\s+[\d.]+%.*\s[▁▂▃▄▅▆▇█]+$/m);
    expect(run.stdout).toMatch(/^demo-workers-0\s+worker\s/m);
  });

  it('shows one node: what it runs, its conditions, its usage now', async () => {
    const run = await strata(['get', 'node', 'demo-workers-0', '-c', 'demo']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Node:\s+demo-workers-0$/m);
    expect(run.stdout).toMatch(/^State:\s+Ready$/m);
    expect(run.stdout).toMatch(/^Kubelet:\s+v1\.31\.10$/m);
    expect(run.stdout).toMatch(/^CONDITION\s+STATUS\s+REASON\s+AGE\s+MESSAGE$/m);
    expect(run.stdout).toMatch(/^Ready\s+True\s/m);
    expect(run.stdout).toMatch(/^CPU\s+[\d.]+%\s+[\d.]+ of [\d.]+ cores\s/m);
    const json = JSON.parse((await strata(['get', 'node', 'demo-workers-0', '-c', 'demo', '--window', '24h', '-o', 'json'])).stdout);
    expect(json).toMatchObject({ name: 'demo-workers-0', role: 'worker', ready: true, window: '24h' });
    expect(json.usage.cpuAllocatableCores).toBeGreaterThan(0);

    const unknown = await strata(['get', 'node', 'demo-workers-9', '-c', 'demo']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('cluster demo has no node "demo-workers-9"');
    expect(unknown.stderr).toMatch(/^\s+name: its nodes: .*demo-cp-0/m);
    expect((await strata(['get', 'nodes', '-c', 'demo', '--window', '24h'])).code).toBe(2);
  });

  it("sends agent commands: ping and drain wait for the outcome, cordon and drain ask first, and they are listed newest first", async () => {
    const ping = await strata(['send', 'command', 'ping', '-c', 'demo', '--wait']);
    expect(ping.code, ping.stderr).toBe(0);
    expect(ping.stdout).toMatch(/^command\/cmd-\w+ Succeeded: agent \S+\n$/);

    // Wrong command lines, and a cordon nobody confirmed: nothing is sent.
    const id = (await cluster()).id;
    const sent = async () => (await api.call('GET', `/v1/clusters/${id}/commands`)).body.items.length;
    const before = await sent();
    expect((await strata(['send', 'command', 'ping', '-c', 'demo', '--node', 'demo-workers-0'])).code).toBe(2);
    expect((await strata(['send', 'command', 'cordon', '-c', 'demo'])).stderr).toContain('cordon needs the node: --node NAME');
    expect((await strata(['send', 'command', 'cordon', '-c', 'demo', '--node', 'demo-workers-0', '--timeout-seconds', '5'])).stderr).toContain('--timeout-seconds goes with drain only');
    expect((await strata(['send', 'command', 'reboot', '-c', 'demo'])).code).toBe(2);
    const unasked = await strata(['send', 'command', 'cordon', '-c', 'demo', '--node', 'demo-workers-0']);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain('stdin is not a terminal');
    const noSuchNode = await strata(['send', 'command', 'cordon', '-c', 'demo', '--node', 'demo-workers-9', '--yes']);
    expect(noSuchNode.code).toBe(1);
    expect(noSuchNode.stderr).toContain('cluster demo has no node "demo-workers-9"');
    expect(await sent()).toBe(before);

    const drain = await strata(['send', 'command', 'drain', '-c', 'demo', '--node', 'demo-workers-1', '--timeout-seconds', '60', '--yes', '--wait', '-o', 'json']);
    expect(drain.code, drain.stderr).toBe(0);
    const drained = JSON.parse(drain.stdout);
    expect(drained).toMatchObject({ kind: 'drain', status: 'Succeeded', args: { node: 'demo-workers-1', timeoutSeconds: 60 }, result: { remaining: [] } });

    const listed = await strata(['get', 'commands', '-c', 'demo']);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+KIND\s+STATUS\s+AGE\s+ARGS\s+SUMMARY$/);
    expect(lines[1]).toMatch(new RegExp(`^${drained.id}\\s+drain\\s+Succeeded\\s+\\d+s\\s+node=demo-workers-1 timeoutSeconds=60 .*\\s\\d+ pod\\(s\\) evicted in [\\d.]+ s$`));
    expect(listed.stdout).toMatch(/^cmd-\w+\s+ping\s+Succeeded\s+\d+s\s+agent \S+$/m);

    const one = await strata(['get', 'command', drained.id, '-c', 'demo']);
    expect(one.stdout).toMatch(/^Status:\s+Succeeded$/m);
    expect(one.stdout).toMatch(/^Result:\s+\d+ pod\(s\) evicted in [\d.]+ s$/m);
    expect((await strata(['get', 'command', 'cmd-nope', '-c', 'demo'])).code).toBe(1);
    // The agent reports the drained node unschedulable.
    await eventually(async () => (/^State:\s+Ready, cordoned$/m.test((await strata(['get', 'node', 'demo-workers-1', '-c', 'demo'])).stdout) ? true : undefined), 'demo-workers-1 cordoned', 10_000);
  });

  it('waits for a command the silent agent never runs until it expires, and exits 1', async () => {
    const id = (await cluster()).id;
    await fault({ cluster: id, agent: 'silent' });
    try {
      const run = strata(['send', 'command', 'ping', '-c', 'demo', '--deadline-seconds', '5', '--wait']);
      const pending = await eventually(async () => (await api.call('GET', `/v1/clusters/${id}/commands`)).body.items.find((c: any) => c.status === 'Pending'), 'the ping sent');
      // Past its deadline, the agent's next heartbeat expires it.
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(pending.deadline) - Date.now() + 100)));
      await fault({ cluster: id, agent: 'reporting' });
      const { code, stderr } = await run;
      expect(code).toBe(1);
      expect(stderr).toMatch(new RegExp(`^error: command ${pending.id} \\(ping\\) Expired: no outcome by its deadline`, 'm'));
    } finally {
      await api.call('DELETE', '/local/faults');
    }
  });

  it('rotates the agent token after asking, and the agent goes on with the new one', async () => {
    const unasked = await strata(['rotate', 'agent-token', 'cluster', 'demo']);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain('will not rotate the agent token of cluster demo without confirmation');
    const run = await strata(['rotate', 'agent-token', 'cluster', 'demo', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^cluster\/demo agent token rotated: the agent receives token \d+ with its next heartbeat/);
    const ping = await strata(['send', 'command', 'ping', '-c', 'demo', '--wait']);
    expect(ping.code, ping.stderr).toBe(0);
  });

  it('writes a kubeconfig to a file with mode 0600, even over a looser one', async () => {
    const path = file('kubeconfig', 'old');
    chmodSync(path, 0o644);
    const run = await strata(['kubeconfig', 'cluster', 'demo', '--ttl-minutes', '30', '-f', path]);
    expect(run.code, run.stderr).toBe(0);
    expect(modeOf(path)).toBe(0o600);
    const kc = parse(readFileSync(path, 'utf8'));
    expect(kc.clusters[0].name).toBe('demo');
    expect(kc.users[0].user['client-key-data']).toBeTruthy();
    const tooLong = await strata(['kubeconfig', 'cluster', 'demo', '--ttl-minutes', '100000']);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(/^\s+query\.ttlMinutes: /m);
  });

  it('shows the tenant its quotas, and lets an operator set and lift them', async () => {
    const set = await strata(['quotas', '--tenant', 'default', '--clusters', '7', '--nodes', '40', '-o', 'json']);
    expect(set.code, set.stderr).toBe(0);
    const q = JSON.parse(set.stdout);
    expect(q).toMatchObject({ tenantId: 'default', quotas: { clusters: 7, nodes: 40 } });
    expect(q.usage.clusters).toBeGreaterThanOrEqual(1);
    const shown = await strata(['quotas']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/clusters\s+\d+\s+7/);
    expect(shown.stdout).toMatch(/nodes\s+\d+\s+40/);
    expect((await strata(['quotas', '--clusters', '3'])).code).toBe(2);
    const bad = await strata(['quotas', '--tenant', 'default', '--nodes', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--nodes');
    const lifted = await strata(['quotas', '--tenant', 'default', '--clusters', 'none', '--nodes', 'none', '-o', 'json']);
    expect(lifted.code, lifted.stderr).toBe(0);
    expect(JSON.parse(lifted.stdout).quotas).toEqual({});
  });

  it('creates an API key that expires (--expires 30d or a moment), shows EXPIRES, and refuses a bad --expires', async () => {
    const before = Date.now();
    const made = await strata(['create', 'apikey', 'cli-expiring', '--role', 'viewer', '--expires', '30d', '-o', 'json']);
    expect(made.code, made.stderr).toBe(0);
    const expiresAt = Date.parse(JSON.parse(made.stdout).expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * 86_400_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);
    // Further than the countdown reaches, the date shows.
    const far = new Date(Date.now() + 400 * 86_400_000).toISOString();
    expect((await strata(['create', 'apikey', 'cli-far', '--role', 'viewer', '--expires', far])).code).toBe(0);

    const listed = await strata(['get', 'apikeys']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^NAME\s+ID\s+ROLE\s+OPERATOR\s+EXPIRES\s+AGE$/);
    expect(listed.stdout).toMatch(/^cli-expiring\s+key-\S+\s+viewer\s+in 29d\s+\d+s$/m);
    expect(listed.stdout).toMatch(new RegExp(`^cli-far\\s+key-\\S+\\s+viewer\\s+${far.slice(0, 10)}\\s+\\d+s$`, 'm'));
    // A key made without an expiry (the operator's) never expires.
    expect(listed.stdout).toMatch(/\skey-operator\s+admin\s+yes\s+never\s+\S+$/m);

    const bad = await strata(['create', 'apikey', 'cli-bad', '--role', 'viewer', '--expires', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--expires');
    expect((await api.call('GET', '/v1/apikeys')).body.items.some((k: any) => k.name === 'cli-bad')).toBe(false);
  });

  it('deletes with --yes, and refuses without a terminal to ask on', async () => {
    const unasked = await strata(['delete', 'cluster', 'demo']);
    expect(unasked.code).toBe(2);
    expect((await cluster()).phase).not.toBe('Deleting');
    const run = await strata(['delete', 'cluster', 'demo', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('cluster/demo deleting');
    const gone = await strata(['wait', 'cluster', 'demo', '--for=Deleted', '--timeout=40s']);
    expect(gone.code, gone.stderr).toBe(0);
  });
});

describe('strata audit', { timeout: 60_000 }, () => {
  /** An admin key of these cases: their entries are told apart by it and by the time they began. */
  let admin: { id: string; key: string };
  let startedAt: string;
  beforeAll(async () => {
    startedAt = new Date().toISOString();
    const made = await api.call('POST', '/v1/apikeys', { body: { name: 'cli-audit-admin', role: 'admin' } });
    expect(made.status).toBe(201);
    admin = { id: made.body.id, key: made.body.key };
  });
  const strataWith = (key: string, args: string[]) => strata(args, { env: { STRATA_API_URL: api.runtime.url, STRATA_API_KEY: key } });
  /** strata audit of these cases' own key since they began. */
  const audit = (...args: string[]) => strataWith(admin.key, ['audit', '--actor', admin.id, '--since', startedAt, ...args]);
  const json = (run: Run) => {
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as any[];
  };

  it('shows a change once, as a success, and a refused change as refused; filters by outcome; prints a table', async () => {
    const made = await api.call('POST', '/v1/registries', { key: admin.key, body: { name: 'audited' } });
    expect(made.status).toBe(201);
    const bad = await api.call('POST', '/v1/registries', { key: admin.key, body: { name: 'Not A Name!' } });
    expect(bad.status).toBe(400);

    const ofRegistry = json(await audit('--resource-id', made.body.id, '-o', 'json'));
    expect(ofRegistry).toHaveLength(1);
    expect(ofRegistry[0]).toMatchObject({ actor: { id: admin.id, role: 'admin' }, action: 'POST /v1/registries', resourceType: 'registries', resourceId: made.body.id, outcome: 'success', status: 201 });

    const refused = json(await audit('--outcome', 'refused', '-o', 'json'));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ action: 'POST /v1/registries', outcome: 'refused', status: 400, error: bad.body.error });

    // Newest first: the refusal came after the create.
    const all = json(await audit('--action', 'post /v1/registries', '--resource-type', 'registry', '-o', 'json'));
    expect(all.map((e) => `${e.outcome} ${e.status}`)).toEqual(['refused 400', 'success 201']);

    const table = await audit('--resource-id', made.body.id);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^TIME\s+ACTOR\s+ACTION\s+RESOURCE\s+OUTCOME\s+STATUS\s+SOURCE IP$/m);
    expect(table.stdout).toMatch(new RegExp(`^\\d+s\\s+${admin.id}\\s+POST /v1/registries\\s+registries/${made.body.id}\\s+success\\s+201\\s+\\S*127\\.0\\.0\\.1`, 'm'));
    expect((await audit('--resource-id', 'reg-none')).stdout).toBe('No audit entries matching the filters.\n');
  });

  it('follows the pages with --all, and exports JSON lines', async () => {
    const made = await Promise.all(['paged-a', 'paged-b', 'paged-c'].map((name) => api.call('POST', '/v1/registries', { key: admin.key, body: { name } })));
    expect(made.map((r) => r.status)).toEqual([201, 201, 201]);
    const ids = made.map((r) => r.body.id).sort();

    const first = await audit('--outcome', 'success', '--action', 'POST /v1/registries', '--limit', '1', '-o', 'json');
    expect(json(first)).toHaveLength(1);
    expect(first.stderr).toContain('--all shows every one');
    const paged = json(await audit('--outcome', 'success', '--action', 'POST /v1/registries', '--limit', '1', '--all', '-o', 'json'));
    expect(paged.map((e) => e.resourceId).filter((id) => ids.includes(id)).sort()).toEqual(ids);

    const exported = await audit('--outcome', 'success', '--action', 'POST /v1/registries', '-o', 'jsonl');
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l).id)).toEqual(paged.map((e) => e.id));
  });

  it('refuses a bad flag before asking the API, and a viewer is refused by the API', async () => {
    const bad = await audit('--outcome', 'maybe');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--outcome <outcome>' argument 'maybe' is invalid");
    const badLimit = await audit('--limit', '500');
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--limit');

    const viewer = await api.call('POST', '/v1/apikeys', { body: { name: 'cli-audit-viewer', role: 'viewer' } });
    const refused = await strataWith(viewer.body.key, ['audit']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\(403 \w+\)/);
  });
});

describe('strata login --sso', { timeout: 30_000 }, () => {
  const configFile = () => join(dir, 'config', 'strata', 'config.json');
  const profiles = () => JSON.parse(readFileSync(configFile(), 'utf8')).profiles;
  const ALICE = { username: 'alice', password: 'alice-local' };
  const BOB = { username: 'bob', password: 'bob-local' };

  /**
   * `strata login --sso --no-browser` as a person runs it: the browser is played by the local
   * provider's form (signInThroughLocalIdp), or by `answer` making up where the provider sends it
   * back; either way the browser then comes back to the CLI's loopback address.
   */
  async function signIn(profile: string, user: { username: string; password: string } | ((authorizeUrl: URL) => URL)) {
    const child = spawn(process.execPath, [BIN, 'login', '--sso', '--no-browser', '--url', api.runtime.url, '--tenant', 'default', '--profile', profile], { env: envOf({}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.on('close', done));
    child.stdin.end();
    try {
      const printed = await eventually(async () => /^Open this URL to sign in: (\S+)$/m.exec(stderr)?.[1], 'the sign-in URL', 10_000);
      const authorizeUrl = new URL(printed);
      const back = typeof user === 'function' ? user(authorizeUrl) : (await signInThroughLocalIdp({ authorizeUrl: printed, ...user })).redirectedTo;
      const page = await fetch(back);
      const pageText = await page.text();
      return { code: await exited, stdout, stderr, authorizeUrl, page: { status: page.status, text: pageText } };
    } finally {
      child.kill();
    }
  }
  const setSso = (...maps: string[]) => strata(['sso', 'set', '--issuer', api.runtime.oidcIssuer, '--client-id', 'strata', '--scopes', 'openid profile email groups offline_access', ...maps.flatMap((m) => ['--map', m])]);
  const asProfile = (profile: string, ...args: string[]) => strata([...args, '--profile', profile], { env: {} });

  it('signs a person in through the browser, stores the sign-in 0600, and later commands act as them', async () => {
    const alice = await signIn('alice', ALICE);
    expect(alice.code, alice.stderr).toBe(0);
    expect(alice.stdout).toContain(`Signed in to ${api.runtime.url} as alice@example.com (role admin, tenant default) as profile "alice"`);
    // The code flow with PKCE S256, back to a port of the loopback address.
    const asked = alice.authorizeUrl.searchParams;
    expect({ responseType: asked.get('response_type'), clientId: asked.get('client_id'), method: asked.get('code_challenge_method') }).toEqual({ responseType: 'code', clientId: 'strata', method: 'S256' });
    expect(asked.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(asked.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(alice.page).toMatchObject({ status: 200, text: expect.stringContaining('You may close this window') });

    expect(modeOf(configFile())).toBe(0o600);
    const stored = profiles().alice;
    expect(stored).toEqual({ url: api.runtime.url, sso: { tenant: 'default', idToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), expiresAt: expect.any(String), refreshToken: expect.any(String) } });
    expect(Date.parse(stored.sso.expiresAt)).toBeGreaterThan(Date.now() + 60_000);

    expect((await asProfile('alice', 'get', 'clusters')).code).toBe(0);
    const shown = await asProfile('alice', 'sso');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^Issuer:\\s+${api.runtime.oidcIssuer}$`, 'm'));
    expect(shown.stdout).toMatch(/^platform-admins\s+admin$/m);
    const audit = await asProfile('alice', 'audit', '--actor', 'user:alice', '-o', 'json');
    expect(audit.code, audit.stderr).toBe(0);
    expect(JSON.parse(audit.stdout)[0].actor).toEqual({ type: 'user', id: 'user:alice', name: 'alice@example.com', role: 'admin' });
  });

  it("gives a person their group's role, and refreshes their ID token when it expires, or asks them to sign in again", async () => {
    const bob = await signIn('bob', BOB);
    expect(bob.code, bob.stderr).toBe(0);
    expect(bob.stdout).toContain('as bob@example.com (role editor, tenant default) as profile "bob"');
    const refused = await asProfile('bob', 'sso');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(403 Forbidden)');

    const signedIn = profiles().bob;
    const expireSoon = (sso: Record<string, unknown>) => {
      const config = JSON.parse(readFileSync(configFile(), 'utf8'));
      config.profiles.bob = { ...signedIn, sso: { ...signedIn.sso, expiresAt: new Date(Date.now() + 30_000).toISOString(), ...sso } };
      writeFileSync(configFile(), JSON.stringify(config), { mode: 0o600 });
    };
    expireSoon({});
    const listed = await asProfile('bob', 'get', 'clusters');
    expect(listed.code, listed.stderr).toBe(0);
    // Refreshed and stored: an hour again.
    expect(Date.parse(profiles().bob.sso.expiresAt)).toBeGreaterThan(Date.now() + 60_000);
    expect(modeOf(configFile())).toBe(0o600);

    expireSoon({ refreshToken: undefined });
    const expired = await asProfile('bob', 'get', 'clusters');
    expect(expired.code).toBe(2);
    expect(expired.stderr).toContain(`your sign-in to ${api.runtime.url} expired; run strata login --sso --url ${api.runtime.url} --tenant default`);
  });

  it("fails in one line, storing nothing, when the provider refuses or none of the person's groups has a role", async () => {
    const cancelled = await signIn('cancelled', (authorizeUrl) => {
      const back = new URL(authorizeUrl.searchParams.get('redirect_uri')!);
      back.search = new URLSearchParams({ error: 'access_denied', error_description: 'sign-in cancelled', state: authorizeUrl.searchParams.get('state')! }).toString();
      return back;
    });
    expect(cancelled.code).toBe(1);
    expect(cancelled.stderr).toMatch(/^error: the identity provider refused the sign-in: access_denied \(sign-in cancelled\)\n$/m);
    expect(cancelled.page.status).toBe(400);

    const onlyAdmins = await setSso('platform-admins=admin');
    expect(onlyAdmins.code, onlyAdmins.stderr).toBe(0);
    try {
      const bob = await signIn('no-role', BOB);
      expect(bob.code).toBe(1);
      expect(bob.stderr).toContain('has a role in tenant default');
      expect(bob.page).toMatchObject({ status: 403, text: expect.stringContaining('has a role in tenant default') });
    } finally {
      expect((await setSso('platform-admins=admin', 'app-developers=editor')).code).toBe(0);
    }
    expect(profiles()).not.toHaveProperty('cancelled');
    expect(profiles()).not.toHaveProperty('no-role');
  });

  it('sets the sign-in settings, refuses a malformed --map naming it, and deletes them only when confirmed', async () => {
    const bad = await setSso('platform-admins=admin', 'app-developers:editor');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--map');
    expect(bad.stderr).toContain('"app-developers:editor" is not GROUP=ROLE');

    const set = await strata(['sso', 'set', '--issuer', api.runtime.oidcIssuer, '--client-id', 'strata', '--groups-claim', 'groups', '--scopes', 'openid profile email groups offline_access', '--map', 'platform-admins=admin', '--map', 'app-developers=editor', '-o', 'json']);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ tenantId: 'default', issuer: api.runtime.oidcIssuer, clientId: 'strata', groupsClaim: 'groups', scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'], groupRoles: [{ group: 'platform-admins', role: 'admin' }, { group: 'app-developers', role: 'editor' }] });

    const unconfirmed = await strata(['sso', 'delete']);
    expect(unconfirmed.code).toBe(2);
    try {
      expect((await strata(['sso', 'delete', '--yes'])).code).toBe(0);
      const none = await strata(['login', '--sso', '--url', api.runtime.url, '--tenant', 'default', '--no-browser'], { env: {} });
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('tenant default has no sign-in');
    } finally {
      expect((await setSso('platform-admins=admin', 'app-developers=editor')).code).toBe(0);
    }
  });
});
