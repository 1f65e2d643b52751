import 'reflect-metadata'; // @peculiar/x509 needs it before it loads
import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  apiServerUrl,
  CLOCK_SKEW_MS,
  CLUSTER_ADMINS_GROUP,
  KUBECONFIG_LIFETIME_MS,
  kubeconfigSubject,
  kubeconfigUser,
  kubeconfigValidity,
} from '../../../core/kubeconfig.js';
import { kubeconfigYaml } from '../../../core/kubeconfig-file.js';
import { generateClusterPki, issueClientCertificate, type ClusterPki, type ClusterPkiKeys } from '../../../core/pki.js';

/** The DER children of a SEQUENCE (short and long lengths), each as its whole TLV bytes. */
function derChildren(der: Buffer): Buffer[] {
  const header = (at: number) => {
    const first = der[at + 1]!;
    if (first < 0x80) return { len: first, head: 2 };
    const n = first & 0x7f;
    return { len: der.subarray(at + 2, at + 2 + n).reduce((a, b) => a * 256 + b, 0), head: 2 + n };
  };
  const outer = header(0);
  const out: Buffer[] = [];
  for (let at = outer.head; at < outer.head + outer.len; ) {
    const h = header(at);
    out.push(der.subarray(at, at + h.head + h.len));
    at += h.head + h.len;
  }
  return out;
}

/** Raw issuer and subject of a certificate, as Go's chain building compares them (byte for byte). */
function rawNames(pem: string): { issuer: Buffer; subject: Buffer } {
  const tbs = derChildren(derChildren(Buffer.from(new X509Certificate(pem).raw))[0]!);
  const offset = tbs[0]![0] === 0xa0 ? 1 : 0; // [0] version
  return { issuer: tbs[offset + 2]!, subject: tbs[offset + 4]! };
}

const NOW = new Date('2030-03-01T12:00:00.250Z');
let pki: ClusterPki;
let keys: ClusterPkiKeys;
beforeAll(async () => {
  ({ pki, keys } = await generateClusterPki(NOW));
});

describe('kubeconfig validity', () => {
  it('runs from five minutes before now to 24 h after, or the shorter ttl asked for, never longer', () => {
    expect(KUBECONFIG_LIFETIME_MS).toBe(24 * 3_600_000);
    const full = kubeconfigValidity(NOW);
    expect(full.notBefore.getTime()).toBe(NOW.getTime() - 5 * 60_000);
    expect(CLOCK_SKEW_MS).toBe(5 * 60_000);
    expect(full.notAfter.getTime()).toBe(NOW.getTime() + 24 * 3_600_000);
    expect(kubeconfigValidity(NOW, 5).notAfter.getTime()).toBe(NOW.getTime() + 5 * 60_000);
    expect(kubeconfigValidity(NOW, 10_000).notAfter.getTime()).toBe(NOW.getTime() + 24 * 3_600_000);
  });

  it('names the asker as the user and kubeadm:cluster-admins as the only group', () => {
    expect(kubeconfigUser('ak-123')).toBe('strata:ak-123');
    expect(kubeconfigSubject('ak-123')).toEqual({ commonName: 'strata:ak-123', organizations: ['kubeadm:cluster-admins'] });
    expect(CLUSTER_ADMINS_GROUP).not.toBe('system:masters');
  });
});

