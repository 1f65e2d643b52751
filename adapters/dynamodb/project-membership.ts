import { notFound } from '../../core/errors.js';
import { bumpCount, entitySk, tenantPk, type TransactItem } from './definitions.js';

/**
 * Kept apart from projects-store.ts so that the stores of keys and resources join projects without
 * loading the projects' input rules (the authorizer loads no validation library).
 *
 * A project is `PROJECT#<id>` in its tenant's partition. Its `memberCount` counts what belongs to
 * it (clusters, profiles, cloud accounts, registries, API keys), moved in the transaction that
 * makes or removes each: the condition on it proves the project exists when something joins it,
 * and a project is deleted only when the count is 0.
 */
export const projectSk = (id: string) => entitySk('PROJECT', id);
export const MEMBER_COUNT = 'memberCount';

/** The transaction item that joins (1) or leaves (-1) a project: fails when a joined project does not exist. */
export const projectMembership = (tenantId: string, projectId: string, by: 1 | -1): TransactItem => bumpCount(tenantPk(tenantId), projectSk(projectId), MEMBER_COUNT, by);

/** The error for a failed membership item: the project named at `path` does not exist. */
export const noSuchProject = (projectId: string, path = 'projectId') => notFound('project', projectId, path);
