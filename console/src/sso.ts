import { ApiError, api } from './api';
import { saveSession, ssoSessionOf } from './session';
import type { SignInInfo, SignInTokens } from './types';

/**
 * Sign-in through the tenant's identity provider: the authorization code flow with PKCE (RFC 7636).
 * The console sends the browser to the provider, which sends it back to the console's root with a
 * code; the API exchanges the code (so the browser talks to no other origin than Strata's).
 */

/** The sign-in under way in this tab, between leaving for the provider and coming back. */
const PENDING = 'strata.signIn';
/** The tenant last signed in to, offered next time: a name, not a secret. */
const LAST_TENANT = 'strata.tenant';

interface PendingSignIn {
  readonly tenant: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly endSessionEndpoint?: string;
  readonly state: string;
  readonly verifier: string;
  readonly redirectUri: string;
  /** The page the person was on when they signed in. */
  readonly returnTo: string;
}

export const lastTenant = (): string => localStorage.getItem(LAST_TENANT) ?? '';

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const randomText = (bytes: number) => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** The S256 code challenge of a verifier. */
async function challengeOf(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** Where the provider sends the browser back: the console's root, as registered at the provider. */
export const redirectUri = (): string => `${location.origin}/`;

/** A path of this console to return to; anything else is the root. */
const ownPath = (path: string | undefined) => (path && /^\/(?![/\\])/.test(path) ? path : '/');

const signInPath = (tenant: string) => `/v1/signin/${encodeURIComponent(tenant)}`;

/** Ask the API where the tenant's people sign in, then go there. Resolves only when it could not go. */
export async function startSignIn(tenantName: string): Promise<void> {
  const tenant = tenantName.trim().toLowerCase();
  let info: SignInInfo;
  try {
    info = await api<SignInInfo>('GET', signInPath(tenant), { anonymous: true });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new Error(`Tenant ${tenant} has no sign-in through an identity provider; use an API key.`, { cause: err });
    throw err;
  }
  localStorage.setItem(LAST_TENANT, tenant);
  // 64 characters: RFC 7636 asks 43 to 128.
  const verifier = randomText(48);
  const pending: PendingSignIn = {
    tenant: info.tenant,
    issuer: info.issuer,
    clientId: info.clientId,
    ...(info.endSessionEndpoint ? { endSessionEndpoint: info.endSessionEndpoint } : {}),
    state: randomText(24),
    verifier,
    redirectUri: redirectUri(),
    returnTo: ownPath(location.pathname + location.search),
  };
  const url = new URL(info.authorizationEndpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', info.clientId);
  url.searchParams.set('redirect_uri', pending.redirectUri);
  url.searchParams.set('scope', info.scopes.join(' '));
  url.searchParams.set('state', pending.state);
  url.searchParams.set('code_challenge', await challengeOf(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  location.assign(url.toString());
}

/** The provider's answer, when the console was loaded with one (at its root, with a state and a code or an error). */
export function signInAnswer(): URLSearchParams | undefined {
  if (location.pathname !== '/') return undefined;
  const q = new URLSearchParams(location.search);
  return q.has('state') && (q.has('code') || q.has('error')) ? q : undefined;
}

function takePending(): PendingSignIn | undefined {
  const raw = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  try {
    return raw ? (JSON.parse(raw) as PendingSignIn) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finish the sign-in the provider sent the browser back from: check it is the one this tab
 * started, exchange the code through the API, keep the session. Its errors say what to do.
 */
export async function finishSignIn(answer: URLSearchParams): Promise<void> {
  const pending = takePending();
  // The code leaves the address bar and the history whatever happens: it is for one use only.
  history.replaceState(null, '', ownPath(pending?.returnTo));
  if (!pending || answer.get('state') !== pending.state) throw new Error('This answer of the identity provider is not for a sign-in started in this tab (its state differs): sign in again.');
  const issuer = answer.get('iss');
  if (issuer && issuer !== pending.issuer) throw new Error(`The answer came from ${issuer}, not from the tenant's identity provider ${pending.issuer}: sign in again.`);
  const error = answer.get('error');
  if (error) throw new Error(`The identity provider did not sign you in: ${answer.get('error_description') || error}.`);
  try {
    const tokens = await api<SignInTokens>('POST', `${signInPath(pending.tenant)}/token`, {
      anonymous: true,
      body: { code: answer.get('code'), codeVerifier: pending.verifier, redirectUri: pending.redirectUri },
    });
    saveSession(ssoSessionOf(tokens, pending.tenant, pending.endSessionEndpoint ? { endSession: { endpoint: pending.endSessionEndpoint, clientId: pending.clientId } } : undefined));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 403) throw new Error(`Signed in at the identity provider, but not to tenant ${pending.tenant}: ${err.message}.`, { cause: err });
    if (err.status === 400) throw new Error(`The identity provider did not accept the sign-in code (${err.message}): sign in again.`, { cause: err });
    throw err;
  }
}
