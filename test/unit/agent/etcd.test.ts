import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_KINDS } from '../../../core/agent-commands.js';
import { generateClusterPki, issueClientCertificate } from '../../../core/pki.js';
import { Agent, silentLogger } from '../../../agent/agent.js';
import { CommandDeclined, commandHandlers, removeEtcdMember } from '../../../agent/commands.js';
import { ETCD_DEFAULTS, EtcdGateway, etcdOptionsFromEnv, type EtcdMember, type EtcdMembers } from '../../../agent/etcd.js';
import { KubernetesInstaller } from '../../../agent/packs.js';
import { FakeClock, kubeConfigFor, sendJson, startServer, until, type Handler, type TestServer } from './helpers.js';

/** Member ids as etcd makes them: uint64, most above 2^53, so the gateway writes them as strings. */
const CP = [
  { ID: '9372538179322589801', name: 'cl-1-cp-0', peerURLs: ['https://10.0.0.10:2380'], clientURLs: ['https://10.0.0.10:2379'] },
  { ID: '10501334649042878790', name: 'cl-1-cp-1', peerURLs: ['https://10.0.1.11:2380'], clientURLs: ['https://10.0.1.11:2379'] },
  { ID: '18249187646912138824', name: 'cl-1-cp-2', peerURLs: ['https://10.0.2.12:2380'], clientURLs: ['https://10.0.2.12:2379'] },
];
const CLUSTER_ID = '17237436991929493444';

/**
 * etcd's v3 JSON gateway, as etcd 3.5 answers (grpc-gateway): a response header naming the member
 * that answered, members with string ids, and gRPC errors as {error, code, message}.
 */
function etcdGateway(members: EtcdMember[], self = members[0]!.ID) {
  const header = () => ({ cluster_id: CLUSTER_ID, member_id: self, raft_term: '4' });
  const removals: string[] = [];
  const handler: Handler = (req, res) => {
    if (req.method !== 'POST') return sendJson(res, 405, { code: 12, message: 'Method Not Allowed' });
    if (req.path === '/v3/cluster/member/list') return sendJson(res, 200, { header: header(), members });
    if (req.path === '/v3/cluster/member/remove') {
      const { ID } = JSON.parse(req.body);
      removals.push(ID);
      const i = members.findIndex((m) => m.ID === String(ID));
      if (i < 0) return sendJson(res, 404, { error: 'etcdserver: member not found', code: 5, message: 'etcdserver: member not found' });
      members.splice(i, 1);
      return sendJson(res, 200, { header: header(), members });
    }
    return sendJson(res, 404, { error: 'Not Found', code: 5, message: 'Not Found' });
  };
  return { handler, members, removals };
}

