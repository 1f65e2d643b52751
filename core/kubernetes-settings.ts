import type { ResolvedLayer } from './profiles.js';
import { valuesOf } from './values.js';

/**
 * The cluster network, from the Kubernetes pack's values (`pack.podCIDR`,
 * `pack.serviceClusterIpRange`), the cluster's override first; kubeadm's defaults otherwise.
 */
export function networkSettings(k8s: Pick<ResolvedLayer, 'name' | 'values'>, overrides: Readonly<Record<string, string>>): { podCidr: string; serviceCidr: string } {
  const pack = (valuesOf(overrides[k8s.name] ?? k8s.values).pack ?? valuesOf(k8s.values).pack ?? {}) as Record<string, unknown>;
  const text = (v: unknown, fallback: string) => (typeof v === 'string' && v ? v : fallback);
  return { podCidr: text(pack.podCIDR, '192.168.0.0/16'), serviceCidr: text(pack.serviceClusterIpRange, '10.96.0.0/12') };
}
