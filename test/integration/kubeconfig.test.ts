import { createPrivateKey, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { caCertHash } from '../../core/pki.js';
import { getClusterPki } from '../../adapters/dynamodb/cluster-pki-store.js';
import { clusterBody, eventually, startApi, type Api } from './harness.js';

let api: Api;
let accountId: string;
let cluster: any;
/** An admin key of its own, so the test knows the key id the certificate must name. */
let admin: { id: string; key: string };

beforeAll(async () => {
  api = await startApi();
  accountId = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body.id;
  admin = (await api.call('POST', '/v1/apikeys', { body: { name: 'ops', role: 'admin' } })).body;
  const id = (await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'kc' }) })).body.id;
  cluster = await eventually(async () => {
    const c = (await api.call('GET', `/v1/clusters/${id}`)).body;
    return c.phase === 'Running' ? c : undefined;
  }, 'Running', 30_000);
});
afterAll(() => api.stop());

const kubeconfigOf = (id: string, opts: { key?: string; query?: string } = {}) => api.call('GET', `/v1/clusters/${id}/kubeconfig${opts.query ?? ''}`, { key: opts.key ?? admin.key });
const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** The parts of a kubeconfig, decoded. */
function open(kubeconfig: string) {
  const doc = parse(kubeconfig);
  expect(doc.clusters).toHaveLength(1);
  expect(doc.users).toHaveLength(1);
  expect(doc.contexts).toHaveLength(1);
  const ctx = doc.contexts.find((c: any) => c.name === doc['current-context']);
  expect(ctx.context).toEqual({ cluster: doc.clusters[0].name, user: doc.users[0].name });
  return {
    doc,
    server: doc.clusters[0].cluster.server as string,
    ca: b64(doc.clusters[0].cluster['certificate-authority-data']),
    cert: b64(doc.users[0].user['client-certificate-data']),
    key: b64(doc.users[0].user['client-key-data']),
  };
}

