import { createHash, createHmac } from 'node:crypto';

/**
 * How long the join token made at `kubeadm init` lives: nodes launched later than this cannot join
 * with it (core/change-limits.ts refuses to add them until fresh tokens can be made in the cluster).
 */
export const JOIN_TOKEN_TTL_HOURS = 24;

/**
 * Join tokens for nodes launched after the cluster was made. kubeadm init's token lives 24 h
 * (JOIN_TOKEN_TTL_HOURS); a node launched later joins with a token of its own, which the cluster's
 * agent creates in the cluster on command (createBootstrapToken) just before the node is launched.
 * Its id is derived from what the launch is (so a retried launch asks for the same token) and its
 * secret from the platform secret, so the secret is stored nowhere: the platform derives it again
 * to hand it to the agent (in the heartbeat answer) and to the node (in its bootstrap bundle).
 */

/** How long a node's own join token lives: long enough to boot and join, short enough to be useless soon after. */
export const NODE_JOIN_TOKEN_TTL_SECONDS = 3600;

/** kubeadm's token format: `[a-z0-9]{6}.[a-z0-9]{16}` (id, secret). */
export const TOKEN_ID = /^[a-z0-9]{6}$/;
export const TOKEN_SECRET = /^[a-z0-9]{16}$/;

/** The first `length` base-36 digits of a digest, from enough of its bits that every digit is (all but) uniform. */
function base36(digest: Buffer, length: number): string {
  const n = BigInt(`0x${digest.subarray(0, 16).toString('hex')}`) % 36n ** BigInt(length);
  return n.toString(36).padStart(length, '0');
}

/** A token id for one launch: `nonce` names it, e.g. `${clusterId}/${node}/${issuedAt}`. */
export function joinTokenId(nonce: string): string {
  return base36(createHash('sha256').update(`join-token-id/${nonce}`).digest(), 6);
}

/** The token's secret: an HMAC of the cluster and token id under the platform secret, never stored. */
export function joinTokenSecret(platformSecret: string, clusterId: string, tokenId: string): string {
  return base36(createHmac('sha256', platformSecret).update(`join-token-secret/${clusterId}/${tokenId}`).digest(), 16);
}

/** What kubeadm's JoinConfiguration takes as discovery.bootstrapToken.token. */
export const joinToken = (id: string, secret: string): string => `${id}.${secret}`;
