import { describe, expect, it } from 'vitest';
import { agentToken, agentTokenHash, parseAgentToken, tokenMatches } from '../../../core/agent-token.js';
import { backoffSeconds } from '../../../core/backoff.js';
import { remedyFor } from '../../../core/cloud.js';
import { nextCondition, readySummary, type Condition } from '../../../core/conditions.js';
import { mergeValues } from '../../../core/desired-state.js';
import { agentSettingsFrom, kubeadmSecrets, planNodes, userData } from '../../../core/provisioning.js';
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
    expect(c.title).toBe('Resolving/Customizing Image');
  });

  it('summarise as Ready only when every other condition is True', () => {
    const mk = (type: string, status: Condition['status']) => nextCondition(undefined, { type, status, reason: type, message: `${type} msg` }, 1, t0);
    expect(readySummary([mk('A', 'True'), mk('B', 'True')]).status).toBe('True');
    expect(readySummary([mk('A', 'True'), mk('B', 'Unknown')])).toMatchObject({ status: 'Unknown', message: 'waiting for B' });
    expect(readySummary([mk('A', 'False'), mk('B', 'Unknown')])).toMatchObject({ status: 'False', reason: 'A', message: 'A: A msg' });
    expect(readySummary([]).status).toBe('Unknown');
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
  it('are derived, verifiable by hash only, and name their cluster', () => {
    const t = agentToken('secret', 'acme', 'cl-abc');
    expect(t).toBe(agentToken('secret', 'acme', 'cl-abc'));
    expect(t).not.toBe(agentToken('other', 'acme', 'cl-abc'));
    expect(parseAgentToken(t)).toEqual({ tenantId: 'acme', clusterId: 'cl-abc' });
    expect(tokenMatches(t, agentTokenHash(t))).toBe(true);
    expect(tokenMatches(agentToken('secret', 'acme', 'cl-other'), agentTokenHash(t))).toBe(false);
    expect(parseAgentToken('sat.acme.cl-abc.short')).toBeUndefined();
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

  it('runs kubeadm init on the first control-plane node and starts the agent with its token', () => {
    const { bootstrapToken, certificateKey } = kubeadmSecrets('s', 'cl-1');
    expect(bootstrapToken).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const [cp0, cp1, , w0] = planNodes(cluster);
    const base = { cluster, kubernetesVersion: '1.31.10', apiEndpoint: 'api.example', podCidr: '192.168.0.0/16', serviceCidr: '10.96.0.0/12', bootstrapToken, certificateKey };
    const first = userData({ ...base, node: cp0!, agent: { apiUrl: 'https://agent.example', token: 'sat.t.cl-1.x' } });
    expect(first.startsWith('#cloud-config\n')).toBe(true);
    const doc = parse(first) as { write_files: { path: string; content: string }[]; runcmd: string[] };
    expect(doc.runcmd).toEqual(['kubeadm init --config /etc/kubernetes/kubeadm-config.yaml --upload-certs', 'systemctl enable --now strata-agent.service']);
    const kubeadm = doc.write_files.find((f) => f.path === '/etc/kubernetes/kubeadm-config.yaml')!.content;
    expect(kubeadm).toContain('kubernetesVersion: v1.31.10');
    expect(kubeadm).toContain('controlPlaneEndpoint: api.example:6443');
    expect(agentSettingsFrom(first)).toEqual({ apiUrl: 'https://agent.example', clusterId: 'cl-1', token: 'sat.t.cl-1.x' });

    const joiner = parse(userData({ ...base, node: cp1!, caCertHash: 'sha256:ab' })) as { runcmd: string[] };
    expect(joiner.runcmd[0]).toContain('--control-plane --certificate-key');
    expect(joiner.runcmd[0]).toContain('--discovery-token-ca-cert-hash sha256:ab');
    const worker = userData({ ...base, node: w0!, caCertHash: 'sha256:ab' });
    expect(worker).not.toContain('strata-agent');
    expect(agentSettingsFrom(worker)).toBeUndefined();
  });

  it('merges a cluster override on top of profile values', () => {
    expect(mergeValues({ a: { b: 1, c: 2 }, l: [1] }, { a: { c: 3 }, l: [2] })).toEqual({ a: { b: 1, c: 3 }, l: [2] });
  });
});
