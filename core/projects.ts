import { z } from 'zod';
import { forbidden, invalidField, notFound } from './errors.js';
import { hasRole, type Principal, type Role } from './roles.js';
import { CLEAN_TEXT_MESSAGE, isCleanText } from './text.js';

/**
 * Projects group a tenant's clusters, profiles, cloud accounts and private registries for one
 * team. A resource with a `projectId` belongs to that project; one without is the tenant's,
 * shared by all its projects: every project may read and use it, only tenant-wide roles change it.
 * A key or person with roles in projects only (Principal.projects) sees its projects' resources
 * and the shared ones; another project's are not found (404), as another tenant's are.
 */

/** The project every tenant has, and where resources made before projects existed were moved. */
export const DEFAULT_PROJECT_ID = 'default';

/** A project's name is its id: lower-case, as people type it after `--project`. */
export const PROJECT_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
const PROJECT_NAME_MESSAGE = 'lower-case letters, digits and dashes, starting with a letter and not ending with a dash (2-40 chars)';

/** A project id as every input names one (a resource's projectId, a key's, a group mapping's). */
export const ProjectId = z.string().regex(PROJECT_NAME, PROJECT_NAME_MESSAGE);

/** The project field of every create input. */
export const NewProjectId = ProjectId.optional().meta({
  description: 'the project it belongs to; without it, the caller\'s only project, or shared by all projects when a tenant-wide role makes it',
});

export const CreateProjectInput = z
  .strictObject({
    name: ProjectId,
    description: z.string().trim().max(500).refine(isCleanText, CLEAN_TEXT_MESSAGE).optional(),
  })
  .meta({ id: 'CreateProjectInput' });
export type CreateProjectInput = z.infer<typeof CreateProjectInput>;

export interface Project {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly createdAt: string;
}

/** Anything that may belong to a project. */
export interface Owned {
  readonly projectId?: string;
}

/** The role a caller holds over a resource of `projectId` (absent: shared); undefined when the caller may not see it. */
export function roleOver(who: Principal, projectId: string | undefined): Role | undefined {
  if (!who.projects) return who.role;
  // Shared resources: every project reads and uses them; tenant-wide roles change them.
  if (projectId === undefined) return 'viewer';
  return who.projects[projectId];
}

/** May the caller see a resource of this project at all? */
export const canSee = (who: Principal, resource: Owned): boolean => roleOver(who, resource.projectId) !== undefined;

/**
 * The one check after every read of a project's resource: not visible is 404 (as if it did not
 * exist), visible without the role needed is 403.
 */
export function requireAccess(who: Principal, resource: Owned, needed: Role, kind: string, id: string, path = 'id'): void {
  const role = roleOver(who, resource.projectId);
  if (!role) throw notFound(kind, id, path);
  if (!hasRole(role, needed)) {
    throw forbidden(
      resource.projectId === undefined
        ? `${kind} ${id} is shared by the tenant's projects; changing it needs a tenant-wide ${needed} role`
        : `role ${role} in project ${resource.projectId} cannot do this; it needs ${needed}`,
    );
  }
}

/**
 * The project a new resource goes into. A tenant-wide caller names one or makes it shared (no
 * projectId). A caller with roles in projects only names one of them, or is given its only
 * project where it holds `needed`.
 */
export function projectForNew(who: Principal, requested: string | undefined, needed: Role = 'editor'): string | undefined {
  if (!who.projects) {
    if (!hasRole(who.role, needed)) throw forbidden(`role ${who.role} cannot do this; it needs ${needed}`);
    return requested;
  }
  if (requested !== undefined) {
    const role = who.projects[requested];
    if (!role) throw notFound('project', requested, 'projectId');
    if (!hasRole(role, needed)) throw forbidden(`role ${role} in project ${requested} cannot do this; it needs ${needed}`, 'projectId');
    return requested;
  }
  const eligible = Object.entries(who.projects).filter(([, role]) => hasRole(role, needed)).map(([id]) => id);
  if (eligible.length === 1) return eligible[0];
  if (eligible.length === 0) {
    const held = Object.entries(who.projects).map(([id, role]) => `${role} in ${id}`).sort().join(', ');
    throw forbidden(`this needs the ${needed} role in a project (or tenant-wide); this caller is ${held}`);
  }
  throw invalidField('projectId', `name the project: one of ${eligible.sort().join(', ')}`);
}

/** The projects whose resources a caller's lists show besides the shared ones; undefined: every project. */
export const visibleProjects = (who: Principal): readonly string[] | undefined => (who.projects ? Object.keys(who.projects).sort() : undefined);

/**
 * A cluster uses profiles and cloud accounts of its own project or shared ones, and a profile the
 * packs of its own project's registries or shared ones: never another project's.
 */
export function requireUsable(owner: string | undefined, used: Owned, kind: string, id: string, path: string): void {
  if (used.projectId === undefined || used.projectId === owner) return;
  const user = owner === undefined ? 'a shared resource' : `a resource of project ${owner}`;
  throw invalidField(path, `${kind} ${id} belongs to project ${used.projectId}; ${user} may use only its own project's and shared ones`);
}
