import type { Role } from './types';

/**
 * Who is signed in: the API key and its role, for this browser tab only. sessionStorage, so the
 * key goes when the tab closes and never appears in a URL or in history.
 */
const KEY = 'strata.apiKey';
const ROLE = 'strata.role';

export interface Session {
  readonly key: string;
  readonly role: Role;
}

export function currentSession(): Session | undefined {
  const key = sessionStorage.getItem(KEY);
  const role = sessionStorage.getItem(ROLE) as Role | null;
  return key && role ? { key, role } : undefined;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, session.key);
  sessionStorage.setItem(ROLE, session.role);
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(ROLE);
}

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/** Whether the signed-in role may do what needs `needed` (the API checks again; this only hides buttons). */
export function may(needed: Role): boolean {
  const s = currentSession();
  return !!s && RANK[s.role] >= RANK[needed];
}
