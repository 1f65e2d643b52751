import { clearSession, currentSession } from './session';
import type { FieldDetail } from './types';

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

/** Fired when the API no longer accepts the key (revoked): the app goes back to sign-in. */
export const SIGNED_OUT = 'strata:signed-out';

interface CallOptions {
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Use this key instead of the session's (signing in). */
  readonly key?: string;
}

/** One call of the public REST API on this origin, with the session's key. */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, opts: CallOptions = {}): Promise<T> {
  const key = opts.key ?? currentSession()?.key;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
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
  if (res.status === 401 && !opts.key) {
    clearSession();
    window.dispatchEvent(new CustomEvent(SIGNED_OUT));
  }
  throw new ApiError(res.status, err.error ?? `HTTP${res.status}`, err.message ?? `${method} ${path} answered ${res.status}`, err.details ?? []);
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
