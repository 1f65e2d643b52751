import { get } from '../api';
import type { Cluster } from '../types';

/** Names a cluster's sub-page once the cluster is read: its breadcrumb, its heading ("<page> of <name>") and the window title. */
export async function nameClusterPage(path: string, signal: AbortSignal, crumb: HTMLElement, heading: HTMLElement, page: string): Promise<void> {
  const cluster = await get<Cluster>(path, signal);
  crumb.textContent = cluster.name;
  heading.textContent = `${page} of ${cluster.name}`;
  document.title = `${page} · ${cluster.name} · Strata`;
}
