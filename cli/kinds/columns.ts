import type { Column } from '../table.js';
import { age } from '../time.js';

/** Columns most kinds share. */
export const nameColumn = <T extends { name: string }>(): Column<T> => ({ header: 'NAME', cell: (x) => x.name });
export const idColumn = <T extends { id: string }>(): Column<T> => ({ header: 'ID', cell: (x) => x.id });
export const ageColumn = <T extends { createdAt: string }>(): Column<T> => ({ header: 'AGE', cell: (x) => age(x.createdAt) });
