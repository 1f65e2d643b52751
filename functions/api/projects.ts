import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { clock } from '../../core/clock.js';
import { notFound } from '../../core/errors.js';
import { CreateProjectInput, type Project } from '../../core/projects.js';
import { requireRole, type Principal } from '../../core/roles.js';
import { createProject, deleteProject, getProject, listProjects } from '../../adapters/dynamodb/projects-store.js';
import { httpApi, json, noContent, parseBody, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';

/** A project as this caller sees it: with its role there when it has roles in projects only. */
const shown = (who: Principal, p: Project) => (who.projects ? { ...p, role: who.projects[p.id] } : p);

/** Projects: tenant-wide admins make and delete them; everyone sees those they have a role in (tenant-wide roles: all). */
export const handler = middy(
  router({
    'GET /v1/projects': async (event) => {
      const who = principalOf(event);
      const items = await listProjects(who.tenantId);
      return json(200, { items: items.filter((p) => !who.projects || who.projects[p.id]).map((p) => shown(who, p)) });
    },
    'POST /v1/projects': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'admin');
      const input = parseBody(event, CreateProjectInput);
      const project: Project = { id: input.name, name: input.name, ...(input.description ? { description: input.description } : {}), createdAt: clock.date().toISOString() };
      await createProject(who.tenantId, project);
      return json(201, { ...project, memberCount: 0 });
    },
    'GET /v1/projects/{id}': async (event) => {
      const who = principalOf(event);
      const id = pathParam(event, 'id');
      // Another project is not found, as another tenant's would be.
      if (who.projects && !who.projects[id]) throw notFound('project', id, 'path.id');
      return json(200, shown(who, await getProject(who.tenantId, id, 'path.id')));
    },
    'DELETE /v1/projects/{id}': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'admin');
      await deleteProject(who.tenantId, pathParam(event, 'id'));
      return noContent();
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
