import { X509Certificate } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { agentToken } from '../../core/agent-token.js';
import { bootstrapSettingsFrom, bootstrapTicket } from '../../core/bootstrap.js';
import { caCertHash, pkiSealContext } from '../../core/pki.js';
import { getClusterPki } from '../../adapters/dynamodb/cluster-pki-store.js';
import { getRaw, tenantPk } from '../../adapters/dynamodb/definitions.js';
import { open } from '../../adapters/kms/envelope.js';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

let api: Api;
let cluster: any;
beforeAll(async () => {
  api = await startApi();
  const account = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  const pools = clusterBody(account).nodePools.map((p: any) => (p.role === 'controlPlane' ? { ...p, count: 3, zones: ['sim-east-1a', 'sim-east-1b', 'sim-east-1c'] } : p));
  const id = (await api.call('POST', '/v1/clusters', { body: clusterBody(account, { name: 'secure', nodePools: pools }) })).body.id;
  cluster = await eventually(async () => {
    const c = (await api.call('GET', `/v1/clusters/${id}`)).body;
    return c.phase === 'Running' ? c : undefined;
  }, 'Running');
});
afterAll(() => api.stop());

const instances = () => [...api.runtime.cloud.instances.values()].filter((i) => i.tags['strata:cluster'] === cluster.id);
const bootstrapOf = (node: string) => [...api.runtime.agents.bootstraps.values()].find((b) => b.node === node);
const secret = () => process.env.PLATFORM_SECRET!;

