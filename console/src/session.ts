import type { Role, SignInTokens } from './types';

/**
 * Who is signed in, for this browser tab only: sessionStorage, so the token goes when the tab
 * closes and never appears in a URL or in history. Either an API key and its role, or a person
 * signed in through the tenant's identity provider: their ID token is the bearer token, used
 * exactly as a key is, until it expires and the refresh token gets another.
 */
const KEY = 'strata.apiKey';
const ROLE = 'strata.role';
/** A key limited to projects: its role in each, as JSON. */
const PROJECTS = 'strata.projects';
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

/** Roles in projects, for a key or person limited to projects. */
export type ProjectRoles = Readonly<Record<string, Role>>;

export interface Session {
  /** The Authorization bearer: an API key, or an ID token. */
  readonly token: string;
  /** The tenant-wide role; for a caller limited to projects, the highest of its project roles. */
  readonly role: Role;
  /** Present when the role holds in these projects only (the API answers 404 for others). */
  readonly projects?: ProjectRoles;
  /** Present when signed in through the identity provider. */
  readonly sso?: SsoSession;
}

const ROLES: readonly string[] = ['admin', 'editor', 'viewer'];

function projectRoles(value: unknown): ProjectRoles | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.length || !entries.every(([, r]) => typeof r === 'string' && ROLES.includes(r))) return undefined;
  return Object.fromEntries(entries) as ProjectRoles;
}

function storedProjects(): ProjectRoles | undefined {
  const raw = sessionStorage.getItem(PROJECTS);
  if (!raw) return undefined;
  try {
    return projectRoles(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

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
  if (!token || !role) return undefined;
  const projects = storedProjects();
  return projects ? { token, role, projects } : { token, role };
}

export function saveSession(session: Session): void {
  clearSession();
  if (session.sso) {
    sessionStorage.setItem(SSO, JSON.stringify(session));
    return;
  }
  sessionStorage.setItem(KEY, session.token);
  sessionStorage.setItem(ROLE, session.role);
  if (session.projects) sessionStorage.setItem(PROJECTS, JSON.stringify(session.projects));
}

export function clearSession(): void {
  for (const k of [KEY, ROLE, PROJECTS, SSO]) sessionStorage.removeItem(k);
}

/** The session a token answer makes; a refresh that brings no new refresh token keeps the one it used. */
export function ssoSessionOf(tokens: SignInTokens, tenant: string, previous?: { refreshToken?: string; endSession?: SsoSession['endSession'] }): Session {
  const { subject, name, email } = tokens.user;
  const refreshToken = tokens.refreshToken ?? previous?.refreshToken;
  const endSession = previous?.endSession;
  const projects = projectRoles(tokens.projects);
  return {
    token: tokens.idToken,
    role: tokens.role,
    ...(projects ? { projects } : {}),
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

export const hasRole = (held: Role | undefined, needed: Role): boolean => !!held && RANK[held] >= RANK[needed];

/** The highest of some roles (a caller limited to projects is shown the highest of its project roles). */
export const highestRole = (roles: readonly Role[]): Role | undefined => roles.reduce<Role | undefined>((top, r) => (hasRole(top, r) ? top : r), undefined);

/**
 * Whether the signed-in role may do what needs `needed` somewhere: tenant-wide, or in one of its
 * projects (the API checks again; this only hides buttons).
 */
export function may(needed: Role): boolean {
  return hasRole(currentSession()?.role, needed);
}

/** Whether the session's role holds over the whole tenant (keys, sign-in, audit, projects, shared resources). */
export function mayTenantWide(needed: Role): boolean {
  const s = currentSession();
  return !!s && !s.projects && hasRole(s.role, needed);
}

/**
 * The session's role over a resource of `projectId` (absent: shared), as the API decides it
 * (core/projects.ts roleOver): shared resources are read by every project and changed by
 * tenant-wide roles only; undefined when the session cannot see it.
 */
export function roleOver(projectId: string | undefined): Role | undefined {
  const s = currentSession();
  if (!s) return undefined;
  if (!s.projects) return s.role;
  if (projectId === undefined) return 'viewer';
  return s.projects[projectId];
}

/** Whether the session may do what needs `needed` to a resource of `projectId`. */
export const mayOn = (projectId: string | undefined, needed: Role): boolean => hasRole(roleOver(projectId), needed);

/** "payments: editor, web: viewer": a limited session's roles, as the frame shows them. */
export const projectRolesText = (projects: ProjectRoles): string =>
  Object.entries(projects)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, role]) => `${id}: ${role}`)
    .join(', ');
