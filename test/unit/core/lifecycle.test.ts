import { DEFAULT_OS_PATCH } from '../../../core/os-patch.js';
import { describe, expect, it } from 'vitest';
import { acceptedEpoch, agentToken, rotated, verifyAgentToken } from '../../../core/agent-token.js';
import { agentSettingsFrom, bootstrapSettingsFrom, bootstrapTicket, bundleFiles, kubeadmBootstrapToken, userData, verifyBootstrapTicket } from '../../../core/bootstrap.js';
import { backoffSeconds } from '../../../core/backoff.js';
import { remedyFor } from '../../../core/cloud.js';
import { nextCondition, orphanedConditions, READY_SUMMARISES, readySummary, withTitle, type Condition } from '../../../core/conditions.js';
import { mergeValues } from '../../../core/desired-state.js';
import { needsHealthScore } from '../../../core/health.js';
import { canMove, needsReconcile, phasesBefore, provisioningPhase } from '../../../core/lifecycle.js';
import { planNodes } from '../../../core/provisioning.js';
import { parse } from 'yaml';

describe('conditions', () => {
  const t0 = '2026-01-01T00:00:00.000Z';
  const t1 = '2026-01-01T00:01:00.000Z';
  it('move lastTransitionTime only when the status changes, and count attempts', () => {
    const a = nextCondition(undefined, { type: 'ImageReady', status: 'False', reason: 'X', message: 'm', attempted: true }, 1, t0);
    const b = nextCondition(a, { type: 'ImageReady', status: 'False', reason: 'Y', message: 'n', attempted: true }, 1, t1);
    const c = nextCondition(b, { type: 'ImageReady', status: 'True', reason: 'Ok', message: 'ok', attempted: true }, 1, t1);
    expect([a.attempts, b.attempts, c.attempts]).toEqual([1, 2, 3]);
    expect(b.lastTransitionTime).toBe(t0);
    expect(c.lastTransitionTime).toBe(t1);
    expect(withTitle(c).title).toBe('Resolving/Customizing Image');
    expect(c).not.toHaveProperty('title'); // titles are the registry's, never stored
  });

  it('summarise as Ready only the listed lifecycle conditions, when every one of them is True', () => {
    const mk = (type: string, status: Condition['status']) => nextCondition(undefined, { type, status, reason: type.split('/')[0]!, message: `${type} msg` }, 1, t0);
    expect(readySummary([mk('ImageReady', 'True'), mk('WorkerPoolReady/w', 'True')]).status).toBe('True');
    expect(readySummary([mk('ImageReady', 'True'), mk('PacksInstalled', 'Unknown')])).toMatchObject({ status: 'Unknown', message: 'waiting for PacksInstalled' });
    expect(readySummary([mk('ImageReady', 'False'), mk('PacksInstalled', 'Unknown')])).toMatchObject({ status: 'False', reason: 'ImageReady', message: 'ImageReady: ImageReady msg' });
    expect(readySummary([]).status).toBe('Unknown');
    // Health checks and deletion progress are not part of Ready: they are not in its list.
    expect(readySummary([mk('ImageReady', 'True'), mk('NodesHealthy', 'False'), mk('InfrastructureDeleted', 'Unknown')]).status).toBe('True');
    expect(READY_SUMMARISES).not.toContain('NodesHealthy');
  });

  it('refuse a type the registry does not know, and per-object types without their object', () => {
    expect(() => nextCondition(undefined, { type: 'Surprise', status: 'True', reason: 'x', message: 'x' }, 1, t0)).toThrow(/not in CONDITION_TYPES/);
    expect(() => nextCondition(undefined, { type: 'WorkerPoolReady', status: 'True', reason: 'x', message: 'x' }, 1, t0)).toThrow(/takes \/<pool>/);
    expect(() => nextCondition(undefined, { type: 'ImageReady/x', status: 'True', reason: 'x', message: 'x' }, 1, t0)).toThrow();
  });

  it('of removed nodes and pools are orphans', () => {
    const mk = (type: string) => nextCondition(undefined, { type, status: 'True', reason: 'x', message: 'x' }, 1, t0);
    const all = [mk('ControlPlaneNodeAdded/c-cp-0'), mk('ControlPlaneNodeAdded/c-cp-1'), mk('WorkerPoolReady/a'), mk('WorkerPoolReady/b'), mk('ImageReady')];
    expect(orphanedConditions(all, { nodes: ['c-cp-0'], pools: ['a'] })).toEqual(['ControlPlaneNodeAdded/c-cp-1', 'WorkerPoolReady/b']);
  });
});

describe('backoff and remedies', () => {
  it('doubles up to a cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffSeconds(n))).toEqual([5, 10, 20, 40, 80, 160, 300, 300]);
  });
  it('tells the user what to do about a quota', () => {
    expect(remedyFor('VcpuLimitExceeded', 'eu-west-1')).toBe('request a vCPU quota increase for eu-west-1 or free capacity');
    expect(remedyFor('SomethingElse', 'x')).toBeUndefined();
  });
});

