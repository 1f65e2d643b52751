import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { DomainError, invalidField } from '../../core/errors.js';
import type { SsoConfig } from '../../core/sso.js';

/**
 * A tenant's OpenID provider, as the API talks to it: its discovery document, its signing keys
 * (kept per Lambda instance, refetched when a token names a key not seen yet), and its token
 * endpoint. The provider is the tenant's; any failure to reach it is a 503 naming it, never a
 * crash, and what it answers is parsed, not trusted.
 */
const TIMEOUT_MS = 3000;
const DISCOVERY_TTL_MS = 60 * 60 * 1000;

const Discovery = z.looseObject({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  end_session_endpoint: z.url().optional().catch(undefined),
});
export type Discovery = z.infer<typeof Discovery>;

const unreachable = (issuer: string, why: string) =>
  new DomainError(503, 'ServiceUnavailable', `the identity provider ${issuer} could not be reached or answered wrongly (${why}); retry later`);

const discoveries = new Map<string, { readonly doc: Discovery; readonly until: number }>();
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

export async function discover(issuer: string): Promise<Discovery> {
  const cached = discoveries.get(issuer);
  if (cached && cached.until > Date.now()) return cached.doc;
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}`);
    body = await res.json();
  } catch (err) {
    throw unreachable(issuer, (err as Error).message);
  }
  const parsed = Discovery.safeParse(body);
  if (!parsed.success) throw unreachable(issuer, 'its discovery document lacks an endpoint');
  // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
  if (parsed.data.issuer !== issuer) throw unreachable(issuer, `its discovery document names the issuer ${parsed.data.issuer}`);
  discoveries.set(issuer, { doc: parsed.data, until: Date.now() + DISCOVERY_TTL_MS });
  return parsed.data;
}

/**
 * Check an ID token's signature, issuer, audience and lifetime. Times are judged by the real
 * clock, the provider's own: a local runtime's moved clock must not expire a token just issued.
 */
export async function verifyIdToken(token: string, config: Pick<SsoConfig, 'issuer' | 'clientId'>): Promise<JWTPayload> {
  const { jwks_uri } = await discover(config.issuer);
  let keys = keySets.get(jwks_uri);
  if (!keys) keySets.set(jwks_uri, (keys = createRemoteJWKSet(new URL(jwks_uri), { timeoutDuration: TIMEOUT_MS })));
  const { payload } = await jwtVerify(token, keys, {
    issuer: config.issuer,
    audience: config.clientId,
    algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
    clockTolerance: 30,
    requiredClaims: ['sub', 'exp', 'iat'],
  });
  return payload;
}

const TokenAnswer = z.looseObject({
  id_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
});
const TokenError = z.looseObject({ error: z.string(), error_description: z.string().optional() });

export type TokenGrant =
  | { readonly code: string; readonly codeVerifier: string; readonly redirectUri: string }
  | { readonly refreshToken: string };

/**
 * The token request of a public client (RFC 6749 §4.1.3 with RFC 7636's verifier, or §6 refresh):
 * no client secret, the verifier proves the caller started the authorization.
 */
export async function requestTokens(config: Pick<SsoConfig, 'issuer' | 'clientId'>, grant: TokenGrant): Promise<{ idToken: string; refreshToken?: string }> {
  const { token_endpoint } = await discover(config.issuer);
  const form = new URLSearchParams({ client_id: config.clientId });
  if ('refreshToken' in grant) {
    form.set('grant_type', 'refresh_token');
    form.set('refresh_token', grant.refreshToken);
  } else {
    form.set('grant_type', 'authorization_code');
    form.set('code', grant.code);
    form.set('code_verifier', grant.codeVerifier);
    form.set('redirect_uri', grant.redirectUri);
  }
  let res: Response;
  let body: unknown;
  try {
    res = await fetch(token_endpoint, {
      method: 'POST',
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
    });
    body = await res.json().catch(() => undefined);
  } catch (err) {
    throw unreachable(config.issuer, (err as Error).message);
  }
  const field = 'refreshToken' in grant ? 'refreshToken' : 'code';
  if (!res.ok) {
    const refused = TokenError.safeParse(body);
    // invalid_grant and friends: the code (or refresh token) is spent, expired, or not this client's.
    if (res.status >= 400 && res.status < 500 && refused.success) {
      throw invalidField(field, `the identity provider refused it: ${refused.data.error}${refused.data.error_description ? ` (${refused.data.error_description.slice(0, 200)})` : ''}`);
    }
    throw unreachable(config.issuer, `HTTP ${res.status} from its token endpoint`);
  }
  const tokens = TokenAnswer.safeParse(body);
  if (!tokens.success) throw unreachable(config.issuer, 'its token answer holds no id_token (is the openid scope allowed for this client?)');
  return { idToken: tokens.data.id_token, refreshToken: tokens.data.refresh_token };
}
