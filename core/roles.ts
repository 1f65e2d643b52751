import { forbidden } from './errors.js';

export const ROLES = ['admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: resolved from the API key by the authorizer. */
export interface Principal {
  readonly tenantId: string;
  readonly role: Role;
  readonly keyId: string;
  /** Platform operators may create tenants. */
  readonly operator: boolean;
  /** A person signed in through the tenant's identity provider (core/sso.ts); keyId is then `user:<subject>`. */
  readonly user?: { readonly subject: string; readonly name?: string };
}

/** The caller as the authorizer's context names it (string values, as API Gateway passes them); undefined when it names none. */
export function principalFromContext(ctx: Readonly<Record<string, unknown>> | null | undefined): Principal | undefined {
  const role = ctx?.role as Role | undefined;
  if (!ctx || typeof ctx.tenantId !== 'string' || !role || !ROLES.includes(role)) return undefined;
  const subject = typeof ctx.userSubject === 'string' && ctx.userSubject ? ctx.userSubject : undefined;
  return {
    tenantId: ctx.tenantId,
    role,
    keyId: String(ctx.keyId ?? ''),
    // Users are never operators, whatever a context says.
    operator: !subject && (ctx.operator === true || ctx.operator === 'true'),
    ...(subject ? { user: { subject, ...(typeof ctx.userName === 'string' && ctx.userName ? { name: ctx.userName } : {}) } } : {}),
  };
}

/** The actor id a signed-in person's requests carry in place of an API key id. */
const userActorId = (subject: string) => `user:${subject}`;

/** What the authorizer hands the handlers (API Gateway passes strings, numbers and booleans only). */
export type AuthorizerContext = Record<string, string | boolean> & { readonly tenantId: string; readonly keyId: string };

/** The authorizer's context for a signed-in person: what principalFromContext reads back. */
export function userContext(
  tenantId: string,
  role: Role,
  user: { readonly subject: string; readonly name?: string; readonly email?: string },
): AuthorizerContext {
  const userName = user.email ?? user.name;
  return { tenantId, role, keyId: userActorId(user.subject), operator: false, userSubject: user.subject, ...(userName ? { userName } : {}) };
}

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

export function requireRole(principal: Principal, needed: Role): void {
  if (RANK[principal.role] < RANK[needed]) {
    throw forbidden(`role ${principal.role} cannot do this; it needs ${needed}`);
  }
}

export function requireOperator(principal: Principal): void {
  if (!principal.operator) throw forbidden('only platform operator keys can manage tenants');
}
