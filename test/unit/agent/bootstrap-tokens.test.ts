import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { COMMAND_KINDS, delivered, type Command } from '../../../core/agent-commands.js';
import { joinTokenId, joinTokenSecret } from '../../../core/bootstrap-tokens.js';
import { Agent, silentLogger } from '../../../agent/agent.js';
import { commandHandlers, createBootstrapToken } from '../../../agent/commands.js';
import { KubernetesSecretOperations } from '../../../agent/kubernetes-source.js';
import { KubernetesInstaller } from '../../../agent/packs.js';
import { FakeClock, kubeConfigFor, sendJson, startServer, until, type Recorded, type TestServer } from './helpers.js';

const servers: TestServer[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const status = (code: number, reason: string, message: string, details?: object) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });

/**
 * The API server's Secret endpoints in kube-system, as it answers: a create folds stringData into
 * (base64) data and answers 201 with the stored object; a name taken is 409 AlreadyExists.
 */
async function secretsApi() {
  const stored = new Map<string, any>();
  const server = await startServer((req: Recorded, res) => {
    const one = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && one) {
      const s = stored.get(`${one[1]}/${one[2]}`);
      return s ? sendJson(res, 200, s) : sendJson(res, 404, status(404, 'NotFound', `secrets "${one[2]}" not found`, { name: one[2], kind: 'secrets' }));
    }
    const list = /^\/api\/v1\/namespaces\/([^/]+)\/secrets$/.exec(req.path);
    if (req.method === 'POST' && list) {
      const body = JSON.parse(req.body);
      const key = `${list[1]}/${body.metadata?.name}`;
      if (body.kind !== 'Secret' || body.apiVersion !== 'v1') return sendJson(res, 400, status(400, 'BadRequest', `not a v1 Secret: ${req.body}`));
      if (stored.has(key)) return sendJson(res, 409, status(409, 'AlreadyExists', `secrets "${body.metadata.name}" already exists`, { name: body.metadata.name, kind: 'secrets' }));
      const data = { ...body.data, ...Object.fromEntries(Object.entries(body.stringData ?? {}).map(([k, v]) => [k, b64(String(v))])) };
      const secret = {
        kind: 'Secret',
        apiVersion: 'v1',
        metadata: { name: body.metadata.name, namespace: list[1], uid: randomUUID(), resourceVersion: String(100 + stored.size), creationTimestamp: '2026-01-01T00:00:00Z' },
        data,
        type: body.type ?? 'Opaque',
      };
      stored.set(key, secret);
      return sendJson(res, 201, secret);
    }
    return sendJson(res, 404, status(404, 'NotFound', `no route ${req.method} ${req.path}`));
  });
  servers.push(server);
  const decoded = (name: string) => Object.fromEntries(Object.entries(stored.get(`kube-system/${name}`)?.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')]));
  return { server, stored, decoded, secrets: new KubernetesSecretOperations(kubeConfigFor(server.url)) };
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const tokenId = joinTokenId('cl-1/cl-1-workers-3/1767225600');
const tokenSecret = joinTokenSecret('platform', 'cl-1', tokenId);
/** The arguments as the heartbeat answer carries them: the stored ones with the derived secret. */
const deliveredArgs = (ttlSeconds = 3600) => {
  const c: Command = {
    id: 'cmd-1',
    clusterId: 'cl-1',
    kind: 'createBootstrapToken',
    args: COMMAND_KINDS.createBootstrapToken.args.parse({ tokenId, ttlSeconds, description: 'strata: join of cl-1-workers-3' }) as Record<string, unknown>,
    status: 'Pending',
    createdAt: '',
    deadline: '2099-01-01T00:00:00Z',
    updatedAt: '',
  };
  return delivered(c, 'platform').args;
};

describe('createBootstrapToken', () => {
  it('creates the Secret kubeadm token create would: bootstrap-token-<id> in kube-system, for authentication and signing, in the node group', async () => {
    const k = await secretsApi();
    const result = await createBootstrapToken(k.secrets, { now: () => T0 + 123 }, deliveredArgs(900));
    expect(result).toEqual({ tokenId, expiration: '2026-01-01T00:15:00Z' });
    expect(COMMAND_KINDS.createBootstrapToken.result.safeParse(result).success).toBe(true);

    const post = k.server.requests.find((r) => r.method === 'POST')!;
    expect(post.path).toBe('/api/v1/namespaces/kube-system/secrets');
    expect(JSON.parse(post.body)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `bootstrap-token-${tokenId}`, namespace: 'kube-system' },
      type: 'bootstrap.kubernetes.io/token',
      stringData: {
        'token-id': tokenId,
        'token-secret': tokenSecret,
        expiration: '2026-01-01T00:15:00Z',
        'usage-bootstrap-authentication': 'true',
        'usage-bootstrap-signing': 'true',
        'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
        description: 'strata: join of cl-1-workers-3',
      },
    });
    expect(k.stored.get(`kube-system/bootstrap-token-${tokenId}`).type).toBe('bootstrap.kubernetes.io/token');
    expect(k.decoded(`bootstrap-token-${tokenId}`)).toMatchObject({ 'token-id': tokenId, 'token-secret': tokenSecret, expiration: '2026-01-01T00:15:00Z' });
  });

  it('delivered again, finds its own token (409) and answers with the expiration made the first time', async () => {
    const k = await secretsApi();
    const first = await createBootstrapToken(k.secrets, { now: () => T0 }, deliveredArgs());
    const again = await createBootstrapToken(k.secrets, { now: () => T0 + 60_000 }, deliveredArgs());
    expect(again).toEqual(first);
    expect(k.server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v1/namespaces/kube-system/secrets',
      'POST /api/v1/namespaces/kube-system/secrets',
      `GET /api/v1/namespaces/kube-system/secrets/bootstrap-token-${tokenId}`,
    ]);
  });

  it('fails when another token has the id, or its own has expired, never naming the secret', async () => {
    const k = await secretsApi();
    await createBootstrapToken(k.secrets, { now: () => T0 }, { ...deliveredArgs(), tokenSecret: 'aaaaaaaaaaaaaaaa' });
    const other = await createBootstrapToken(k.secrets, { now: () => T0 }, deliveredArgs()).catch((e: Error) => e);
    expect((other as Error).message).toBe(`another bootstrap token has the id ${tokenId} (Secret kube-system/bootstrap-token-${tokenId})`);
    expect((other as Error).message).not.toContain(tokenSecret);

    const k2 = await secretsApi();
    await createBootstrapToken(k2.secrets, { now: () => T0 }, deliveredArgs(60));
    await expect(createBootstrapToken(k2.secrets, { now: () => T0 + 61_000 }, deliveredArgs(60))).rejects.toThrow(`bootstrap token ${tokenId} exists but expires at 2026-01-01T00:01:00Z`);
  });

  it('refuses the stored form (no secret) and a malformed secret before calling the API server', async () => {
    const k = await secretsApi();
    const { tokenSecret: _, ...stored } = deliveredArgs();
    await expect(createBootstrapToken(k.secrets, { now: () => T0 }, stored)).rejects.toThrow(/^bad createBootstrapToken arguments: tokenSecret: /);
    const bad = await createBootstrapToken(k.secrets, { now: () => T0 }, { ...stored, tokenSecret: 'NOT-A-SECRET-123' }).catch((e: Error) => e);
    expect((bad as Error).message).toMatch(/^bad createBootstrapToken arguments: tokenSecret: a kubeadm token secret/);
    expect((bad as Error).message).not.toContain('NOT-A-SECRET-123');
    expect(k.server.requests).toHaveLength(0);
  });

  it('runs from a heartbeat answer and reports its outcome; without the Kubernetes API it fails saying so', async () => {
    const k = await secretsApi();
    const reports: { id: string; body: any }[] = [];
    const api = await startServer((req, res) => {
      if (req.path.startsWith('/agent/v1/commands/')) {
        reports.push({ id: req.path.split('/')[4]!, body: JSON.parse(req.body) });
        return sendJson(res, 200, { id: req.path.split('/')[4], status: 'Succeeded' });
      }
      sendJson(res, 200, { desiredGeneration: 1, packs: [], commands: [{ id: 'cmd-token', kind: 'createBootstrapToken', args: deliveredArgs(), deadline: '2099-01-01T00:00:00Z' }], heartbeatIntervalSeconds: 30 });
    });
    servers.push(api);
    const clock = new FakeClock('manual');
    const agent = new Agent(
      { apiUrl: api.url, clusterId: 'cl-1', token: 't' },
      { source: { collect: async () => ({ nodes: [], services: [] }) }, installer: new KubernetesInstaller(kubeConfigFor(k.server.url)), secrets: k.secrets, clock, logger: silentLogger },
    );
    agents.push(agent);
    void agent.run();
    await until(() => reports.length >= 1);
    expect(reports).toEqual([{ id: 'cmd-token', body: { status: 'Succeeded', result: { tokenId, expiration: new Date(clock.t + 3_600_000).toISOString().replace('.000Z', 'Z') } } }]);

    const none = commandHandlers('1', { clock });
    await expect(none.createBootstrapToken(deliveredArgs(), { signal: new AbortController().signal })).rejects.toThrow('this agent has no access to the Kubernetes API');
  });
});
