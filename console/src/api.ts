import { clearSession, currentSession, saveSession, ssoSessionOf, type Session, type SsoSession } from './session';
import type { FieldDetail, SignInTokens } from './types';

/** An answer of the API that is not a success, in its own shape: {error, message, details}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly FieldDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Fired when the API no longer accepts the session (key revoked, sign-in expired): the app goes back to sign-in. Its detail says why. */
export const SIGNED_OUT = 'strata:signed-out';

export const SIGN_IN_EXPIRED = 'Your sign-in expired: sign in again.';

interface CallOptions {
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Use this key instead of the session's (signing in). */
  readonly key?: string;
  /** No Authorization at all: the public sign-in routes. */
  readonly anonymous?: boolean;
}

/** One request and its answer, nothing more: the session is the caller's business. */
async function send<T>(method: string, path: string, token: string | undefined, opts: CallOptions): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
    cache: 'no-store',
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.ok) return body as T;
  const err = (body ?? {}) as { error?: string; message?: string; details?: FieldDetail[] };
  throw new ApiError(res.status, err.error ?? `HTTP${res.status}`, err.message ?? `${method} ${path} answered ${res.status}`, err.details ?? []);
}

/** End the session and go back to sign-in, saying why. */
export function signOut(reason?: string): void {
  clearSession();
  window.dispatchEvent(new CustomEvent(SIGNED_OUT, { detail: reason }));
}

/** Refresh this long before the ID token expires, so no call carries one that lapses on the way. */
const REFRESH_AHEAD_MS = 60_000;
/** One refresh at a time: the calls of a page that start together wait for the same one. */
let refreshing: Promise<string> | undefined;

async function refresh(session: Session & { sso: SsoSession }): Promise<string> {
  const { tenant, refreshToken, expiresAt } = session.sso;
  const expired = Date.parse(expiresAt) <= Date.now();
  const lapse = () => {
    if (currentSession()?.token === session.token) signOut(SIGN_IN_EXPIRED);
    return new ApiError(401, 'Unauthorized', SIGN_IN_EXPIRED);
  };
  // No refresh token: the ID token serves until it expires, then the person signs in again.
  if (!refreshToken) {
    if (expired) throw lapse();
    return session.token;
  }
  let tokens: SignInTokens;
  try {
    tokens = await send<SignInTokens>('POST', `/v1/signin/${encodeURIComponent(tenant)}/token`, undefined, { body: { refreshToken } });
  } catch (err) {
    // The network failed while the token still holds: use it, and try again on the next call.
    if (!(err instanceof ApiError) && !expired) return session.token;
    throw lapse();
  }
  // Signed out (or in as someone else) meanwhile: that choice stands.
  if (currentSession()?.token !== session.token) throw new ApiError(401, 'Unauthorized', 'Signed out while the sign-in was being refreshed.');
  saveSession(ssoSessionOf(tokens, tenant, { refreshToken, endSession: session.sso.endSession }));
  return tokens.idToken;
}

/** The session's bearer token, refreshed first when an ID token is about to expire. */
export async function bearerToken(): Promise<string | undefined> {
  const session = currentSession();
  if (!session) return undefined;
  const sso = session.sso;
  if (!sso || Date.parse(sso.expiresAt) - Date.now() > REFRESH_AHEAD_MS) return session.token;
  refreshing ??= refresh({ ...session, sso }).finally(() => (refreshing = undefined));
  return refreshing;
}

/** One call of the public REST API on this origin, with the session's key or ID token. */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, opts: CallOptions = {}): Promise<T> {
  if (opts.anonymous) return send<T>(method, path, undefined, opts);
  if (opts.key) return send<T>(method, path, opts.key, opts);
  const token = await bearerToken();
  try {
    return await send<T>(method, path, token, opts);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && token) {
      const session = currentSession();
      // Only when the refused token is still the session's: a call that started before a new sign-in does not end it.
      if (session?.token === token) signOut(session.sso ? SIGN_IN_EXPIRED : undefined);
    }
    throw err;
  }
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, { signal });

/** A path with query parameters, leaving out the undefined ones. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Every page of a list endpoint (small lists: profiles, accounts, registries). */
export async function getAll<T>(path: string, signal?: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await get<{ items: T[]; nextCursor?: string }>(withQuery(path, { limit: 100, cursor }), signal);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

export const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError';
