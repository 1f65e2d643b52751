import 'reflect-metadata'; // @peculiar/x509 resolves its services through tsyringe, which needs it
import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { clock } from './clock.js';

x509.cryptoProvider.set(webcrypto as never);

type Key = webcrypto.CryptoKey;

/**
 * A cluster's certificate authorities and service-account key, made by Strata before any node
 * exists, as Cluster API makes them: kubeadm finds them in /etc/kubernetes/pki and issues every
 * other certificate from them. So the CA hash that joining nodes pin is known at launch, and no
 * node ever joins with --discovery-token-unsafe-skip-ca-verification.
 *
 * ECDSA P-256 throughout (kubeadm's `encryptionAlgorithm: ECDSA-P256`): fast to make, small, and
 * accepted by every component, the service-account signer included (ES256).
 */
export interface ClusterPki {
  /** sha256:<hex> of the cluster CA's public key (SubjectPublicKeyInfo), as kubeadm pins it. */
  readonly caCertHash: string;
  /** PEM certificates, public. */
  readonly certificates: { readonly ca: string; readonly etcdCa: string; readonly frontProxyCa: string };
  /** PEM public key of the service-account signer, public. */
  readonly serviceAccountPublicKey: string;
}

/** The private halves: kept sealed, opened only to hand to a control-plane node. */
export interface ClusterPkiKeys {
  readonly ca: string;
  readonly etcdCa: string;
  readonly frontProxyCa: string;
  readonly serviceAccount: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** kubeadm's own CA lifetime. */
const CA_YEARS = 10;

/** 128 random bits, hex, kept positive (a leading bit of 1 would make the DER integer negative). */
const randomSerial = () => Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');

async function selfSignedCa(commonName: string, now: Date): Promise<{ cert: string; key: string }> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const notBefore = new Date(now.getTime() - 5 * 60_000); // tolerate clock skew between nodes
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${commonName}`,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    keys: keys as never,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  return { cert: cert.toString('pem'), key: await pemPrivateKey(keys.privateKey as Key) };
}

async function pemPrivateKey(key: Key): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

async function pemPublicKey(key: Key): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('spki', key));
  return `-----BEGIN PUBLIC KEY-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`;
}

/** The hash `kubeadm join --discovery-token-ca-cert-hash` takes: SHA-256 of the CA's SubjectPublicKeyInfo. */
export function caCertHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** Make a cluster's CAs (cluster, etcd, front proxy) and service-account key pair. */
export async function generateClusterPki(now = clock.date()): Promise<{ pki: ClusterPki; keys: ClusterPkiKeys }> {
  const [ca, etcdCa, frontProxyCa] = await Promise.all([selfSignedCa('kubernetes', now), selfSignedCa('etcd-ca', now), selfSignedCa('front-proxy-ca', now)]);
  const sa = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  return {
    pki: {
      caCertHash: caCertHash(ca.cert),
      certificates: { ca: ca.cert, etcdCa: etcdCa.cert, frontProxyCa: frontProxyCa.cert },
      serviceAccountPublicKey: await pemPublicKey(sa.publicKey as Key),
    },
    keys: { ca: ca.key, etcdCa: etcdCa.key, frontProxyCa: frontProxyCa.key, serviceAccount: await pemPrivateKey(sa.privateKey as Key) },
  };
}

/** What a cluster's sealed keys are bound to (KMS encryption context): opening them for another cluster fails. */
export const pkiSealContext = (tenantId: string, clusterId: string) => ({ 'strata:tenant': tenantId, 'strata:cluster': clusterId, purpose: 'cluster-pki' });

/** Who a client certificate names: Kubernetes takes the CN as the user name and each O as a group. */
export interface CertificateSubject {
  readonly commonName: string;
  readonly organizations: readonly string[];
}

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface IssuedCertificate {
  /** PEM certificate, signed by the cluster CA. */
  readonly certificate: string;
  /** PEM private key (PKCS#8), made for this certificate only and kept nowhere. */
  readonly key: string;
  /** Hex; names the certificate in audit records. */
  readonly serialNumber: string;
  /** As encoded (whole seconds), never past the CA's own expiry. */
  readonly notBefore: Date;
  readonly notAfter: Date;
}

function pemDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/**
 * A client certificate for the cluster's API server, signed by the cluster CA: a fresh P-256 key
 * pair each time, clientAuth only, so it can be neither a server nor a CA.
 */
export async function issueClientCertificate(
  pki: Pick<ClusterPki, 'certificates'>,
  keys: Pick<ClusterPkiKeys, 'ca'>,
  subject: CertificateSubject,
  validity: Validity,
): Promise<IssuedCertificate> {
  const ca = new x509.X509Certificate(pki.certificates.ca);
  // A certificate cannot outlive the CA that vouches for it.
  const notAfter = new Date(Math.min(validity.notAfter.getTime(), ca.notAfter.getTime()));
  if (!(notAfter.getTime() > validity.notBefore.getTime())) throw new Error(`a certificate valid from ${validity.notBefore.toISOString()} to ${notAfter.toISOString()} is never valid`);
  const caKey = await webcrypto.subtle.importKey('pkcs8', pemDer(keys.ca), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const leaf = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const caKeyId = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    // O before CN, in the order Go (kubeadm, client-go) writes a subject.
    subject: [...subject.organizations.map((o) => ({ O: [o] })), { CN: [subject.commonName] }],
    // The CA's own encoded name, so the issuer matches its subject byte for byte.
    issuer: ca.subjectName,
    notBefore: validity.notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    publicKey: leaf.publicKey as never,
    signingKey: caKey as never,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ...(caKeyId ? [new x509.AuthorityKeyIdentifierExtension(caKeyId)] : []),
    ],
  });
  // A CA key that does not belong to the CA certificate would sign something nobody accepts.
  if (!(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }))) throw new Error('the cluster CA key does not match its certificate');
  return { certificate: cert.toString('pem'), key: await pemPrivateKey(leaf.privateKey as Key), serialNumber: cert.serialNumber, notBefore: cert.notBefore, notAfter: cert.notAfter };
}
