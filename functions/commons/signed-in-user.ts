import { decodeJwt } from 'jose';
import type { Grant } from '../../core/roles.js';
import { grantForGroups, userOf, type SsoConfig, type SsoUser } from '../../core/sso.js';
import { findSsoByClient } from '../../adapters/dynamodb/sso-store.js';
import { verifyIdToken } from '../../adapters/oidc/provider.js';

export type SignedIn =
  | { readonly ok: true; readonly config: SsoConfig; readonly user: SsoUser; readonly grant: Grant; readonly expiresAt: string }
  | { readonly ok: false; readonly reason: string; readonly config?: SsoConfig; readonly user?: SsoUser };

/** An ID token names at most a few audiences; more is not a token of ours. */
const MAX_AUDIENCES = 3;

/**
 * Who an ID token signs in, and with what roles: the token's issuer and audience lead to the one
 * tenant that registered that client; the signature, issuer, audience and lifetime are checked
 * against the provider's keys; the groups claim gives the roles by the tenant's mapping.
 * Never throws for a bad token (the reason says what was wrong); throws a 503 when the provider
 * cannot be reached.
 */
export async function signedInUser(token: string): Promise<SignedIn> {
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token);
  } catch {
    return { ok: false, reason: 'not a JWT' };
  }
  const audiences = (typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : []).slice(0, MAX_AUDIENCES);
  if (typeof claims.iss !== 'string' || claims.iss.length > 500 || audiences.length === 0) return { ok: false, reason: 'no issuer or audience' };
  let config: SsoConfig | undefined;
  for (const aud of audiences) if (typeof aud === 'string' && aud.length <= 200 && (config = await findSsoByClient(claims.iss, aud))) break;
  if (!config) return { ok: false, reason: `no tenant signs in with ${claims.iss}` };
  let verified: Awaited<ReturnType<typeof verifyIdToken>>;
  try {
    verified = await verifyIdToken(token, config);
  } catch (err) {
    if ((err as { status?: number }).status === 503) throw err;
    return { ok: false, reason: `token refused: ${(err as Error).message}`, config };
  }
  const user = userOf(verified, config.groupsClaim);
  if (!user) return { ok: false, reason: 'the token names no subject', config };
  const grant = grantForGroups(config, user.groups);
  if (!grant) return { ok: false, reason: `none of the groups (${user.groups.join(', ') || 'none'}) has a role in tenant ${config.tenantId}`, config, user };
  return { ok: true, config, user, grant, expiresAt: new Date(verified.exp! * 1000).toISOString() };
}
