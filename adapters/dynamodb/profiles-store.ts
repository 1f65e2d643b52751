import { conflict, notFound } from '../../core/errors.js';
import type { Profile, ProfileRevision } from '../../core/profiles.js';
import {
  deleteKey,
  deleteUnreferenced,
  entitySk,
  getItem,
  listAll,
  listPrefix,
  nameLock,
  nameSk,
  putItem,
  putNew,
  table,
  tenantPk,
  transact,
  type ListOptions,
  type Page,
} from './definitions.js';
import { noSuchProject, projectMembership } from './project-membership.js';

export const profileSk = (id: string) => entitySk('PROFILE', id);
const revisionSk = (id: string, rev: number) => `PROFREV#${id}#${String(rev).padStart(6, '0')}`;

/** A profile of a project joins it in the same transaction: the project must exist, and is not deleted while the profile is. */
export async function createProfile(tenantId: string, profile: Profile, first: ProfileRevision): Promise<void> {
  const pk = tenantPk(tenantId);
  const { projectId } = profile;
  await transact(
    [
      putNew({ pk, sk: profileSk(profile.id), kind: 'PROFILE', ...profile, clusterCount: 0 }),
      putNew({ pk, sk: revisionSk(profile.id, 1), kind: 'PROFREV', ...first }),
      nameLock(pk, 'PROFILE', profile.name, profile.id),
      ...(projectId ? [projectMembership(tenantId, projectId, 1)] : []),
    ],
    (i) => (i === 3 && projectId ? noSuchProject(projectId) : conflict(i === 2 ? `a profile named ${profile.name} already exists` : 'profile id collision; retry', 'name')),
  );
}

export async function getProfile(tenantId: string, id: string, path = 'id'): Promise<Profile> {
  const p = await getItem<Profile & { clusterCount?: number }>(tenantPk(tenantId), profileSk(id));
  if (!p) throw notFound('profile', id, path);
  return p;
}

export async function listProfiles(tenantId: string, opts: Pick<ListOptions, 'limit' | 'cursor' | 'projects'>): Promise<Page<Profile>> {
  return listPrefix<Profile>(tenantPk(tenantId), 'PROFILE#', opts);
}

export async function getRevision(tenantId: string, id: string, revision: number, path = 'revision'): Promise<ProfileRevision> {
  const rev = await getItem<ProfileRevision>(tenantPk(tenantId), revisionSk(id, revision));
  if (!rev) throw notFound('revision', `${id}@${revision}`, path);
  return rev;
}

export async function listRevisions(tenantId: string, id: string, opts: { limit?: number; cursor?: string }): Promise<Page<ProfileRevision>> {
  return listPrefix<ProfileRevision>(tenantPk(tenantId), `PROFREV#${id}#`, { ...opts, newestFirst: true });
}

/** Append a revision; the version condition makes concurrent edits of one profile a 409, not a lost write. */
export async function addRevision(
  tenantId: string,
  profile: Profile,
  expectedVersion: number,
  revision: ProfileRevision,
  description: string | undefined,
  updatedAt: string,
): Promise<void> {
  const pk = tenantPk(tenantId);
  await transact(
    [
      {
        Update: {
          TableName: table(),
          Key: { pk, sk: profileSk(profile.id) },
          // The description changes only when one is given.
          UpdateExpression: `SET latestRevision = :rev, latestHash = :hash, version = version + :one, updatedAt = :now${description === undefined ? '' : ', description = :desc'}`,
          ConditionExpression: 'attribute_exists(pk) AND version = :expected',
          ExpressionAttributeValues: {
            ':rev': revision.revision,
            ':hash': revision.contentHash ?? null,
            ':one': 1,
            ':now': updatedAt,
            ...(description === undefined ? {} : { ':desc': description }),
            ':expected': expectedVersion,
          },
        },
      },
      putNew({ pk, sk: revisionSk(profile.id, revision.revision), kind: 'PROFREV', ...revision }),
    ],
    () => conflict(`profile ${profile.id} changed since version ${expectedVersion}; read it again and retry`, 'version'),
  );
}

export async function deleteProfile(tenantId: string, profile: Profile): Promise<void> {
  const pk = tenantPk(tenantId);
  try {
    await transact(
      [
        deleteUnreferenced(pk, profileSk(profile.id), 'clusterCount'),
        deleteKey(pk, nameSk('PROFILE', profile.name)),
        ...(profile.projectId ? [projectMembership(tenantId, profile.projectId, -1)] : []),
      ],
      () => conflict(`profile ${profile.id} is used by clusters; delete or move them first`, 'id'),
    );
  } catch (err) {
    // Lost a race with another delete: it is gone, not in use.
    if (!(await getItem(pk, profileSk(profile.id)))) throw notFound('profile', profile.id);
    throw err;
  }
  // The revisions are unreachable now; remove them so the partition stays small.
  for (const rev of await listAll<ProfileRevision>(pk, `PROFREV#${profile.id}#`)) {
    await transact([deleteKey(pk, revisionSk(profile.id, rev.revision))]);
  }
}

/** Where the notification of one revision to its profile's clusters has got to (one writer: its execution). */
export interface NotifyProgress {
  readonly profileId: string;
  readonly revision: number;
  /** The first pass's time: every event of this notification carries it, so a repeated page writes the same ids. */
  readonly startedAt: string;
  readonly cursor?: string;
  readonly done: boolean;
  readonly notified: number;
  readonly withdrawn: number;
  readonly upToDate: number;
}

const notifySk = (profileId: string, revision: number) => `NOTIFY#${profileId}#${String(revision).padStart(6, '0')}`;
const NOTIFY_RETENTION_S = 30 * 86400;

export async function getNotifyProgress(tenantId: string, profileId: string, revision: number): Promise<NotifyProgress | undefined> {
  return getItem<NotifyProgress>(tenantPk(tenantId), notifySk(profileId, revision));
}

export async function saveNotifyProgress(tenantId: string, p: NotifyProgress): Promise<void> {
  await putItem({ pk: tenantPk(tenantId), sk: notifySk(p.profileId, p.revision), kind: 'NOTIFY', ...p, expiresAt: Math.floor(Date.parse(p.startedAt) / 1000) + NOTIFY_RETENTION_S });
}
