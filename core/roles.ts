import { forbidden } from './errors.js';

export const ROLES = ['admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: resolved from the API key or the person's ID token by the authorizer. */
export interface Principal {
  readonly tenantId: string;
  /** The tenant-wide role; for a caller with roles in projects only, the highest of those (what it may do somewhere). */
  readonly role: Role;
  readonly keyId: string;
  /** Platform operators may create tenants. */
  readonly operator: boolean;
  /** A person signed in through the tenant's identity provider (core/sso.ts); keyId is then `user:<subject>`. */
  readonly user?: { readonly subject: string; readonly name?: string };
  /**
   * Roles in projects, for a key limited to a project or a person whose groups grant project roles
   * only (core/projects.ts). Absent: `role` holds over the whole tenant.
   */
  readonly projects?: Readonly<Record<string, Role>>;
}

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

export const hasRole = (held: Role, needed: Role): boolean => RANK[held] >= RANK[needed];
export const higherRole = (a: Role, b: Role): Role => (RANK[a] >= RANK[b] ? a : b);

/** Project roles as the authorizer's context carries them (string values only): `payments=editor,web=viewer`. */
export const encodeProjectRoles = (projects: Readonly<Record<string, Role>>): string =>
  Object.entries(projects)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, role]) => `${id}=${role}`)
    .join(',');

function decodeProjectRoles(text: string): Record<string, Role> | undefined {
  const out: Record<string, Role> = {};
  for (const part of text.split(',')) {
    const [id, role] = part.split('=');
    if (!id || !role || !ROLES.includes(role as Role)) return undefined;
    out[id] = role as Role;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The caller as the authorizer's context names it (string values, as API Gateway passes them); undefined when it names none. */
export function principalFromContext(ctx: Readonly<Record<string, unknown>> | null | undefined): Principal | undefined {
  const role = ctx?.role as Role | undefined;
  if (!ctx || typeof ctx.tenantId !== 'string' || !role || !ROLES.includes(role)) return undefined;
  const subject = typeof ctx.userSubject === 'string' && ctx.userSubject ? ctx.userSubject : undefined;
  const scoped = typeof ctx.projects === 'string' && ctx.projects !== '';
  const projects = scoped ? decodeProjectRoles(ctx.projects as string) : undefined;
  // A context that names projects it cannot spell names no caller: refused, never widened to the tenant.
  if (scoped && !projects) return undefined;
  return {
    tenantId: ctx.tenantId,
    role,
    keyId: String(ctx.keyId ?? ''),
    // Users and project-limited callers are never operators, whatever a context says.
    operator: !subject && !projects && (ctx.operator === true || ctx.operator === 'true'),
    ...(subject ? { user: { subject, ...(typeof ctx.userName === 'string' && ctx.userName ? { name: ctx.userName } : {}) } } : {}),
    ...(projects ? { projects } : {}),
  };
}

/** The actor id a signed-in person's requests carry in place of an API key id. */
const userActorId = (subject: string) => `user:${subject}`;

/** What the authorizer hands the handlers (API Gateway passes strings, numbers and booleans only). */
export type AuthorizerContext = Record<string, string | boolean> & { readonly tenantId: string; readonly keyId: string };

/** A caller's grant: a tenant-wide role, or roles in projects only. */
export type Grant = { readonly role: Role; readonly projects?: undefined } | { readonly role: Role; readonly projects: Readonly<Record<string, Role>> };

const projectsEntry = (grant: Grant): Record<string, string> => (grant.projects ? { projects: encodeProjectRoles(grant.projects) } : {});

/** The authorizer's context for an API key: what principalFromContext reads back. */
export function keyContext(tenantId: string, keyId: string, grant: Grant, operator: boolean): AuthorizerContext {
  return { tenantId, role: grant.role, keyId, operator: operator && !grant.projects, ...projectsEntry(grant) };
}

/** The authorizer's context for a signed-in person: what principalFromContext reads back. */
export function userContext(tenantId: string, grant: Grant, user: { readonly subject: string; readonly name?: string; readonly email?: string }): AuthorizerContext {
  const userName = user.email ?? user.name;
  return { tenantId, role: grant.role, keyId: userActorId(user.subject), operator: false, userSubject: user.subject, ...(userName ? { userName } : {}), ...projectsEntry(grant) };
}

/**
 * A tenant-wide role check, for everything that is the tenant's (keys, sign-in, quotas, the audit
 * log, shared resources). A caller with roles in projects only is refused here: project resources
 * are checked by core/projects.ts requireAccess after they are read.
 */
export function requireRole(principal: Principal, needed: Role): void {
  if (principal.projects) {
    throw forbidden(`this needs a tenant-wide ${needed} role; this caller has roles in projects ${Object.keys(principal.projects).sort().join(', ')} only`);
  }
  if (!hasRole(principal.role, needed)) {
    throw forbidden(`role ${principal.role} cannot do this; it needs ${needed}`);
  }
}

export function requireOperator(principal: Principal): void {
  if (!principal.operator) throw forbidden('only platform operator keys can manage tenants');
}
