import type { Column } from '../table.js';
import { age } from '../time.js';

/** Columns most kinds share. */
export const nameColumn = <T extends { name: string }>(): Column<T> => ({ header: 'NAME', cell: (x) => x.name });
export const idColumn = <T extends { id: string }>(): Column<T> => ({ header: 'ID', cell: (x) => x.id });
export const ageColumn = <T extends { createdAt: string }>(): Column<T> => ({ header: 'AGE', cell: (x) => age(x.createdAt) });

/** Without a project, a resource is the tenant's, shared by all its projects. */
export const SHARED = '(shared)';
/** PROJECT: the project a resource belongs to, `none` when it belongs to none. */
export const projectColumn = <T extends { projectId?: string }>(none = SHARED): Column<T> => ({ header: 'PROJECT', cell: (x) => x.projectId ?? none });