describe('issueClientCertificate', () => {
  it('signs a clientAuth-only leaf with the cluster CA, issuer byte for byte the CA subject, and a key that matches it', async () => {
    const issued = await issueClientCertificate(pki, keys, kubeconfigSubject('ak-1'), kubeconfigValidity(NOW, 60));
    const cert = new X509Certificate(issued.certificate);
    const ca = new X509Certificate(pki.certificates.ca);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(rawNames(issued.certificate).issuer.equals(rawNames(pki.certificates.ca).subject)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(issued.key))).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subject.split('\n')).toEqual(['O=kubeadm:cluster-admins', 'CN=strata:ak-1']);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // extended key usage: clientAuth only
    expect(cert.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });

    const parsed = new x509.X509Certificate(issued.certificate);
    const usage = parsed.getExtension(x509.KeyUsagesExtension)!;
    expect(usage.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(usage.critical).toBe(true);
    expect(parsed.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: false, critical: true });
    const aki = parsed.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId;
    expect(aki).toBe(new x509.X509Certificate(pki.certificates.ca).getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
    expect(issued.serialNumber).toBe(parsed.serialNumber);
  });

  it('encodes the validity asked for, in whole seconds, and answers what it encoded', async () => {
    const validity = kubeconfigValidity(NOW);
    const issued = await issueClientCertificate(pki, keys, kubeconfigSubject('ak-1'), validity);
    const cert = new X509Certificate(issued.certificate);
    expect(new Date(cert.validFrom).getTime()).toBe(Math.floor(validity.notBefore.getTime() / 1000) * 1000);
    expect(new Date(cert.validTo).getTime()).toBe(Math.floor(validity.notAfter.getTime() / 1000) * 1000);
    expect(issued.notAfter.getTime()).toBe(new Date(cert.validTo).getTime());
    expect(issued.notBefore.getTime()).toBe(new Date(cert.validFrom).getTime());
  });

  it('makes a new key pair and serial number every time', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => issueClientCertificate(pki, keys, kubeconfigSubject('ak-1'), kubeconfigValidity(NOW))));
    expect(a!.key).not.toBe(b!.key);
    expect(a!.serialNumber).not.toBe(b!.serialNumber);
    expect(new X509Certificate(a!.certificate).publicKey.export({ format: 'pem', type: 'spki' })).not.toBe(new X509Certificate(b!.certificate).publicKey.export({ format: 'pem', type: 'spki' }));
  });

  it('never outlives the CA', async () => {
    const ca = new X509Certificate(pki.certificates.ca);
    const late = { notBefore: NOW, notAfter: new Date(new Date(ca.validTo).getTime() + 86_400_000) };
    const issued = await issueClientCertificate(pki, keys, kubeconfigSubject('ak-1'), late);
    expect(issued.notAfter.getTime()).toBe(new Date(ca.validTo).getTime());
  });

  it('refuses a CA key that is not the CA certificate’s, and a validity that is never valid', async () => {
    const other = await generateClusterPki(NOW);
    await expect(issueClientCertificate(pki, other.keys, kubeconfigSubject('ak-1'), kubeconfigValidity(NOW))).rejects.toThrow(/does not match/);
    await expect(issueClientCertificate(pki, keys, kubeconfigSubject('ak-1'), { notBefore: NOW, notAfter: NOW })).rejects.toThrow(/never valid/);
  });
});

describe('kubeconfigYaml', () => {
  it('holds one cluster, one user and one context, named after the cluster, with the current context set', () => {
    const text = kubeconfigYaml({ clusterName: 'demo', server: 'https://api.example:6443', caCertificate: 'CA PEM\n', clientCertificate: 'CERT PEM\n', clientKey: 'KEY PEM\n' });
    const doc = parse(text);
    expect(doc).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'demo', cluster: { server: 'https://api.example:6443', 'certificate-authority-data': Buffer.from('CA PEM\n').toString('base64') } }],
      users: [{ name: 'demo-admin', user: { 'client-certificate-data': Buffer.from('CERT PEM\n').toString('base64'), 'client-key-data': Buffer.from('KEY PEM\n').toString('base64') } }],
      contexts: [{ name: 'demo-admin@demo', context: { cluster: 'demo', user: 'demo-admin' } }],
      'current-context': 'demo-admin@demo',
      preferences: {},
    });
  });

  it('keeps each base64 value on one line', async () => {
    const issued = await issueClientCertificate(pki, keys, kubeconfigSubject('ak-1'), kubeconfigValidity(NOW));
    const text = kubeconfigYaml({ clusterName: 'demo', server: 'https://api.example:6443', caCertificate: pki.certificates.ca, clientCertificate: issued.certificate, clientKey: issued.key });
    const line = text.split('\n').find((l) => l.includes('client-certificate-data:'))!;
    expect(line.trim()).toBe(`client-certificate-data: ${Buffer.from(issued.certificate).toString('base64')}`);
  });

  it('puts an IPv6 API endpoint in brackets', () => {
    expect(apiServerUrl('api.example', 6443)).toBe('https://api.example:6443');
    expect(apiServerUrl('10.0.0.5', 443)).toBe('https://10.0.0.5:443');
    expect(apiServerUrl('fd00::5', 6443)).toBe('https://[fd00::5]:6443');
  });
});