describe('agent tokens', () => {
  it('are derived, checked by their MAC alone, and name their cluster and epoch', () => {
    const t = agentToken('secret', 'acme', 'cl-abc');
    expect(t).toBe(agentToken('secret', 'acme', 'cl-abc'));
    expect(t).not.toBe(agentToken('other', 'acme', 'cl-abc'));
    expect(verifyAgentToken(t, 'secret')).toEqual({ tenantId: 'acme', clusterId: 'cl-abc', epoch: 1 });
    expect(verifyAgentToken(t, 'other')).toBeUndefined();
    expect(verifyAgentToken(t.replace('.cl-abc.', '.cl-abd.'), 'secret')).toBeUndefined();
    expect(verifyAgentToken('sat.acme.cl-abc.1.short', 'secret')).toBeUndefined();
  });

  it('rotate: the old epoch is accepted through its grace period, then refused', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const state = rotated(undefined, now, 3600);
    expect(state).toEqual({ epoch: 2, previousEpoch: 1, previousValidUntil: '2030-01-01T01:00:00.000Z' });
    expect(acceptedEpoch(state, 2, now)).toBe('current');
    expect(acceptedEpoch(state, 1, now)).toBe('previous');
    expect(acceptedEpoch(state, 1, new Date('2030-01-01T01:00:01Z'))).toBeUndefined();
    expect(acceptedEpoch({ epoch: 2 }, 1, now)).toBeUndefined();
    expect(acceptedEpoch(undefined, 1, now)).toBe('current');
  });
});

describe('node plan and user data', () => {
  const cluster = {
    id: 'cl-1',
    name: 'demo',
    nodePools: [
      { name: 'cp', role: 'controlPlane' as const, count: 3, instanceType: 'm6i.large', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], diskGiB: 50 },
      { name: 'w', role: 'worker' as const, count: 4, instanceType: 'm6i.xlarge', zones: ['us-east-1a', 'us-east-1b'], diskGiB: 80 },
    ],
  };

  it('spreads nodes over zones round-robin with stable names and tokens', () => {
    const nodes = planNodes(cluster);
    expect(nodes.map((n) => `${n.name}@${n.zone}`)).toEqual([
      'demo-cp-0@us-east-1a',
      'demo-cp-1@us-east-1b',
      'demo-cp-2@us-east-1c',
      'demo-w-0@us-east-1a',
      'demo-w-1@us-east-1b',
      'demo-w-2@us-east-1a',
      'demo-w-3@us-east-1b',
    ]);
    expect(new Set(nodes.map((n) => n.idempotencyToken)).size).toBe(7);
  });

  it('user data fetches a one-time bundle, then runs kubeadm init on the first control-plane node and join elsewhere', () => {
    const [cp0, cp1, , w0] = planNodes(cluster);
    const ticket = bootstrapTicket('s', { tenantId: 't', clusterId: 'cl-1', node: cp0!.name, issuedAt: 1_900_000_000 });
    expect(verifyBootstrapTicket(ticket, 's')).toEqual({ tenantId: 't', clusterId: 'cl-1', node: 'demo-cp-0', issuedAt: 1_900_000_000 });
    expect(verifyBootstrapTicket(ticket, 'x')).toBeUndefined();
    const bootstrap = { url: 'https://agent.example/agent/v1/bootstrap', ticket };
    const first = userData(cp0!, bootstrap);
    expect(first.startsWith('#cloud-config\n')).toBe(true);
    const doc = parse(first) as { runcmd: string[][] };
    expect(doc.runcmd[0]![2]).toContain('curl -fsS');
    expect(doc.runcmd.slice(1)).toEqual([
      ['kubeadm', 'init', '--config', '/etc/kubernetes/kubeadm.yaml'],
      ['systemctl', 'enable', '--now', 'strata-agent.service'],
    ]);
    expect(bootstrapSettingsFrom(first)).toEqual(bootstrap);
    expect((parse(userData(cp1!, bootstrap)) as { runcmd: string[][] }).runcmd[1]).toEqual(['kubeadm', 'join', '--config', '/etc/kubernetes/kubeadm.yaml']);
    expect(userData(w0!, bootstrap)).not.toContain('strata-agent');
  });

  it('bundles pin the CA hash on every join; only control-plane nodes get keys and the agent token', () => {
    const [cp0, cp1, , w0] = planNodes(cluster);
    const pki = { caCertHash: 'sha256:ab', certificates: { ca: 'CA', etcdCa: 'ETCD', frontProxyCa: 'FP' }, serviceAccountPublicKey: 'SAPUB' };
    const keys = { ca: 'K1', etcdCa: 'K2', frontProxyCa: 'K3', serviceAccount: 'K4' };
    const base = { cluster, kubernetesVersion: '1.31.10', apiEndpoint: 'api.example', podCidr: '192.168.0.0/16', serviceCidr: '10.96.0.0/12', bootstrapToken: kubeadmBootstrapToken('s', 'cl-1'), pki };
    expect(base.bootstrapToken).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const agent = { apiUrl: 'https://agent.example', token: 'sat.t.cl-1.1.x' };
    const init = bundleFiles({ ...base, node: cp0!, controlPlane: { keys, agent } });
    const kubeadm = init.find((f) => f.path === '/etc/kubernetes/kubeadm.yaml')!.content;
    expect(kubeadm).toContain('kubernetesVersion: v1.31.10');
    expect(kubeadm).toContain('controlPlaneEndpoint: api.example:6443');
    expect(kubeadm).toContain('encryptionAlgorithm: ECDSA-P256');
    expect(agentSettingsFrom(init.find((f) => f.path === '/etc/strata/agent.env')!.content)).toEqual({ apiUrl: 'https://agent.example', clusterId: 'cl-1', token: 'sat.t.cl-1.1.x' });

    const joiner = parse(bundleFiles({ ...base, node: cp1!, controlPlane: { keys, agent } })[0]!.content) as any;
    expect(joiner).toMatchObject({ kind: 'JoinConfiguration', controlPlane: {}, discovery: { bootstrapToken: { caCertHashes: ['sha256:ab'], apiServerEndpoint: 'api.example:6443' } } });
    const worker = bundleFiles({ ...base, node: w0! });
    expect(worker.map((f) => f.path)).toEqual(['/etc/kubernetes/kubeadm.yaml']);
    expect(parse(worker[0]!.content)).not.toHaveProperty('controlPlane');
    expect(() => bundleFiles({ ...base, node: cp1! })).toThrow(/needs the CA keys/);
  });

  it('merges a cluster override on top of profile values', () => {
    expect(mergeValues({ a: { b: 1, c: 2 }, l: [1] }, { a: { c: 3 }, l: [2] })).toEqual({ a: { b: 1, c: 3 }, l: [2] });
  });
});