const servers: TestServer[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function plainGateway(members: EtcdMember[], self?: string) {
  const g = etcdGateway(members.map((m) => ({ ...m })), self);
  const server = await startServer(g.handler);
  servers.push(server);
  return { ...g, server, etcd: new EtcdGateway({ endpoint: server.url }) };
}

describe('removeEtcdMember against the etcd gateway', () => {
  it('removes the member named after the node, by its id as a string, and counts those left', async () => {
    const g = await plainGateway(CP);
    const result = await removeEtcdMember(g.etcd, { node: 'cl-1-cp-2' });
    expect(result).toEqual({ node: 'cl-1-cp-2', removed: true, members: 2 });
    expect(COMMAND_KINDS.removeEtcdMember.result.safeParse(result).success).toBe(true);
    expect(g.server.requests.map((r) => `${r.method} ${r.path} ${r.body}`)).toEqual([
      'POST /v3/cluster/member/list {}',
      'POST /v3/cluster/member/remove {"ID":"18249187646912138824"}',
    ]);
    expect(g.members.map((m) => m.name)).toEqual(['cl-1-cp-0', 'cl-1-cp-1']);
  });

  it('a member gone already is success, removed false (delivery is at least once)', async () => {
    const g = await plainGateway(CP.slice(0, 2));
    expect(await removeEtcdMember(g.etcd, { node: 'cl-1-cp-2' })).toEqual({ node: 'cl-1-cp-2', removed: false, members: 2 });
    expect(g.removals).toEqual([]);
  });

  it('removed by someone else between the list and the remove (NotFound): removed false, counted again', async () => {
    const members: EtcdMember[] = CP.map((m) => ({ ...m }));
    const racing: EtcdMembers = {
      list: async () => ({ self: CP[0]!.ID, members: [...members] }),
      remove: async (id) => {
        members.splice(members.findIndex((m) => m.ID === id), 1);
        return new EtcdGateway({ endpoint: (await plainGateway(members)).server.url }).remove(id);
      },
    };
    expect(await removeEtcdMember(racing, { node: 'cl-1-cp-1' })).toEqual({ node: 'cl-1-cp-1', removed: false, members: 2 });
  });

  it('refuses the last member, and declines the one of the etcd it talks to', async () => {
    const last = await plainGateway(CP.slice(0, 1));
    await expect(removeEtcdMember(last.etcd, { node: 'cl-1-cp-0' })).rejects.toThrow("cl-1-cp-0 is the cluster's last etcd member: removing it would lose the cluster's data");
    const own = await plainGateway(CP, CP[1]!.ID);
    const declined = await removeEtcdMember(own.etcd, { node: 'cl-1-cp-1' }).catch((e: unknown) => e);
    expect(declined).toBeInstanceOf(CommandDeclined);
    expect((declined as Error).message).toMatch(/another control-plane node's agent removes it/);
    expect(own.removals).toEqual([]);
  });

  it("carries etcd's own error (a remove that would break quorum)", async () => {
    const server = await startServer((req, res) =>
      req.path === '/v3/cluster/member/list'
        ? sendJson(res, 200, { header: { cluster_id: CLUSTER_ID, member_id: CP[0]!.ID, raft_term: '4' }, members: CP })
        : sendJson(res, 412, { error: 'etcdserver: re-configuration failed due to not enough started members', code: 9, message: 'etcdserver: re-configuration failed due to not enough started members' }),
    );
    servers.push(server);
    await expect(removeEtcdMember(new EtcdGateway({ endpoint: server.url }), { node: 'cl-1-cp-2' })).rejects.toThrow(
      'etcd /v3/cluster/member/remove: etcdserver: re-configuration failed due to not enough started members',
    );
  });

  it('refuses bad arguments, and fails saying so without etcd', async () => {
    const g = await plainGateway(CP);
    await expect(removeEtcdMember(g.etcd, { node: 'Not A Node' })).rejects.toThrow(/^bad removeEtcdMember arguments: node: /);
    expect(g.server.requests).toHaveLength(0);
    await expect(commandHandlers('1', { clock: new FakeClock('auto') }).removeEtcdMember({ node: 'a' }, { signal: new AbortController().signal })).rejects.toThrow('this agent has no access to etcd');
  });

  it('a declined command gets no outcome from this agent; the others are reported', async () => {
    const g = await plainGateway(CP, CP[0]!.ID);
    const reports: { id: string; body: any }[] = [];
    const commands = [
      { id: 'cmd-own', kind: 'removeEtcdMember', args: { node: 'cl-1-cp-0' }, deadline: '2099-01-01T00:00:00Z' },
      { id: 'cmd-other', kind: 'removeEtcdMember', args: { node: 'cl-1-cp-2' }, deadline: '2099-01-01T00:00:00Z' },
    ];
    const api = await startServer((req, res) => {
      if (req.path.startsWith('/agent/v1/commands/')) {
        reports.push({ id: req.path.split('/')[4]!, body: JSON.parse(req.body) });
        return sendJson(res, 200, { id: req.path.split('/')[4], status: 'Succeeded' });
      }
      sendJson(res, 200, { desiredGeneration: 1, packs: [], commands, heartbeatIntervalSeconds: 30 });
    });
    servers.push(api);
    const clock = new FakeClock('manual');
    const agent = new Agent(
      { apiUrl: api.url, clusterId: 'cl-1', token: 't' },
      { source: { collect: async () => ({ nodes: [], services: [] }) }, installer: new KubernetesInstaller(kubeConfigFor(api.url)), etcd: g.etcd, clock, logger: silentLogger },
    );
    agents.push(agent);
    void agent.run();
    await until(() => reports.length >= 1 && clock.sleeping);
    // Delivered again with the next heartbeat: neither runs again.
    clock.elapse();
    await until(() => api.requests.filter((r) => r.path === '/agent/v1/heartbeat').length >= 2 && clock.sleeping);
    expect(reports).toEqual([{ id: 'cmd-other', body: { status: 'Succeeded', result: { node: 'cl-1-cp-2', removed: true, members: 2 } } }]);
    expect(g.server.requests.filter((r) => r.path === '/v3/cluster/member/list')).toHaveLength(2);
  });
});

/** An etcd CA, a serving certificate for 127.0.0.1 and a client certificate, as kubeadm makes them for stacked etcd. */
async function etcdPki(dir: string) {
  const { pki, keys } = await generateClusterPki();
  const now = new Date();
  const validity = { notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + 3_600_000) };
  const client = await issueClientCertificate({ certificates: { ...pki.certificates, ca: pki.certificates.etcdCa } }, { ca: keys.etcdCa }, { commonName: 'kube-etcd-healthcheck-client', organizations: [] }, validity);
  x509.cryptoProvider.set(webcrypto as never);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const ca = new x509.X509Certificate(pki.certificates.etcdCa);
  const caKey = await webcrypto.subtle.importKey('pkcs8', Buffer.from(keys.etcdCa.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const leaf = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: 'CN=cl-1-cp-0',
    issuer: ca.subjectName,
    ...validity,
    signingAlgorithm: alg,
    publicKey: leaf.publicKey as never,
    signingKey: caKey as never,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leaf.privateKey));
  const files = { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'healthcheck-client.crt'), keyFile: join(dir, 'healthcheck-client.key') };
  writeFileSync(files.caFile, pki.certificates.etcdCa);
  writeFileSync(files.certFile, client.certificate);
  writeFileSync(files.keyFile, client.key, { mode: 0o600 });
  return { files, ca: pki.certificates.etcdCa, server: { cert: server.toString('pem'), key: `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n` } };
}

