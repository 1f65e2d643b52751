import { bundleFiles, type BundleInput } from '../../../core/bootstrap.js';
import type { PlannedNode } from '../../../core/provisioning.js';

/** A cluster's bundle inputs for the bootstrap tests: stand-in PKI material, real shapes. */
export const pki = { caCertHash: 'sha256:ab', certificates: { ca: 'CA', etcdCa: 'ETCD', frontProxyCa: 'FP' }, serviceAccountPublicKey: 'SAPUB' };
export const controlPlane = { keys: { ca: 'K1', etcdCa: 'K2', frontProxyCa: 'K3', serviceAccount: 'K4' }, agent: { apiUrl: 'https://agent.example', token: 'sat' } };

export type BundleBase = Omit<BundleInput, 'node' | 'controlPlane'>;

export const bundleBase = (over: Partial<BundleBase> = {}): BundleBase => ({
  cluster: { id: 'cl-1', name: 'demo' },
  kubernetesVersion: '1.31.10',
  apiEndpoint: 'api.cl-1.strata.internal',
  podCidr: '192.168.0.0/16',
  serviceCidr: '10.96.0.0/12',
  bootstrapToken: 'abcdef.0123456789abcdef',
  pki,
  ...over,
});

export const plannedNode = (role: PlannedNode['role'], index: number, over: Partial<PlannedNode> = {}): PlannedNode => ({
  name: role === 'worker' ? `demo-w-${index}` : `demo-cp-${index}`,
  pool: role === 'worker' ? 'workers' : 'cp',
  role,
  index,
  zone: 'us-east-1a',
  instanceType: 'm6i.large',
  diskGiB: 50,
  idempotencyToken: 'tok',
  ...over,
});

/** The files of a node's bundle; control-plane nodes get the CA keys and agent settings. */
export const bundleOf = (base: BundleBase, node: PlannedNode, extra: Partial<BundleInput> = {}) =>
  bundleFiles({ ...base, node, ...(node.role === 'controlPlane' ? { controlPlane } : {}), ...extra });
