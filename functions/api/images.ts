import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Cluster } from '../../core/clusters.js';
import { CloudError } from '../../core/cloud.js';
import type { CloudAccount } from '../../core/cloud-accounts.js';
import { DomainError, conflict, notFound } from '../../core/errors.js';
import type { ImageRecord } from '../../core/images.js';
import { canSee, requireAccess } from '../../core/projects.js';
import type { Principal, Role } from '../../core/roles.js';
import { listedFor } from '../commons/access.js';
import { providerFor } from '../commons/cloud-provider.js';
import { findCloudAccount, getCloudAccount, listAllCloudAccounts } from '../../adapters/dynamodb/cloud-accounts-store.js';
import { listClusters } from '../../adapters/dynamodb/clusters-store.js';
import { forgetImage, listImages, markDeleting, requireImage, updateImage } from '../../adapters/dynamodb/images-store.js';
import { httpApi, json, noContent, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { ImageQuery } from './queries.js';

/** An image as the API shows it: the bake's recipe (role vars may be private) stays inside. */
function publicImage(image: ImageRecord) {
  const { tenantId: _t, recipe: _r, execution: _e, ...rest } = image;
  return rest;
}

/**
 * Clusters (not deleted) whose nodes run the image (its cloud account, region and cloud id), and the
 * one that asked for it while it has not taken it up yet (its image step looks again shortly).
 */
async function clustersUsing(tenantId: string, image: ImageRecord): Promise<Cluster[]> {
  const out: Cluster[] = [];
  let cursor: string | undefined;
  const runs = (c: Cluster) => c.cloudAccountId === image.cloudAccountId && c.region === image.region && image.imageId !== undefined && c.status?.imageId === image.imageId;
  const waits = (c: Cluster) => c.id === image.requestedBy && c.phase !== 'Deleting' && image.status === 'Available' && c.status?.imageRef !== `sha256:${image.signature}`;
  do {
    const page = await listClusters(tenantId, { limit: 100, cursor });
    out.push(...page.items.filter((c) => c.phase !== 'Deleted' && (runs(c) || waits(c))));
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/**
 * An image belongs where its cloud account does: seen by who sees the account, changed with the role
 * the change needs there. An image whose account is gone is the tenant's: tenant-wide callers only.
 */
async function imageFor(who: Principal, id: string, needed: Role): Promise<{ image: ImageRecord; account?: CloudAccount }> {
  const image = await requireImage(who.tenantId, id);
  const account = await findCloudAccount(who.tenantId, image.cloudAccountId);
  if (!account && who.projects) throw notFound('image', id);
  requireAccess(who, account ?? {}, needed, 'image', id);
  return { image, account };
}

/** The cloud accounts whose images a caller with roles in projects sees; undefined: all of them. */
async function visibleAccounts(who: Principal): Promise<ReadonlySet<string> | undefined> {
  if (!who.projects) return undefined;
  return new Set((await listAllCloudAccounts(who.tenantId, listedFor(who))).map((a) => a.id));
}

/** Node images Strata baked or copied for the tenant's clusters. */
export const handler = middy(
  router({
    'GET /v1/images': async (event) => {
      const who = principalOf(event);
      const { limit, cursor, ...filter } = parseQuery(event, ImageQuery);
      const [page, accounts] = await Promise.all([listImages(who.tenantId, filter, { limit, cursor }), visibleAccounts(who)]);
      // Filtered after the read: a project caller's page may hold fewer items than `limit`, its cursor still goes on.
      const items = accounts ? page.items.filter((i) => accounts.has(i.cloudAccountId)) : page.items;
      return json(200, { ...page, items: items.map(publicImage) });
    },
    'GET /v1/images/{id}': async (event) => {
      const who = principalOf(event);
      const { image } = await imageFor(who, pathParam(event, 'id'), 'viewer');
      // A shared account's image may run clusters of other projects: the caller hears of its own only.
      const usedBy = (await clustersUsing(who.tenantId, image)).filter((c) => canSee(who, c)).map((c) => ({ clusterId: c.id, name: c.name, phase: c.phase }));
      return json(200, { ...publicImage(image), usedBy });
    },
    'DELETE /v1/images/{id}': async (event) => {
      const who = principalOf(event);
      const { image, account: known } = await imageFor(who, pathParam(event, 'id'), 'editor');
      if (image.status === 'Pending' || image.status === 'Baking' || image.status === 'Copying') {
        throw conflict(`image ${image.id} is being ${image.status === 'Copying' ? 'copied' : 'baked'} (attempt ${image.attempt}); delete it once that ends`);
      }
      const users = await clustersUsing(who.tenantId, image);
      if (users.length) throw conflict(`image ${image.id} is used by cluster${users.length > 1 ? 's' : ''} ${users.map((c) => `${c.name} (${c.id})`).join(', ')}; move them to another OS pack or delete them first`);
      // Marked first, under a condition on the version read: a cluster that claims the image meanwhile wins, and this answers 409.
      const deleting = image.status === 'Deleting' ? image : await markDeleting(image);
      if (!deleting) throw conflict(`image ${image.id} changed meanwhile (a cluster may have started to use it); read it again`);
      if (image.imageId) {
        try {
          const account = known ?? (await getCloudAccount(who.tenantId, image.cloudAccountId));
          await (await providerFor(account, { tenantId: who.tenantId, region: image.region })).deleteImage(image.imageId);
        } catch (err) {
          if (!(err instanceof CloudError)) throw err;
          // The image stays as it was (clusters may use it again); the cloud's own words say why.
          await updateImage(deleting, { status: image.status === 'Deleting' ? 'Available' : image.status });
          throw new DomainError(502, 'CloudError', `the cloud refused to delete image ${image.imageId}: ${err.code}: ${err.message}`, [{ path: 'id', message: err.message }]);
        }
      }
      await forgetImage(image);
      return noContent();
    },
  }),
)
  .use(httpApi())
  .use(injectLambdaContext(logger, { resetKeys: true }));