describe('the etcd gateway over mutual TLS', () => {
  let dir: string;
  let https: Server;
  let endpoint: string;
  let files: { caFile: string; certFile: string; keyFile: string };
  const g = etcdGateway(CP.map((m) => ({ ...m })));
  const clientCerts: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-etcd-'));
    const pki = await etcdPki(dir);
    files = pki.files;
    // As etcd runs under kubeadm: --client-cert-auth=true, --trusted-ca-file=etcd/ca.crt.
    https = createServer({ ...pki.server, ca: pki.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const chunks: Buffer[] = [];
      clientCerts.push(String((req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN ?? ''));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        g.handler({ method: req.method ?? '', path: new URL(req.url ?? '/', 'https://x').pathname, query: new URLSearchParams(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }, res),
      );
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    endpoint = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => https.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists and removes with the client certificate, trusting only the etcd CA', async () => {
    const etcd = new EtcdGateway({ endpoint, ...files });
    const listed = await etcd.list();
    expect(listed).toEqual({ self: CP[0]!.ID, members: CP });
    expect(await removeEtcdMember(etcd, { node: 'cl-1-cp-1' })).toEqual({ node: 'cl-1-cp-1', removed: true, members: 2 });
    expect(clientCerts).toEqual(['kube-etcd-healthcheck-client', 'kube-etcd-healthcheck-client', 'kube-etcd-healthcheck-client']);
  });

  it('fails without a client certificate etcd trusts, or when it does not trust the server', async () => {
    const other = mkdtempSync(join(tmpdir(), 'strata-etcd-other-'));
    try {
      const stranger = await etcdPki(other);
      // A client certificate of another etcd CA: the handshake is refused.
      await expect(new EtcdGateway({ endpoint, ...files, certFile: stranger.files.certFile, keyFile: stranger.files.keyFile }).list()).rejects.toThrow();
      // Another CA to trust: the server is not believed.
      await expect(new EtcdGateway({ endpoint, ...files, caFile: stranger.files.caFile }).list()).rejects.toThrow(/certificate/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    await expect(new EtcdGateway({ endpoint, ...files, keyFile: join(dir, 'missing.key') }).list()).rejects.toThrow(/ENOENT/);
  });

  it("defaults to kubeadm's stacked etcd and its health-check client certificate; STRATA_ETCD_* override", () => {
    expect(ETCD_DEFAULTS).toEqual({
      endpoint: 'https://127.0.0.1:2379',
      caFile: '/etc/kubernetes/pki/etcd/ca.crt',
      certFile: '/etc/kubernetes/pki/etcd/healthcheck-client.crt',
      keyFile: '/etc/kubernetes/pki/etcd/healthcheck-client.key',
    });
    expect(etcdOptionsFromEnv({ STRATA_ETCD_ENDPOINT: 'https://10.0.0.10:2379', STRATA_ETCD_KEY_FILE: ' ' })).toEqual({ endpoint: 'https://10.0.0.10:2379' });
  });
});
