import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { conflict, notFound } from '../../core/errors.js';
import { DEFAULT_PROJECT_ID, type Project } from '../../core/projects.js';
import { clock } from '../../core/clock.js';
import { documentClient } from './client.js';
import { isConditionFailed } from './errors.js';
import { deleteUnreferenced, getItem, getRaw, listAll, putNew, table, tenantPk, transact, type TransactItem } from './definitions.js';
import { MEMBER_COUNT, projectMembership, projectSk } from './project-membership.js';

const projectItem = (tenantId: string, p: Project) => putNew({ pk: tenantPk(tenantId), sk: projectSk(p.id), kind: 'PROJECT', ...p, [MEMBER_COUNT]: 0 });

export async function createProject(tenantId: string, project: Project): Promise<void> {
  await transact([projectItem(tenantId, project)], () => conflict(`a project named ${project.name} already exists`, 'name'));
}

export async function getProject(tenantId: string, id: string, path = 'id'): Promise<Project> {
  const p = await getItem<Project & { memberCount?: number }>(tenantPk(tenantId), projectSk(id));
  if (!p) throw notFound('project', id, path);
  return publicProject(p);
}

export async function listProjects(tenantId: string): Promise<Project[]> {
  return (await listAll<Project & { memberCount?: number }>(tenantPk(tenantId), 'PROJECT#')).map(publicProject);
}

/** A project as the API shows it, with how many things belong to it. */
function publicProject({ memberCount, ...p }: Project & { memberCount?: number }): Project & { memberCount: number } {
  return { ...p, memberCount: memberCount ?? 0 };
}

/** Delete an empty project; one that still holds something is a 409 saying so. */
export async function deleteProject(tenantId: string, id: string): Promise<void> {
  const pk = tenantPk(tenantId);
  try {
    await transact([deleteUnreferenced(pk, projectSk(id), MEMBER_COUNT)], () => new Error('held'));
  } catch (err) {
    const item = await getRaw(pk, projectSk(id));
    if (!item) throw notFound('project', id);
    if ((err as Error).message === 'held') {
      const n = Number(item[MEMBER_COUNT]);
      throw conflict(`project ${id} still holds ${n} ${n === 1 ? 'member' : 'members'} (clusters, profiles, cloud accounts, registries, API keys); delete or revoke them first`, 'id');
    }
    throw err;
  }
}

/** The project every tenant has (core/projects.ts DEFAULT_PROJECT_ID). */
const defaultProject = (createdAt: string): Project => ({ id: DEFAULT_PROJECT_ID, name: DEFAULT_PROJECT_ID, description: 'The project every tenant starts with', createdAt });

/** The item a tenant made with projects carries: the move of older resources (below) is done or never needed. */
const movedMarker = (tenantId: string) => ({ pk: tenantPk(tenantId), sk: 'PROJECTS#MOVED' });

/** The items a new tenant starts with: its default project, and the marker that nothing needs moving. */
export function newTenantProjectItems(tenantId: string, now: string): TransactItem[] {
  return [
    projectItem(tenantId, defaultProject(now)),
    putNew({ ...movedMarker(tenantId), kind: 'MARKER', at: now }),
  ];
}

/** The kinds that belong to projects (API keys made before projects stay tenant-wide, as they were issued). */
const OWNED_KINDS = ['CLUSTER', 'PROFILE', 'CLOUDACCOUNT', 'REGISTRY'] as const;

/**
 * Move a tenant's clusters, profiles, cloud accounts and registries made before projects into its
 * default project, without loss: idempotent (each move is conditioned on the resource having no
 * project yet, and joins the project in the same transaction), and recorded by a marker so that
 * later starts skip it. Deleted clusters stay where they are: nothing will ever leave for them.
 */
export async function moveIntoDefaultProject(tenantId: string): Promise<{ moved: number }> {
  const pk = tenantPk(tenantId);
  const marker = movedMarker(tenantId);
  if (await getRaw(marker.pk, marker.sk)) return { moved: 0 };
  const now = clock.date().toISOString();
  await transact([projectItem(tenantId, defaultProject(now))], () => new Error('exists')).catch(
    (err: Error) => {
      if (err.message !== 'exists') throw err;
    },
  );
  let moved = 0;
  for (const kind of OWNED_KINDS) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documentClient().send(
        new QueryCommand({
          TableName: table(),
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: 'kind = :kind AND attribute_not_exists(projectId) AND (attribute_not_exists(phase) OR phase <> :deleted)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': `${kind}#`, ':kind': kind, ':deleted': 'Deleted' },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const move: TransactItem = {
          Update: {
            TableName: table(),
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: 'SET projectId = :p',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(projectId)',
            ExpressionAttributeValues: { ':p': DEFAULT_PROJECT_ID },
          },
        };
        try {
          await transact([move, projectMembership(tenantId, DEFAULT_PROJECT_ID, 1)], () => new Error('skip'));
          moved++;
        } catch (err) {
          // Moved meanwhile by another run, or deleted: nothing to do.
          if ((err as Error).message !== 'skip' && !isConditionFailed(err)) throw err;
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }
  await transact([putNew({ ...marker, kind: 'MARKER', at: now })], () => new Error('marked')).catch((err: Error) => {
    if (err.message !== 'marked') throw err;
  });
  return { moved };
}
