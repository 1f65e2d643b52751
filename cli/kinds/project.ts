import type { Project } from '../api-types.js';
import type { Palette } from '../colour.js';
import type { Resolver } from '../resolver.js';
import { renderFacts, renderTable, type Column } from '../table.js';
import { age } from '../time.js';
import { ageColumn, nameColumn } from './columns.js';
import type { Kind, Manifest } from './kind.js';
import { bodyOf, refField } from './manifest-fields.js';

/** Projects: a team's share of the tenant; its clusters, profiles, cloud accounts, registries and keys belong to it. */
export const projects: Kind<Project> = {
  name: 'project',
  plural: 'projects',
  aliases: ['proj'],
  manifestKind: 'Project',
  list: async (r) => (await r.api.get<{ items: Project[] }>('/v1/projects')).items,
  idOf: (p) => p.id,
  nameOf: (p) => p.name,
  read: (api, p) => api.get<Project>(`/v1/projects/${encodeURIComponent(p.id)}`),
  table: (items, { palette }) => {
    // The API says the caller's role only to callers with roles in projects: tenant-wide roles hold in every one.
    const roles = items.some((p) => p.role !== undefined);
    return renderTable(
      [
        nameColumn(),
        ...(roles ? [{ header: 'ROLE', cell: (p: Project) => p.role ?? '' }] : []),
        { header: 'MEMBERS', cell: (p) => String(p.memberCount) },
        ageColumn(),
        { header: 'DESCRIPTION', cell: (p) => p.description ?? '' },
      ],
      items,
      palette.bold,
    );
  },
  createRequest: async (m) => ({ path: '/v1/projects', body: bodyOf(m) }),
  deletePath: (p) => `/v1/projects/${encodeURIComponent(p.id)}`,
};

/** The project a manifest names, as given: `projectId: ID` or `project: NAME` (a project's name is its id). */
export const manifestProject = (m: Manifest): string | undefined => refField(m, 'projectId') ?? refField(m, 'project');

/**
 * The create body of a resource that may belong to a project: the manifest's fields, its project
 * as `projectId`. A `project:` name is looked up, so a typo is told with the projects there are.
 */
export async function ownedBody(m: Manifest, r: Resolver, ...taken: string[]): Promise<Record<string, unknown>> {
  const body = bodyOf(m, 'project', 'projectId', ...taken);
  const named = refField(m, 'project');
  const projectId = m.projectId !== undefined ? refField(m, 'projectId') : named === undefined ? undefined : await r.id(projects, named);
  return projectId === undefined ? body : { ...body, projectId };
}

/** Something that belongs to a project, as `describe project` lists it. */
export interface ProjectMember {
  readonly kind: string;
  readonly name: string;
  readonly id: string;
}

/** `strata describe project NAME`: the project, then what belongs to it. */
export function projectText(p: Project, members: readonly ProjectMember[], keysHidden: boolean, palette: Palette): string {
  const facts = renderFacts(
    [
      ['Project', p.name],
      ['Description', p.description],
      ['Created', `${p.createdAt} (${age(p.createdAt)} ago)`],
      ['Members', String(p.memberCount)],
      ['Your role', p.role],
    ],
    palette.bold,
  );
  const hiddenNote = keysHidden ? `\n${palette.dim("Its API keys are listed to admins only (the tenant's or the project's).")}\n` : '';
  if (!members.length) return `${facts}\nNothing you can see belongs to it.\n${hiddenNote}`;
  const columns: Column<ProjectMember>[] = [
    { header: 'KIND', cell: (m) => m.kind },
    { header: 'NAME', cell: (m) => m.name },
    { header: 'ID', cell: (m) => m.id },
  ];
  return `${facts}\n${renderTable(columns, members, palette.bold)}${hiddenNote}`;
}
