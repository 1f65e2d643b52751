import { isIP } from 'node:net';
import { stringify } from 'yaml';
import type { CertificateSubject, Validity } from './pki.js';

/**
 * Short-lived admin kubeconfigs: a client certificate signed by the cluster CA, so no long-lived
 * admin credential ever leaves the platform. Kubernetes cannot revoke a client certificate; a
 * short life is what bounds a leaked one.
 */

/** The longest a kubeconfig works. */
export const KUBECONFIG_LIFETIME_MS = 24 * 60 * 60_000;
/** Bounds of ?ttlMinutes: at least long enough to use, at most the lifetime. */
export const KUBECONFIG_TTL_MINUTES = { min: 5, max: KUBECONFIG_LIFETIME_MS / 60_000 } as const;
/** Valid a little before it is issued: the API server's clock may be behind ours. */
export const CLOCK_SKEW_MS = 5 * 60_000;
/**
 * kubeadm binds this group to cluster-admin with an ordinary ClusterRoleBinding, which can be
 * removed; system:masters bypasses RBAC altogether and can never be taken away.
 */
export const CLUSTER_ADMINS_GROUP = 'kubeadm:cluster-admins';

/** The Kubernetes user a kubeconfig acts as: the key that asked for it, as the cluster's audit log will show. */
export const kubeconfigUser = (principalId: string) => `strata:${principalId}`;

export function kubeconfigSubject(principalId: string): CertificateSubject {
  return { commonName: kubeconfigUser(principalId), organizations: [CLUSTER_ADMINS_GROUP] };
}

/** From now − clock skew to now + ttl (the full lifetime unless shortened). */
export function kubeconfigValidity(now: Date, ttlMinutes?: number): Validity {
  const ttl = ttlMinutes === undefined ? KUBECONFIG_LIFETIME_MS : Math.min(ttlMinutes * 60_000, KUBECONFIG_LIFETIME_MS);
  return { notBefore: new Date(now.getTime() - CLOCK_SKEW_MS), notAfter: new Date(now.getTime() + ttl) };
}

/** https://host:port, with an IPv6 address in brackets. */
export function apiServerUrl(endpoint: string, port: number): string {
  return `https://${isIP(endpoint) === 6 ? `[${endpoint}]` : endpoint}:${port}`;
}

export interface KubeconfigInput {
  readonly clusterName: string;
  readonly server: string;
  /** PEM certificates and key; embedded base64-encoded, as kubectl expects *-data fields. */
  readonly caCertificate: string;
  readonly clientCertificate: string;
  readonly clientKey: string;
}

const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');

/** One cluster, one user, one context, all named after the cluster, and that context current. */
export function kubeconfigYaml(i: KubeconfigInput): string {
  const user = `${i.clusterName}-admin`;
  const context = `${user}@${i.clusterName}`;
  return stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: i.clusterName, cluster: { server: i.server, 'certificate-authority-data': b64(i.caCertificate) } }],
      users: [{ name: user, user: { 'client-certificate-data': b64(i.clientCertificate), 'client-key-data': b64(i.clientKey) } }],
      contexts: [{ name: context, context: { cluster: i.clusterName, user } }],
      'current-context': context,
      preferences: {},
    },
    // Each base64 value on one line, as kubeadm writes it.
    { lineWidth: 0 },
  );
}
