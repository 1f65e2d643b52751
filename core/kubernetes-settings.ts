import type { ResolvedLayer } from './profiles.js';
import { effectiveTree } from './values.js';

/**
 * The cluster network, from the Kubernetes pack's values (`pack.podCIDR`,
 * `pack.serviceClusterIpRange`) with the cluster's override merged on top; kubeadm's defaults otherwise.
 */
export function networkSettings(k8s: Pick<ResolvedLayer, 'name' | 'values'>, overrides: Readonly<Record<string, string>>): { podCidr: string; serviceCidr: string } {
  const override = Object.hasOwn(overrides, k8s.name) ? overrides[k8s.name] : undefined;
  const pack = (effectiveTree(k8s.values, override).pack ?? {}) as Record<string, unknown>;
  const text = (v: unknown, fallback: string) => (typeof v === 'string' && v ? v : fallback);
  return { podCidr: text(pack.podCIDR, '192.168.0.0/16'), serviceCidr: text(pack.serviceClusterIpRange, '10.96.0.0/12') };
}