describe('node secrets', () => {
  it('the cluster has its CAs before any node boots; the CA hash is public and pinned by every join', async () => {
    expect(cluster.caCertHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const pki = (await getClusterPki('default', cluster.id))!;
    for (const pem of Object.values(pki.certificates)) expect(new X509Certificate(pem).ca).toBe(true);
    expect(caCertHash(pki.certificates.ca)).toBe(cluster.caCertHash);
    for (const node of ['secure-cp-1', 'secure-cp-2', 'secure-workers-0', 'secure-workers-1']) {
      const join = parse(bootstrapOf(node)!.kubeadm!) as any;
      expect(join.kind).toBe('JoinConfiguration');
      expect(join.discovery.bootstrapToken.caCertHashes).toEqual([cluster.caCertHash]);
      expect(join.discovery.bootstrapToken).not.toHaveProperty('unsafeSkipCAVerification');
    }
    expect(parse(bootstrapOf('secure-cp-0')!.kubeadm!.split('---\n')[0]!).kind).toBe('InitConfiguration');
  });

  it('keeps the CA keys encrypted at rest, bound to the cluster', async () => {
    const raw = await getRaw(tenantPk('default'), `PKI#${cluster.id}`);
    expect(JSON.stringify(raw)).not.toContain('PRIVATE KEY');
    const pki = (await getClusterPki('default', cluster.id))!;
    // Sealed under the platform's one KMS key, not a secret of their own.
    expect(pki.sealedKeys.keyId).toBe(process.env.CLUSTER_SECRETS_KEY_ARN);
    const keys = JSON.parse((await open(pki.sealedKeys, pkiSealContext('default', cluster.id))).toString('utf8'));
    expect(keys.ca).toContain('BEGIN PRIVATE KEY');
    await expect(open(pki.sealedKeys, pkiSealContext('default', 'cl-another'))).rejects.toThrow();
  });

  it('keeps the platform secret as a SecureString parameter under the platform path, given decrypted only when asked', async () => {
    const name = process.env.PLATFORM_SECRET_PARAMETER!;
    expect(name).toBe('/strata/local/platform-secret');
    const ssm = new SSMClient({});
    expect((await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter).toMatchObject({ Type: 'SecureString', Value: secret() });
    expect((await ssm.send(new GetParameterCommand({ Name: name }))).Parameter!.Value).not.toBe(secret());
  });

  it('user data is one #cloud-config with no long-lived secret: a one-time ticket and nothing else', async () => {
    for (const inst of instances()) {
      const text = inst.userData;
      expect(text.startsWith('#cloud-config\n')).toBe(true);
      const doc = parse(text) as { write_files: { path: string; content: string }[]; runcmd: unknown[] };
      // Beside the ticket, control-plane nodes get only the agent's systemd unit (no secret in it).
      const cp = inst.tags['strata:role'] === 'controlPlane';
      expect(doc.write_files.map((f) => f.path)).toEqual(['/etc/strata/bootstrap.env', ...(cp ? ['/etc/systemd/system/strata-agent.service'] : [])]);
      for (const forbidden of ['PRIVATE KEY', 'sat.', 'STRATA_AGENT_TOKEN', 'certificate-key', 'unsafe-skip-ca-verification', '--token']) expect(text, forbidden).not.toContain(forbidden);
      expect(bootstrapSettingsFrom(text)!.ticket).toMatch(/^sbt\./);
    }
  });

  it('bundles: control-plane nodes get the CA material and the agent settings, workers only their join', () => {
    const cp = bootstrapOf('secure-cp-1')!.files!;
    expect(Object.keys(cp).sort()).toEqual(
      [
        '/etc/kubernetes/kubeadm.yaml',
        '/etc/kubernetes/pki/ca.crt',
        '/etc/kubernetes/pki/ca.key',
        '/etc/kubernetes/pki/etcd/ca.crt',
        '/etc/kubernetes/pki/etcd/ca.key',
        '/etc/kubernetes/pki/front-proxy-ca.crt',
        '/etc/kubernetes/pki/front-proxy-ca.key',
        '/etc/kubernetes/pki/sa.key',
        '/etc/kubernetes/pki/sa.pub',
        '/etc/strata/agent.env',
      ].sort(),
    );
    expect(cp['/etc/kubernetes/pki/ca.key']).toBe(0o600);
    expect(cp['/etc/strata/agent.env']).toBe(0o600);
    expect(cp['/etc/kubernetes/pki/ca.crt']).toBe(0o644);
    expect(Object.keys(bootstrapOf('secure-workers-0')!.files!)).toEqual(['/etc/kubernetes/kubeadm.yaml']);
  });

  it('a ticket opens its bundle once: a used, forged or expired ticket is 401', async () => {
    const bootstrap = (ticket: string) => api.call('POST', '/agent/v1/bootstrap', { key: ticket });
    const used = bootstrapSettingsFrom(instances()[0]!.userData)!.ticket;
    expect((await bootstrap(used)).status).toBe(401);
    const forged = used.replace(/.{4}$/, 'AAAA');
    expect((await bootstrap(forged)).status).toBe(401);
    const twoHoursAgo = Math.floor(Date.now() / 1000) - 7200;
    const expired = bootstrapTicket(secret(), { tenantId: 'default', clusterId: cluster.id, node: 'secure-workers-0', issuedAt: twoHoursAgo });
    const res = await bootstrap(expired);
    expect(res.status).toBe(401);
    expect(res.body.message).toContain('expired');
    expect((await api.call('POST', '/agent/v1/bootstrap', { key: api.key })).status).toBe(401);
  });

  it("the agent's download takes a fresh ticket (without spending it), not a forged or expired one, and is the bundle nodes check", async () => {
    const download = (ticket: string) => fetch(`${api.runtime.url}/agent/v1/agent`, { method: 'POST', headers: { authorization: `Bearer ${ticket}` } });
    const fresh = bootstrapTicket(secret(), { tenantId: 'default', clusterId: cluster.id, node: 'secure-cp-0', issuedAt: Math.floor(Date.now() / 1000) });
    const res = await download(fresh);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/gzip');
    const { gunzipSync } = await import('node:zlib');
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(gunzipSync(Buffer.from(await res.arrayBuffer()))).digest('hex')).toBe(process.env.AGENT_BUNDLE_SHA256);
    expect((await download(fresh)).status).toBe(200); // not spent
    expect((await download(fresh.replace(/.{4}$/, 'AAAA'))).status).toBe(401);
    const expired = bootstrapTicket(secret(), { tenantId: 'default', clusterId: cluster.id, node: 'secure-cp-0', issuedAt: Math.floor(Date.now() / 1000) - 7200 });
    expect((await download(expired)).status).toBe(401);
    expect((await download(api.key)).status).toBe(401);
  });

  it('a forged agent token is refused without reading anything', async () => {
    const reads = mockClient(DynamoDBDocumentClient);
    try {
      const forged = agentToken('not-the-platform-secret', 'default', cluster.id);
      const res = await api.call('POST', '/agent/v1/heartbeat', { key: forged, body: { agentVersion: 't', clusterId: cluster.id, observedGeneration: 0, nodes: [] } });
      expect(res.status).toBe(401);
      expect(reads.calls()).toHaveLength(0);
    } finally {
      reads.restore();
    }
  });
});

describe('agent token rotation', () => {
  const beat = (token: string) => api.call('POST', '/agent/v1/heartbeat', { key: token, body: { agentVersion: 't', clusterId: cluster.id, observedGeneration: 1, nodes: [] } });

  it('hands the agent its new token in a heartbeat; the old one stops once the new one is used', async () => {
    await api.call('POST', '/local/faults', { body: { cluster: cluster.id, agent: 'silent' } }); // this test is the agent now
    const old = agentToken(secret(), 'default', cluster.id, 1);
    expect((await beat(old)).status).toBe(200);

    const rotate = await api.call('POST', `/v1/clusters/${cluster.id}/agent-token/rotate`);
    expect(rotate.status).toBe(202);
    expect(rotate.body).toMatchObject({ epoch: 2, previousEpoch: 1, previousValidUntil: expect.any(String) });
    const next = agentToken(secret(), 'default', cluster.id, 2);

    const told = await eventually(async () => {
      const res = await beat(old);
      return res.body.agentToken ? res : undefined;
    }, 'a heartbeat answer carrying the new token');
    expect(told.status).toBe(200);
    expect(told.body.agentToken).toBe(next);
    expect(JSON.stringify((await api.call('GET', `/v1/clusters/${cluster.id}`)).body)).not.toContain(next);

    expect((await beat(next)).status).toBe(200);
    expect((await beat(next)).body).not.toHaveProperty('agentToken');
    const refused = await beat(old);
    expect(refused.status).toBe(401);
    expect(refused.body.message).toContain('revoked');
  });

  it('is for editors of the tenant’s own clusters', async () => {
    const viewer = (await api.call('POST', '/v1/apikeys', { body: { name: 'ro', role: 'viewer' } })).body.key;
    expect((await api.call('POST', `/v1/clusters/${cluster.id}/agent-token/rotate`, { key: viewer })).status).toBe(403);
    expect((await api.call('POST', '/v1/clusters/cl-nope/agent-token/rotate')).status).toBe(404);
  });
});
