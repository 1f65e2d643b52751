import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Cluster } from '../../core/cluster-record.js';
import { DEFAULT_OS_PATCH } from '../../core/os-patch.js';
import { keyContext, type Grant } from '../../core/roles.js';
import { clusterSk, createCluster, finalizeDeleted, markDeleting } from '../../adapters/dynamodb/clusters-store.js';
import { putComplianceRun } from '../../adapters/dynamodb/compliance-store.js';
import { cloudAccountSk } from '../../adapters/dynamodb/cloud-accounts-store.js';
import { getRaw, putItem, tenantPk } from '../../adapters/dynamodb/definitions.js';
import { putEventsOnce } from '../../adapters/dynamodb/events-store.js';
import { profileSk } from '../../adapters/dynamodb/profiles-store.js';
import { projectSk } from '../../adapters/dynamodb/project-membership.js';
import { createProject } from '../../adapters/dynamodb/projects-store.js';
import { handler as clusters } from '../../functions/api/clusters.js';
import { handler as clusterStatus } from '../../functions/api/cluster-status.js';
import { handler as compliance } from '../../functions/api/compliance.js';
import { handler as logs } from '../../functions/api/logs.js';
import { handler as updates } from '../../functions/api/updates.js';
import { createTables } from '../../local/dynamodb-local.js';
import { lambdaContext } from '../../local/lambda-context.js';

/**
 * Clusters inside one tenant's projects, through the handlers themselves: another project's
 * cluster is not found, a role short of the route's is refused, and the tenant-wide lists (clusters,
 * a profile's clusters, the event stream and its follow, the compliance view) show a project caller
 * the clusters it sees only. Creates and deletes move the project's member count.
 */
const TENANT = `clus-${randomBytes(3).toString('hex')}`;
type Handler = (event: APIGatewayProxyEvent, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyResult>;

const tenantAdmin: Grant = { role: 'admin' };
const paymentsEditor: Grant = { role: 'editor', projects: { payments: 'editor' } };
const paymentsViewer: Grant = { role: 'viewer', projects: { payments: 'viewer' } };
const webEditor: Grant = { role: 'editor', projects: { web: 'editor' } };

/** Call `handler` as API Gateway would, for a caller of TENANT holding `grant`; `resource` names the route. */
async function call(handler: unknown, grant: Grant, method: string, resource: string, params: Record<string, string> = {}, query?: Record<string, string>): Promise<{ status: number; body: any }> {
  const event = {
    httpMethod: method,
    resource,
    path: resource.replace(/\{(\w+)\}/g, (_, k: string) => params[k]!),
    pathParameters: params,
    queryStringParameters: query ?? null,
    headers: {},
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'test', authorizer: keyContext(TENANT, 'key-test', grant, false) },
  } as unknown as APIGatewayProxyEvent;
  const res = await (handler as Handler)(event, lambdaContext('api'));
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
}

const members = async (projectId: string) => Number((await getRaw(tenantPk(TENANT), projectSk(projectId)))?.memberCount ?? 0);
const now = new Date().toISOString();

function cluster(name: string, projectId?: string): Cluster {
  return {
    id: `cl-${name}-${randomBytes(3).toString('hex')}`,
    name,
    ...(projectId ? { projectId } : {}),
    profileId: 'pr-shared',
    profileRevision: 1,
    cloudAccountId: 'ca-shared',
    cloud: 'aws',
    region: 'us-east-1',
    nodePools: [{ name: 'cp', role: 'controlPlane', count: 1, instanceType: 'm6i.large', zones: ['us-east-1a'], diskGiB: 50 }],
    overrides: {},
    osPatch: DEFAULT_OS_PATCH,
    apiAccess: { public: true },
    phase: 'Running',
    generation: 1,
    version: 1,
    createdAt: now,
    updatedAt: now,
  } as Cluster;
}

const payments = cluster('payments-a', 'payments');
const web = cluster('web-a', 'web');
const shared = cluster('shared-a');

beforeAll(async () => {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamoEndpoint');
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
  Object.assign(process.env, await createTables(inject('dynamoEndpoint'), `c${randomBytes(4).toString('hex')}-`));
  for (const name of ['payments', 'web']) await createProject(TENANT, { id: name, name, createdAt: now });
  // A shared profile and cloud account: every project's clusters may use them.
  await putItem({ pk: tenantPk(TENANT), sk: profileSk('pr-shared'), kind: 'PROFILE', id: 'pr-shared', name: 'shared', latestRevision: 2, createdAt: now, updatedAt: now });
  await putItem({ pk: tenantPk(TENANT), sk: cloudAccountSk('ca-shared'), kind: 'CLOUDACCOUNT', id: 'ca-shared', name: 'shared', createdAt: now });
  for (const c of [payments, web, shared]) await createCluster(TENANT, c);
  // Events of each cluster on the tenant's stream, settled (older than a follow holds back); web's the newest.
  const at = (s: number) => new Date(Date.now() - s * 1000).toISOString();
  await putEventsOnce(
    [web, payments, shared].flatMap((c, i) =>
      [30, 20].map((s) => ({ id: `${at(s + i)}#${c.name}`, clusterId: c.id, clusterName: c.name, tenantId: TENANT, type: 'Normal' as const, reason: 'Tested', message: c.name, at: at(s + i), count: 1, firstSeen: at(s + i), lastSeen: at(s + i) })),
    ),
  );
  for (const c of [payments, web]) {
    const run = { id: `run-${c.name}`, clusterId: c.id, scanId: 'scan-1', node: 'cp-0', trigger: 'schedule' as const, at: now, totals: { pass: 1, fail: 0, warn: 0, info: 0 }, targets: [], form: 'generic', reportKey: 'k', reportBytes: 1, failing: [], failingTruncated: false };
    await putComplianceRun(TENANT, c.name, run as never);
  }
}, 60_000);

