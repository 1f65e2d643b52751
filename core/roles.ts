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
