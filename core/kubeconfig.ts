import { isIP } from 'node:net';
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