describe('clusters in projects', () => {
  it("counts a cluster in its project, refuses a project that does not exist, and lets it go when it is deleted", async () => {
    expect(await members('payments')).toBe(1);
    await expect(createCluster(TENANT, cluster('lost', 'nowhere'))).rejects.toMatchObject({ status: 404, details: [{ path: 'projectId' }] });
    const gone = cluster('gone', 'web');
    await createCluster(TENANT, gone);
    expect(await members('web')).toBe(2);
    await markDeleting(TENANT, gone.id);
    await finalizeDeleted(TENANT, { ...gone, phase: 'Deleting' });
    expect(await members('web')).toBe(1);
    expect((await getRaw(tenantPk(TENANT), clusterSk(gone.id)))?.phase).toBe('Deleted');
  });

  it("answers another project's cluster as one that does not exist, and a role short of the route's with 403", async () => {
    expect((await call(clusters, paymentsViewer, 'GET', '/v1/clusters/{id}', { id: payments.id })).body.projectId).toBe('payments');
    expect((await call(clusters, paymentsViewer, 'GET', '/v1/clusters/{id}', { id: shared.id })).status).toBe(200);
    expect((await call(clusters, webEditor, 'GET', '/v1/clusters/{id}', { id: payments.id })).status).toBe(404);
    expect((await call(clusterStatus, webEditor, 'GET', '/v1/clusters/{id}/events', { id: payments.id })).status).toBe(404);
    expect((await call(clusterStatus, webEditor, 'GET', '/v1/events', {}, { cluster: payments.id })).body.details[0].path).toBe('query.cluster');
    expect((await call(updates, webEditor, 'GET', '/v1/clusters/{id}/revisions', { id: payments.id })).status).toBe(404);
    expect((await call(compliance, webEditor, 'GET', '/v1/clusters/{id}/compliance', { id: payments.id })).status).toBe(404);
    // Logs need an editor of the cluster's project: a viewer is refused, a web editor does not see it.
    expect((await call(logs, paymentsViewer, 'GET', '/v1/clusters/{id}/logs', { id: payments.id })).status).toBe(403);
    expect((await call(logs, paymentsEditor, 'GET', '/v1/clusters/{id}/logs', { id: payments.id })).status).toBe(200);
    expect((await call(logs, webEditor, 'GET', '/v1/clusters/{id}/logs', { id: payments.id })).status).toBe(404);
    // A shared cluster is changed by tenant-wide roles only.
    expect((await call(logs, paymentsEditor, 'GET', '/v1/clusters/{id}/logs', { id: shared.id })).status).toBe(403);
    expect((await call(clusters, paymentsEditor, 'DELETE', '/v1/clusters/{id}', { id: shared.id })).status).toBe(403);
  });

  it("lists a project caller's clusters and the shared ones only, wherever the tenant's clusters are listed", async () => {
    const names = (items: { name?: string; clusterName?: string }[]) => [...new Set(items.map((i) => i.name ?? i.clusterName))].sort();
    expect(names((await call(clusters, paymentsViewer, 'GET', '/v1/clusters')).body.items)).toEqual(['payments-a', 'shared-a']);
    expect(names((await call(clusters, tenantAdmin, 'GET', '/v1/clusters')).body.items)).toEqual(['payments-a', 'shared-a', 'web-a']);

    const ofProfile = (await call(updates, webEditor, 'GET', '/v1/profiles/{id}/clusters', { id: 'pr-shared' })).body.items;
    expect(names(ofProfile)).toEqual(['shared-a', 'web-a']);
    expect(ofProfile.find((c: { name: string }) => c.name === 'web-a').projectId).toBe('web');

    const events = (grant: Grant) => call(clusterStatus, grant, 'GET', '/v1/events', {}, { limit: '2' });
    // A page of two is filled from the caller's clusters, however many events of others lie between.
    expect(names((await events(webEditor)).body.items)).toEqual(['shared-a', 'web-a']);
    expect((await events(webEditor)).body.items).toHaveLength(2);
    expect((await call(clusterStatus, tenantAdmin, 'GET', '/v1/events')).body.items).toHaveLength(6);

    const followed = (await call(clusterStatus, paymentsViewer, 'GET', '/v1/events/follow', {}, { after: '2000-01-01T00:00:00.000Z#', waitSeconds: '0' })).body;
    expect(names(followed.items)).toEqual(['payments-a', 'shared-a']);
    // The position is past every event read, the others' included: a follower is never held by them.
    expect(followed.after).toMatch(/#web-a$/);
    expect((await call(clusterStatus, paymentsViewer, 'GET', '/v1/events/follow', {}, { after: followed.after, waitSeconds: '0' })).body.items).toEqual([]);

    expect(names((await call(compliance, paymentsViewer, 'GET', '/v1/compliance')).body.items)).toEqual(['payments-a']);
    expect(names((await call(compliance, tenantAdmin, 'GET', '/v1/compliance')).body.items)).toEqual(['payments-a', 'web-a']);
  });
});
