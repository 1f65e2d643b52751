import { describe, expect, it } from 'vitest';
import { agentArgs, COMMAND_KINDS, delivered, deliveredWithSecret, DeliveredCommand, kubeadmRelease, kubeadmVersionMove, type Command } from '../../../core/agent-commands.js';
import { joinToken, joinTokenId, joinTokenSecret } from '../../../core/bootstrap-tokens.js';

const command = (kind: Command['kind'], args: Record<string, unknown>): Command => ({
  id: 'cmd-1',
  clusterId: 'c-1',
  kind,
  args,
  status: 'Pending',
  createdAt: '2026-01-01T00:00:00.000Z',
  deadline: '2026-01-01T00:05:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('createBootstrapToken', () => {
  const kind = COMMAND_KINDS.createBootstrapToken;
  const tokenId = joinTokenId('c-1/c-1-workers-3/1767225600');

  it('is the platform’s only, and its stored arguments hold no secret', () => {
    expect(kind.fromApi).toBe(false);
    expect(kind.args.parse({ tokenId, ttlSeconds: 3600 })).toEqual({ tokenId, ttlSeconds: 3600, description: '' });
    // A secret cannot even be stored: the stored form refuses it.
    expect(kind.args.safeParse({ tokenId, ttlSeconds: 3600, tokenSecret: 'abcdefghijklmnop' }).success).toBe(false);
    for (const bad of [{ tokenId: 'ABCDEF', ttlSeconds: 60 }, { tokenId: 'abcde', ttlSeconds: 60 }, { tokenId, ttlSeconds: 59 }, { tokenId, ttlSeconds: 3601 }, { tokenId, ttlSeconds: 60.5 }, { tokenId, ttlSeconds: 60, description: 'x'.repeat(201) }]) {
      expect(kind.args.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('is delivered with its secret, derived from the platform secret for the cluster and token id', () => {
    const c = command('createBootstrapToken', { tokenId, ttlSeconds: 900, description: 'join of c-1-workers-3' });
    expect(deliveredWithSecret(c)).toBe(true);
    expect(() => delivered(c)).toThrow(/platform secret/);
    const d = delivered(c, 'platform-secret');
    expect(DeliveredCommand.parse(d)).toEqual({
      id: 'cmd-1',
      kind: 'createBootstrapToken',
      args: { tokenId, ttlSeconds: 900, description: 'join of c-1-workers-3', tokenSecret: joinTokenSecret('platform-secret', 'c-1', tokenId) },
      deadline: c.deadline,
    });
    // The stored command is untouched.
    expect(c.args).not.toHaveProperty('tokenSecret');
    // The agent's form requires it; with it, the token is the one the node's JoinConfiguration names.
    expect(agentArgs('createBootstrapToken').safeParse(c.args).success).toBe(false);
    const args = agentArgs('createBootstrapToken').parse(d.args) as { tokenId: string; tokenSecret: string };
    expect(joinToken(args.tokenId, args.tokenSecret)).toBe(joinToken(tokenId, joinTokenSecret('platform-secret', 'c-1', tokenId)));
    expect(agentArgs('createBootstrapToken').safeParse({ ...d.args, tokenSecret: 'short' }).success).toBe(false);
  });

  it('answers with the token id and its expiration', () => {
    expect(kind.result.safeParse({ tokenId, expiration: '2026-01-01T01:00:00Z' }).success).toBe(true);
    expect(kind.result.safeParse({ tokenId, expiration: 'tomorrow' }).success).toBe(false);
    expect(kind.result.safeParse({ tokenId, expiration: '2026-01-01T01:00:00Z', tokenSecret: 'x' }).success).toBe(false);
  });
});

describe('removeEtcdMember', () => {
  const kind = COMMAND_KINDS.removeEtcdMember;
  it('names a node, answers whether it removed its member and how many are left', () => {
    expect(kind.fromApi).toBe(false);
    expect(kind.args.parse({ node: 'c-1-cp-2' })).toEqual({ node: 'c-1-cp-2' });
    expect(kind.args.safeParse({ node: 'C 1' }).success).toBe(false);
    expect(kind.result.safeParse({ node: 'c-1-cp-2', removed: true, members: 2 }).success).toBe(true);
    expect(kind.result.safeParse({ node: 'c-1-cp-2', removed: true, members: -1 }).success).toBe(false);
  });
});

describe('setKubeadmVersion', () => {
  const kind = COMMAND_KINDS.setKubeadmVersion;
  it("is the platform's only: a Kubernetes release, with or without kubeadm's v; answers from, to (kubeadm's spelling) and whether it changed", () => {
    expect(kind.fromApi).toBe(false);
    expect(kind.deadlineSeconds).toBe(300);
    expect(kind.args.parse({ kubernetesVersion: 'v1.32.6' })).toEqual({ kubernetesVersion: 'v1.32.6' });
    expect(kind.args.parse({ kubernetesVersion: '1.32.6' })).toEqual({ kubernetesVersion: '1.32.6' });
    for (const bad of [{}, { kubernetesVersion: '1.32' }, { kubernetesVersion: 'V1.32.6' }, { kubernetesVersion: '1.32.6-rc.0' }, { kubernetesVersion: '01.32.6' }, { kubernetesVersion: 'stable' }, { kubernetesVersion: 132 }, { kubernetesVersion: '1.32.6', node: 'n' }]) {
      expect(kind.args.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(kind.result.safeParse({ from: 'v1.31.10', to: 'v1.32.6', changed: true }).success).toBe(true);
    expect(kind.result.safeParse({ from: '1.31.10', to: 'v1.32.6', changed: true }).success).toBe(false);
    expect(kind.result.safeParse({ from: 'v1.31.10', to: 'v1.32.6' }).success).toBe(false);
  });

  it('spells a release as kubeadm does', () => {
    expect(kubeadmRelease('1.32.6')).toBe('v1.32.6');
    expect(kubeadmRelease('v1.32.6')).toBe('v1.32.6');
    expect(kubeadmRelease('1.32')).toBeUndefined();
    expect(kubeadmRelease('stable-1')).toBeUndefined();
  });

  it('moves one minor (or patch) forward; the same version is no change; a downgrade, a skipped minor, another major or an unreadable current version is refused', () => {
    expect(kubeadmVersionMove('v1.31.10', '1.32.6')).toEqual({ from: 'v1.31.10', to: 'v1.32.6', changed: true });
    expect(kubeadmVersionMove('v1.31.10', 'v1.31.11')).toEqual({ from: 'v1.31.10', to: 'v1.31.11', changed: true });
    expect(kubeadmVersionMove('1.31.10', 'v1.31.10')).toEqual({ from: 'v1.31.10', to: 'v1.31.10', changed: false });
    expect(() => kubeadmVersionMove('v1.31.10', '1.31.9')).toThrow(/Kubernetes 1\.31\.10 → 1\.31\.9 is a downgrade/);
    expect(() => kubeadmVersionMove('v1.31.10', '1.30.14')).toThrow(/is a downgrade/);
    expect(() => kubeadmVersionMove('v1.31.10', '1.33.0')).toThrow(/skips 1 minor version\(s\)/);
    expect(() => kubeadmVersionMove('v1.31.10', '2.0.0')).toThrow(/major version/);
    expect(() => kubeadmVersionMove(undefined, '1.32.0')).toThrow(/names kubernetesVersion \(none\), not a release/);
    expect(() => kubeadmVersionMove(1.31, '1.32.0')).toThrow(/names kubernetesVersion 1\.31, not a release/);
    expect(() => kubeadmVersionMove('v1.31.10', 'latest')).toThrow(/latest is not a Kubernetes version/);
  });
});

describe('delivery of kinds without a secret', () => {
  it('carries the stored arguments as they are, and needs no platform secret', () => {
    for (const [kind, args] of [
      ['ping', {}],
      ['cordon', { node: 'n' }],
      ['removeEtcdMember', { node: 'n' }],
      ['setKubeadmVersion', { kubernetesVersion: '1.32.6' }],
    ] as const) {
      const c = command(kind, args);
      expect(deliveredWithSecret(c)).toBe(false);
      expect(delivered(c)).toEqual({ id: c.id, kind, args, deadline: c.deadline });
      expect(agentArgs(kind)).toBe(COMMAND_KINDS[kind].args);
    }
  });
});
