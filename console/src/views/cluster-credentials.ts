import { api } from '../api';
import { h } from '../dom';
import { fromNow, time } from '../format';
import type { Cluster, Kubeconfig, TokenRotation } from '../types';
import { confirmAction } from './dialog';

const clusterPath = (c: Cluster) => `/v1/clusters/${encodeURIComponent(c.id)}`;

/** Give the agent a new token (asked first); answers what the API says happens next, or nothing when cancelled. */
export async function rotateAgentToken(cluster: Cluster): Promise<string | undefined> {
  const ok = await confirmAction(
    `Rotate the agent token of ${cluster.name}?`,
    'The agent gets a new token with its next heartbeat; the current one stops working once the agent has used the new one, or when its grace period ends.',
    'Rotate token',
  );
  if (!ok) return undefined;
  const answer = await api<TokenRotation>('POST', `${clusterPath(cluster)}/agent-token/rotate`);
  return `Agent token rotated: ${answer.message}.`;
}

/**
 * An admin kubeconfig, straight into a downloaded file: it goes from the answer into a Blob URL
 * that is revoked as soon as the browser has taken the download, and nowhere else (no variable
 * outlives this call, nothing in storage, the page or its history). Answers what the file is.
 */
export async function downloadKubeconfig(cluster: Cluster): Promise<string> {
  const { kubeconfig, expiresAt, user } = await api<Kubeconfig>('GET', `${clusterPath(cluster)}/kubeconfig`);
  const file = `${cluster.name}-kubeconfig.yaml`;
  const url = URL.createObjectURL(new Blob([kubeconfig], { type: 'application/yaml' }));
  h('a', { href: url, download: file }).click();
  // Not at once: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  return `Downloaded ${file}. It acts as Kubernetes user ${user} and stops working at ${time(expiresAt)} (${fromNow(expiresAt)}). The console keeps no copy.`;
}
