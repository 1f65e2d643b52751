import { get } from './api';
import { h } from './dom';
import { currentSession, hasRole } from './session';
import type { Project, Role } from './types';
import { field, select } from './views/fields';

/**
 * Projects as the create forms and lists show them: a resource belongs to one project, or, without
 * one, is shared by the whole tenant (every project reads and uses it, tenant-wide roles change it).
 */

/** The caller's projects (all of them for tenant-wide callers; with the caller's role in each for limited ones). */
export async function loadProjects(signal?: AbortSignal): Promise<Project[]> {
  return (await get<{ items: Project[] }>('/v1/projects', signal)).items;
}

/**
 * The project a new resource goes into: the caller's projects where it holds `needed`, plus the
 * shared choice for tenant-wide callers. Tenant-wide callers start on shared, limited ones on their
 * (first) project. Its value is '' for shared; it fills the API's projectId.
 */
export function projectSelect(projects: readonly Project[], opts: { sharedLabel: string; needed?: Role }): HTMLSelectElement {
  const limited = currentSession()?.projects;
  const needed = opts.needed ?? 'editor';
  const choices = limited ? projects.filter((p) => hasRole(limited[p.id], needed)) : projects;
  const options = [...(limited ? [] : [['', opts.sharedLabel] as const]), ...choices.map((p) => [p.id, p.name] as const)];
  return select(options, limited ? choices[0]?.id : '', { name: 'projectId' });
}

/** The Project field of a create form, errors of projectId landing at it. */
export const projectField = (control: HTMLSelectElement, hint?: string) => field('Project', control, { path: 'projectId', hint });

/** The projectId of a create body: none for shared. */
export const chosenProject = (control: HTMLSelectElement | undefined) => (control?.value ? { projectId: control.value } : {});

/** A resource's project as a list shows it: its name, or that it is shared. */
export function projectBadge(projectId: string | undefined, sharedLabel = 'shared'): HTMLElement {
  return projectId ? h('span', { class: 'badge neutral', 'data-project': projectId }, projectId) : h('span', { class: 'muted', 'data-project': '' }, sharedLabel);
}

/** The Project cell of a list's row. */
export const projectCell = (projectId: string | undefined, sharedLabel?: string) => h('td', {}, projectBadge(projectId, sharedLabel));
