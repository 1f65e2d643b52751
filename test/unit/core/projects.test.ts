import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../core/errors.js';
import { canSee, projectForNew, requireAccess, requireUsable, roleOver } from '../../../core/projects.js';
import { ROLES, encodeProjectRoles, keyContext, principalFromContext, requireRole, userContext, type Principal } from '../../../core/roles.js';

const tenantAdmin: Principal = { tenantId: 't', role: 'admin', keyId: 'k1', operator: false };
const payments: Principal = { tenantId: 't', role: 'editor', keyId: 'k2', operator: false, projects: { payments: 'editor' } };
const twoTeams: Principal = { tenantId: 't', role: 'admin', keyId: 'k3', operator: false, projects: { payments: 'viewer', web: 'admin' } };

const statusOf = (fn: () => unknown) => {
  try {
    fn();
    return 200;
  } catch (err) {
    return (err as DomainError).status;
  }
};

describe('project rules', () => {
  it("another project's resource is not found, a shared one is readable, one's own holds the project role", () => {
    expect(statusOf(() => requireAccess(payments, { projectId: 'web' }, 'viewer', 'cluster', 'cl-1'))).toBe(404);
    expect(statusOf(() => requireAccess(payments, {}, 'viewer', 'cluster', 'cl-1'))).toBe(200);
    expect(statusOf(() => requireAccess(payments, {}, 'editor', 'cluster', 'cl-1'))).toBe(403);
    expect(statusOf(() => requireAccess(payments, { projectId: 'payments' }, 'editor', 'cluster', 'cl-1'))).toBe(200);
    expect(statusOf(() => requireAccess(payments, { projectId: 'payments' }, 'admin', 'cluster', 'cl-1'))).toBe(403);
    expect(statusOf(() => requireAccess(tenantAdmin, { projectId: 'web' }, 'admin', 'cluster', 'cl-1'))).toBe(200);
    expect(canSee(twoTeams, { projectId: 'web' })).toBe(true);
    expect(canSee(twoTeams, { projectId: 'ops' })).toBe(false);
  });

  it('a project caller never holds more over a resource than its role in that project', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.constantFrom(...ROLES), { minKeys: 1 }), fc.option(fc.constantFrom('a', 'b', 'c', 'd'), { nil: undefined }), (projects, projectId) => {
        const who: Principal = { tenantId: 't', role: 'admin', keyId: 'k', operator: false, projects };
        const role = roleOver(who, projectId);
        if (projectId === undefined) expect(role).toBe('viewer');
        else expect(role).toBe(projects[projectId]);
      }),
    );
  });

  it('a new resource goes into the named project, the only one, or (tenant-wide) is shared', () => {
    expect(projectForNew(tenantAdmin, undefined)).toBeUndefined();
    expect(projectForNew(tenantAdmin, 'web')).toBe('web');
    expect(projectForNew(payments, undefined)).toBe('payments');
    expect(statusOf(() => projectForNew(payments, 'web'))).toBe(404);
    // Viewer in payments, admin in web: web is the only project it may create in.
    expect(projectForNew(twoTeams, undefined)).toBe('web');
    expect(statusOf(() => projectForNew(twoTeams, 'payments'))).toBe(403);
    const both: Principal = { ...twoTeams, projects: { payments: 'editor', web: 'editor' } };
    expect(statusOf(() => projectForNew(both, undefined))).toBe(400);
    expect(statusOf(() => projectForNew({ ...tenantAdmin, role: 'viewer' }, undefined))).toBe(403);
  });

  it('a resource uses its own project\'s and shared ones only', () => {
    expect(statusOf(() => requireUsable('web', {}, 'profile', 'pf-1', 'profileId'))).toBe(200);
    expect(statusOf(() => requireUsable('web', { projectId: 'web' }, 'profile', 'pf-1', 'profileId'))).toBe(200);
    expect(statusOf(() => requireUsable('web', { projectId: 'payments' }, 'profile', 'pf-1', 'profileId'))).toBe(400);
    expect(statusOf(() => requireUsable(undefined, { projectId: 'payments' }, 'profile', 'pf-1', 'profileId'))).toBe(400);
  });

  it('tenant-wide checks refuse project callers, whatever their role', () => {
    expect(statusOf(() => requireRole(twoTeams, 'viewer'))).toBe(403);
    expect(statusOf(() => requireRole(tenantAdmin, 'admin'))).toBe(200);
  });
});

describe("the authorizer's context", () => {
  it('carries project roles there and back; a project-limited caller is never an operator', () => {
    const ctx = keyContext('t', 'k', { role: 'editor', projects: { web: 'editor', payments: 'viewer' } }, true);
    expect(ctx.projects).toBe('payments=viewer,web=editor');
    expect(principalFromContext(ctx)).toEqual({ tenantId: 't', role: 'editor', keyId: 'k', operator: false, projects: { payments: 'viewer', web: 'editor' } });
    const user = principalFromContext(userContext('t', { role: 'admin', projects: { web: 'admin' } }, { subject: 's1', email: 'a@x' }));
    expect(user).toMatchObject({ keyId: 'user:s1', projects: { web: 'admin' }, operator: false });
    expect(principalFromContext(keyContext('t', 'k', { role: 'admin' }, true))).toEqual({ tenantId: 't', role: 'admin', keyId: 'k', operator: true });
  });

  it('a context whose projects cannot be read names no caller: never widened to the tenant', () => {
    for (const projects of ['web', 'web=owner', '=admin', 'web=admin,,']) {
      expect(principalFromContext({ tenantId: 't', role: 'admin', keyId: 'k', projects }), projects).toBeUndefined();
    }
    expect(encodeProjectRoles({ b: 'viewer', a: 'admin' })).toBe('a=admin,b=viewer');
  });
});