describe('lifecycle rules', () => {
  it('phases move by one table; a delete wins from anywhere, nothing leaves Deleted', () => {
    expect(phasesBefore('Deleting').sort()).toEqual(['Failed', 'Pending', 'Provisioning', 'Running']);
    expect(phasesBefore('Running').sort()).toEqual(['Provisioning', 'Running']);
    expect(phasesBefore('Deleted')).toEqual(['Deleting']);
    expect(canMove('Deleted', 'Provisioning')).toBe(false);
    expect(canMove('Deleting', 'Running')).toBe(false);
    expect(provisioningPhase('Running')).toBe('Running');
    expect(provisioningPhase('Pending')).toBe('Provisioning');
  });

  it('only a change of what the cloud must become needs a reconcile', () => {
    const cluster = {
      profileRevision: 1,
      nodePools: [{ name: 'w', role: 'worker' as const, count: 2, instanceType: 'm6i.large', zones: ['us-east-1a'], diskGiB: 50 }],
      overrides: {},
      apiAccess: { public: false, allowedCidrs: [] },
    };
    expect(needsReconcile(cluster, { healthChecks: { heartbeatIntervalSeconds: 10, missingAfterSeconds: 30, usageThresholdPercent: 80, usageWindowMinutes: 5 } })).toBe(false);
    expect(needsReconcile(cluster, { osPatch: { ...DEFAULT_OS_PATCH, patchOnBoot: true } })).toBe(false);
    expect(needsReconcile(cluster, { nodePools: structuredClone(cluster.nodePools) })).toBe(false); // the same pools, sent again
    expect(needsReconcile(cluster, { nodePools: [{ ...cluster.nodePools[0]!, count: 3 }] })).toBe(true);
    expect(needsReconcile(cluster, { profileRevision: 2 })).toBe(true);
    expect(needsReconcile(cluster, { overrides: { calico: 'a: 1\n' } })).toBe(true);
  });

  it('a heartbeat asks for a health score only when a verdict can change', () => {
    const quiet = { snapshotWritten: false, resumed: false, sampleWritten: false, overThreshold: false, wasOverThreshold: false };
    expect(needsHealthScore(quiet)).toBe(false);
    expect(needsHealthScore({ ...quiet, sampleWritten: true })).toBe(false);
    expect(needsHealthScore({ ...quiet, snapshotWritten: true })).toBe(true);
    expect(needsHealthScore({ ...quiet, resumed: true })).toBe(true);
    expect(needsHealthScore({ ...quiet, sampleWritten: true, overThreshold: true })).toBe(true);
    expect(needsHealthScore({ ...quiet, sampleWritten: true, wasOverThreshold: true })).toBe(true); // coming back under
    expect(needsHealthScore({ ...quiet, sampleWritten: true, wasOverThreshold: undefined })).toBe(true); // not known on this instance
  });
});