describe('GET /v1/clusters/{id}/kubeconfig', () => {
  it("gives an admin a kubeconfig for the cluster's endpoint, its certificate signed by the cluster CA for 24 h, never cached", async () => {
    const before = api.runtime.clock.now();
    const res = await kubeconfigOf(cluster.id);
    const after = api.runtime.clock.now();
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.user).toBe(`strata:${admin.id}`);

    const kc = open(res.body.kubeconfig);
    const infra = cluster.status.infrastructure;
    expect(kc.server).toBe(`https://${infra.apiEndpoint}:${infra.apiPort}`);
    expect(kc.doc.clusters[0].name).toBe('kc');
    expect(kc.doc['current-context']).toContain('kc');
    expect(kc.doc.users[0].name).toContain('kc');

    // The CA in the kubeconfig is the cluster's own: the one its nodes pin.
    const pki = (await getClusterPki('default', cluster.id))!;
    expect(kc.ca).toBe(pki.certificates.ca);
    expect(caCertHash(kc.ca)).toBe(cluster.caCertHash);

    const cert = new X509Certificate(kc.cert);
    for (const ca of [new X509Certificate(kc.ca), new X509Certificate(pki.certificates.ca)]) {
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.checkIssued(ca)).toBe(true);
    }
    expect(cert.checkPrivateKey(createPrivateKey(kc.key))).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    expect(cert.subject.split('\n')).toEqual(['O=kubeadm:cluster-admins', `CN=strata:${admin.id}`]);
    expect(cert.subject).not.toContain('system:masters');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth only

    // Valid from five minutes back (clock skew) for 24 h, and not a second more; whole seconds.
    const from = new Date(cert.validFrom).getTime();
    const to = new Date(cert.validTo).getTime();
    expect(res.body.expiresAt).toBe(new Date(to).toISOString());
    expect(to).toBeLessThanOrEqual(after + 24 * 3_600_000);
    expect(to).toBeGreaterThanOrEqual(before + (23 * 60 + 59) * 60_000);
    expect(from).toBeGreaterThanOrEqual(before - 5 * 60_000 - 1000);
    expect(from).toBeLessThanOrEqual(after - 5 * 60_000);
  });

  it('makes a new key pair for every call', async () => {
    const [a, b] = [open((await kubeconfigOf(cluster.id)).body.kubeconfig), open((await kubeconfigOf(cluster.id)).body.kubeconfig)];
    expect(a.key).not.toBe(b.key);
    const spki = (pem: string) => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    expect(spki(a.cert)).not.toBe(spki(b.cert));
    expect(new X509Certificate(a.cert).serialNumber).not.toBe(new X509Certificate(b.cert).serialNumber);
  });

  it('shortens the life with ?ttlMinutes=, and refuses a ttl outside 5..1440 naming the field', async () => {
    const now = api.runtime.clock.now();
    const short = await kubeconfigOf(cluster.id, { query: '?ttlMinutes=30' });
    expect(short.status).toBe(200);
    const to = new Date(new X509Certificate(open(short.body.kubeconfig).cert).validTo).getTime();
    expect(to).toBeGreaterThan(now + 29 * 60_000);
    expect(to).toBeLessThanOrEqual(now + 31 * 60_000);
    for (const bad of ['0', '4', '1441', 'abc', '1.5']) {
      const res = await kubeconfigOf(cluster.id, { query: `?ttlMinutes=${bad}` });
      expect(res.status, bad).toBe(400);
      expect(res.body.details.map((d: any) => d.path), bad).toEqual(['query.ttlMinutes']);
    }
    expect((await kubeconfigOf(cluster.id, { query: '?ttlMinutes=1440' })).status).toBe(200);
  });

  it('records each issue as a Normal KubeconfigIssued event naming who and until when, with no key material', async () => {
    const issuedEvents = async () => (await api.call('GET', `/v1/clusters/${cluster.id}/events?limit=100`)).body.items.filter((e: any) => e.reason === 'KubeconfigIssued');
    const before = (await issuedEvents()).length;
    const issued = await kubeconfigOf(cluster.id);
    const kc = open(issued.body.kubeconfig);
    const events = (await api.call('GET', `/v1/clusters/${cluster.id}/events?limit=100`)).body.items;
    const mine = await issuedEvents();
    // One event per issue, never folded into another.
    expect(mine.length).toBe(before + 1);
    expect(mine.every((e: any) => e.type === 'Normal' && e.count === 1)).toBe(true);
    const last = mine[0];
    expect(last.message).toContain(`strata:${admin.id}`);
    expect(last.message).toContain(issued.body.expiresAt);
    expect(last.message).toContain(new X509Certificate(kc.cert).serialNumber.toLowerCase());
    const text = JSON.stringify(events);
    expect(text).not.toMatch(/PRIVATE KEY|CERTIFICATE/);
    for (const secret of [kc.key, kc.cert]) {
      const body = secret.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
      expect(text).not.toContain(body.slice(0, 40));
    }
  });

  it('is for admins only: viewer and editor keys get 403', async () => {
    for (const role of ['viewer', 'editor']) {
      const key = (await api.call('POST', '/v1/apikeys', { body: { name: `kc-${role}`, role } })).body.key;
      const res = await kubeconfigOf(cluster.id, { key });
      expect(res.status, role).toBe(403);
      expect(JSON.stringify(res.body)).not.toContain('kubeconfig:');
    }
  });

  it("answers 404 for another tenant's cluster and for an unknown id", async () => {
    const other = (await api.call('POST', '/v1/tenants', { body: { name: 'kc-other' } })).body.apiKey.key;
    expect((await kubeconfigOf(cluster.id, { key: other })).status).toBe(404);
    expect((await kubeconfigOf('cl-doesnotexist')).status).toBe(404);
  });

  it('answers 409 while the cluster has no API endpoint, and once it is being deleted', async () => {
    // The network can never be made: the cluster stays without infrastructure.
    expect((await api.call('POST', '/local/faults', { body: { operation: 'CreateVpc', error: 'InternalError', times: 1000 } })).status).toBe(201);
    try {
      const made = await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'kc-waiting' }) });
      expect(made.status).toBe(201);
      const early = await kubeconfigOf(made.body.id);
      expect(early.status).toBe(409);
      expect(early.body.message).toMatch(/no API endpoint yet/);
      expect(early.body.details.map((d: any) => d.path)).toEqual(['status.infrastructure']);

      expect((await api.call('DELETE', `/v1/clusters/${made.body.id}`)).status).toBe(202);
      const deleting = await kubeconfigOf(made.body.id);
      expect(deleting.status).toBe(409);
      expect(deleting.body.message).toMatch(/Delet(ing|ed)/);
      expect(deleting.body.details.map((d: any) => d.path)).toEqual(['phase']);
      expect((await api.call('GET', `/v1/clusters/${made.body.id}/events`)).body.items.some((e: any) => e.reason === 'KubeconfigIssued')).toBe(false);
    } finally {
      await api.call('DELETE', '/local/faults');
    }
  });
});
