import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { z } from 'zod';
import { newId } from '../../core/ids.js';
import type { Pack } from '../../core/packs.js';
import { diffLayers } from '../../core/profile-diff.js';
import { CreateProfileInput, UpdateProfileInput, resolveLayers, revisionHash, type Profile, type ProfileRevision } from '../../core/profiles.js';
import { canSee, projectForNew, requireUsable } from '../../core/projects.js';
import type { Registry } from '../../core/registries.js';
import type { Principal } from '../../core/roles.js';
import { addRevision, createProfile, deleteProfile, getRevision, listProfiles, listRevisions } from '../../adapters/dynamodb/profiles-store.js';
import { findRegistry, getPack } from '../../adapters/dynamodb/registries-store.js';
import { listedFor, profileFor } from '../commons/access.js';
import { workflows } from '../commons/workflows.js';
import { httpApi, json, noContent, parseBody, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { DiffQuery, ListQuery } from './queries.js';
import { validate } from '../commons/validation.js';
import { clock } from '../../core/clock.js';

const Revision = z.coerce.number().int().positive();


/**
 * Look every layer's pack up (the registries the caller sees and the public one), then apply the
 * profile rules. A registry the caller may not see holds no pack for it, as one that does not exist;
 * one it sees must be usable by the profile's project (`owner`): shared, or of that project.
 */
async function resolve(who: Principal, owner: string | undefined, layers: CreateProfileInput['layers']) {
  const registryIds = [...new Set(layers.map((l) => l.registryId))];
  const found = await Promise.all(registryIds.map((id) => findRegistry(who.tenantId, id)));
  const visible = new Map<string, Registry>();
  registryIds.forEach((id, i) => found[i] && canSee(who, found[i]) && visible.set(id, found[i]));
  layers.forEach((l, i) => {
    const registry = visible.get(l.registryId);
    if (registry) requireUsable(owner, registry, 'registry', l.registryId, `layers[${i}].registryId`);
  });
  const packs = await Promise.all(layers.map((l) => (visible.has(l.registryId) ? getPack(who.tenantId, l.registryId, l.packId) : undefined)));
  const byRef = new Map<string, Pack>();
  layers.forEach((l, i) => packs[i] && byRef.set(`${l.registryId}/${l.packId}`, packs[i]));
  return resolveLayers(layers, (registryId, packId) => byRef.get(`${registryId}/${packId}`));
}

/** Profiles are ordered layers of packs; every change is a new immutable revision. */
export const handler = middy(
  router({
    'GET /v1/profiles': async (event) => {
      const who = principalOf(event);
      return json(200, await listProfiles(who.tenantId, { ...parseQuery(event, ListQuery), ...listedFor(who) }));
    },
    'POST /v1/profiles': async (event) => {
      const who = principalOf(event);
      const input = parseBody(event, CreateProfileInput);
      const projectId = projectForNew(who, input.projectId);
      const layers = await resolve(who, projectId, input.layers);
      const now = clock.date().toISOString();
      const contentHash = revisionHash(layers);
      const profile: Profile = {
        id: newId('pf'),
        name: input.name,
        ...(projectId ? { projectId } : {}),
        description: input.description,
        latestRevision: 1,
        latestHash: contentHash,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      const revision: ProfileRevision = { profileId: profile.id, revision: 1, layers, createdAt: now, contentHash };
      await createProfile(who.tenantId, profile, revision);
      return json(201, { ...profile, layers });
    },
    'GET /v1/profiles/{id}': async (event) => {
      const who = principalOf(event);
      const profile = await profileFor(who, pathParam(event, 'id'), 'viewer');
      const latest = await getRevision(who.tenantId, profile.id, profile.latestRevision);
      return json(200, { ...profile, layers: latest.layers });
    },
    'PUT /v1/profiles/{id}': async (event) => {
      const who = principalOf(event);
      const profile = await profileFor(who, pathParam(event, 'id'), 'editor');
      const input = parseBody(event, UpdateProfileInput);
      const layers = await resolve(who, profile.projectId, input.layers);
      const now = clock.date().toISOString();
      const contentHash = revisionHash(layers);
      const revision: ProfileRevision = { profileId: profile.id, revision: profile.latestRevision + 1, layers, createdAt: now, contentHash };
      await addRevision(who.tenantId, profile, input.version, revision, input.description, now);
      // Every cluster on the profile hears of it, asynchronously: a profile may have thousands.
      const { notifyExecutionName, startWorkflow } = await workflows();
      await startWorkflow('notify', notifyExecutionName(profile.id, revision.revision), { tenantId: who.tenantId, profileId: profile.id, revision: revision.revision });
      return json(200, { ...profile, description: input.description ?? profile.description, latestRevision: revision.revision, latestHash: contentHash, version: profile.version + 1, updatedAt: now, layers });
    },
    'DELETE /v1/profiles/{id}': async (event) => {
      const who = principalOf(event);
      await deleteProfile(who.tenantId, await profileFor(who, pathParam(event, 'id'), 'editor'));
      return noContent();
    },
    'GET /v1/profiles/{id}/revisions': async (event) => {
      const who = principalOf(event);
      const profile = await profileFor(who, pathParam(event, 'id'), 'viewer');
      return json(200, await listRevisions(who.tenantId, profile.id, parseQuery(event, ListQuery)));
    },
    'GET /v1/profiles/{id}/revisions/{revision}': async (event) => {
      const who = principalOf(event);
      const profile = await profileFor(who, pathParam(event, 'id'), 'viewer');
      const rev = validate(Revision, pathParam(event, 'revision'), 'path.revision');
      return json(200, await getRevision(who.tenantId, profile.id, rev, 'path.revision'));
    },
    'GET /v1/profiles/{id}/diff': async (event) => {
      const who = principalOf(event);
      const profile = await profileFor(who, pathParam(event, 'id'), 'viewer');
      const { from, to } = parseQuery(event, DiffQuery);
      const [a, b] = await Promise.all([getRevision(who.tenantId, profile.id, from, 'query.from'), getRevision(who.tenantId, profile.id, to, 'query.to')]);
      return json(200, { profileId: profile.id, from, to, changes: diffLayers(a.layers, b.layers) });
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
