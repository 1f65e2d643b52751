import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kubeadmBootstrapToken } from '../../../core/bootstrap.js';
import { joinToken, joinTokenId, joinTokenSecret, NODE_JOIN_TOKEN_TTL_SECONDS } from '../../../core/bootstrap-tokens.js';

/** What kubeadm accepts (cmd/kubeadm/app/apis/bootstraptoken: BootstrapTokenPattern). */
const KUBEADM_TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

describe('node join tokens', () => {
  it('are kubeadm tokens: a 6-character id and a 16-character secret of [a-z0-9]', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.string(), (nonce, secret, clusterId) => {
        const id = joinTokenId(nonce);
        expect(id).toMatch(/^[a-z0-9]{6}$/);
        const s = joinTokenSecret(secret, clusterId, id);
        expect(s).toMatch(/^[a-z0-9]{16}$/);
        expect(joinToken(id, s)).toMatch(KUBEADM_TOKEN);
      }),
    );
  });

  it('are derived: the same launch names the same id, the same secret and id the same secret', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.string(), (nonce, secret, clusterId) => {
        expect(joinTokenId(nonce)).toBe(joinTokenId(nonce));
        expect(joinTokenSecret(secret, clusterId, joinTokenId(nonce))).toBe(joinTokenSecret(secret, clusterId, joinTokenId(nonce)));
      }),
    );
  });

  it('differ with the launch, the cluster, the token id and the platform secret', () => {
    const id = joinTokenId('c-1/c-1-workers-3/1767225600');
    expect(joinTokenId('c-1/c-1-workers-3/1767225601')).not.toBe(id);
    expect(joinTokenId('c-1/c-1-workers-4/1767225600')).not.toBe(id);
    const s = joinTokenSecret('platform', 'c-1', id);
    expect(joinTokenSecret('platform', 'c-2', id)).not.toBe(s);
    expect(joinTokenSecret('other', 'c-1', id)).not.toBe(s);
    expect(joinTokenSecret('platform', 'c-1', joinTokenId('x'))).not.toBe(s);
    // Nor is the secret the init token's, which comes from the same platform secret.
    expect(kubeadmBootstrapToken('platform', 'c-1').split('.')[1]).not.toBe(s);
  });

  it('spread over the whole alphabet (ids of 10 000 launches: no two alike, every character used)', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => joinTokenId(`c/n/${i}`));
    expect(new Set(ids).size).toBeGreaterThan(9_990); // 36^6 ids: a collision or two at most
    expect(new Set(ids.join('')).size).toBe(36);
    const secrets = ids.slice(0, 1000).map((id) => joinTokenSecret('p', 'c', id));
    expect(new Set(secrets).size).toBe(secrets.length);
    expect(new Set(secrets.join('')).size).toBe(36);
  });

  it('live an hour', () => {
    expect(NODE_JOIN_TOKEN_TTL_SECONDS).toBe(3600);
  });
});
