import type { Role, SignInTokens } from './types';

/**
 * Who is signed in, for this browser tab only: sessionStorage, so the token goes when the tab
 * closes and never appears in a URL or in history. Either an API key and its role, or a person
 * signed in through the tenant's identity provider: their ID token is the bearer token, used
 * exactly as a key is, until it expires and the refresh token gets another.
 */
const KEY = 'strata.apiKey';
const ROLE = 'strata.role';
/** A sign-in through the identity provider: the whole session as one JSON document. */
const SSO = 'strata.sso';

export interface SignedInUser {
  readonly subject: string;
  readonly name?: string;
  readonly email?: string;
}

/** What a sign-in through the identity provider adds to a session. */
export interface SsoSession {
  readonly tenant: string;
  /** When the ID token stops being accepted (ISO). */
  readonly expiresAt: string;
  readonly refreshToken?: string;
  readonly user: SignedInUser;
  /** The provider's end-session endpoint and the client signed in with, to end its session on sign-out. */
  readonly endSession?: { readonly endpoint: string; readonly clientId: string };
}

export interface Session {
  /** The Authorization bearer: an API key, or an ID token. */
  readonly token: string;
  readonly role: Role;
  /** Present when signed in through the identity provider. */
  readonly sso?: SsoSession;
}

const ROLES: readonly string[] = ['admin', 'editor', 'viewer'];

function ssoSession(): Session | undefined {
  const raw = sessionStorage.getItem(SSO);
  if (!raw) return undefined;
  try {
    const s = JSON.parse(raw) as Session;
    if (typeof s.token === 'string' && ROLES.includes(s.role) && typeof s.sso?.tenant === 'string' && typeof s.sso.expiresAt === 'string') return s;
  } catch {
    // unreadable: as if signed out
  }
  return undefined;
}

export function currentSession(): Session | undefined {
  const sso = ssoSession();
  if (sso) return sso;
  const token = sessionStorage.getItem(KEY);
  const role = sessionStorage.getItem(ROLE) as Role | null;
  return token && role ? { token, role } : undefined;
}

export function saveSession(session: Session): void {
  clearSession();
  if (session.sso) {
    sessionStorage.setItem(SSO, JSON.stringify(session));
    return;
  }
  sessionStorage.setItem(KEY, session.token);
  sessionStorage.setItem(ROLE, session.role);
}

export function clearSession(): void {
  for (const k of [KEY, ROLE, SSO]) sessionStorage.removeItem(k);
}

/** The session a token answer makes; a refresh that brings no new refresh token keeps the one it used. */
export function ssoSessionOf(tokens: SignInTokens, tenant: string, previous?: { refreshToken?: string; endSession?: SsoSession['endSession'] }): Session {
  const { subject, name, email } = tokens.user;
  const refreshToken = tokens.refreshToken ?? previous?.refreshToken;
  const endSession = previous?.endSession;
  return {
    token: tokens.idToken,
    role: tokens.role,
    sso: { tenant, expiresAt: tokens.expiresAt, ...(refreshToken ? { refreshToken } : {}), user: { subject, name, email }, ...(endSession ? { endSession } : {}) },
  };
}

/**
 * Where to send the browser to end the provider's session too (RP-Initiated Logout 1.0): back to
 * the console's root afterwards. None for API keys, or a provider without an end-session endpoint.
 */
export function providerSignOutUrl(session: Session | undefined, consoleRoot: string): string | undefined {
  const end = session?.sso?.endSession;
  if (!end) return undefined;
  const url = new URL(end.endpoint);
  url.searchParams.set('id_token_hint', session.token);
  url.searchParams.set('client_id', end.clientId);
  url.searchParams.set('post_logout_redirect_uri', consoleRoot);
  return url.toString();
}

/** Who the frame names: the person's e-mail address or name, or the API key. */
export function signedInAs(session: Session): string {
  const user = session.sso?.user;
  return user ? (user.email ?? user.name ?? user.subject) : 'API key';
}

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/** Whether the signed-in role may do what needs `needed` (the API checks again; this only hides buttons). */
export function may(needed: Role): boolean {
  const s = currentSession();
  return !!s && RANK[s.role] >= RANK[needed];
}
