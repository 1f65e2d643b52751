import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { ImageRecord } from '../../core/images.js';
import { PUBLIC_PACKS } from '../../core/public-catalog.js';
import { keyContext, type Grant } from '../../core/roles.js';
import { claimNewImage } from '../../adapters/dynamodb/images-store.js';
import { getRaw, tenantPk } from '../../adapters/dynamodb/definitions.js';
import { projectSk } from '../../adapters/dynamodb/project-membership.js';
import { createProject } from '../../adapters/dynamodb/projects-store.js';
import { putPublicPack } from '../../adapters/dynamodb/registries-store.js';
import { handler as cloudAccounts } from '../../functions/api/cloudaccounts.js';
import { handler as images } from '../../functions/api/images.js';
import { handler as packs } from '../../functions/api/packs.js';
import { handler as profiles } from '../../functions/api/profiles.js';
import { handler as registries } from '../../functions/api/registries.js';
import { createTables } from '../../local/dynamodb-local.js';
import { lambdaContext } from '../../local/lambda-context.js';

/**
 * Profiles, cloud accounts, registries, packs and images inside one tenant's projects, through the
 * handlers themselves: another project's resource is not found, a role short of the route's is
 * refused, lists show the caller's projects and the shared resources, and creates and deletes
 * move their project's member count.
 */
const TENANT = `defs-${randomBytes(3).toString('hex')}`;
type Handler = (event: APIGatewayProxyEvent, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyResult>;
const handlers = { profiles, cloudaccounts: cloudAccounts, registries, packs, images } as unknown as Record<string, Handler>;

const tenantAdmin: Grant = { role: 'admin' };
const paymentsAdmin: Grant = { role: 'admin', projects: { payments: 'admin' } };
const paymentsEditor: Grant = { role: 'editor', projects: { payments: 'editor' } };
const paymentsViewer: Grant = { role: 'viewer', projects: { payments: 'viewer' } };
const webEditor: Grant = { role: 'editor', projects: { web: 'editor' } };

/** Call the handler of `resource` as API Gateway would, for a caller of TENANT holding `grant`. */
async function call(grant: Grant, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const [pathOnly, query] = path.split('?');
  const parts = pathOnly!.split('/').filter(Boolean);
  // /v1/<family>/<id>/<sub>/<subId>: the route templates these handlers serve.
  const names = ['', '', 'id', '', parts[3] === 'packs' ? 'packId' : 'revision'];
  const pathParameters: Record<string, string> = {};
  const resource = '/' + parts.map((p, i) => (names[i] ? ((pathParameters[names[i]!] = p), `{${names[i]}}`) : p)).join('/');
  const event = {
    httpMethod: method,
    resource,
    path: pathOnly,
    pathParameters,
    queryStringParameters: query ? Object.fromEntries(new URLSearchParams(query)) : null,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'test', authorizer: keyContext(TENANT, 'key-test', grant, false) },
  } as unknown as APIGatewayProxyEvent;
  const res = await handlers[parts[3] === 'packs' ? 'packs' : parts[1]!]!(event, lambdaContext('api'));
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
}

const base = ['pk-ubuntu-22-04', 'pk-kubernetes-1-30-14', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'].map((packId) => ({ registryId: 'public', packId }));
const members = async (projectId: string) => Number((await getRaw(tenantPk(TENANT), projectSk(projectId)))?.memberCount);

let paymentsRegistry: string;
let paymentsPack: string;

beforeAll(async () => {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamoEndpoint');
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', CLOUD_ACCOUNT_TYPES: 'aws,azure,local' });
  Object.assign(process.env, await createTables(inject('dynamoEndpoint'), `d${randomBytes(4).toString('hex')}-`));
  for (const pack of PUBLIC_PACKS) await putPublicPack(pack);
  for (const name of ['payments', 'web']) await createProject(TENANT, { id: name, name, createdAt: new Date().toISOString() });
  const registry = await call(paymentsEditor, 'POST', '/v1/registries', { name: 'payments-packs' });
  expect(registry.status, JSON.stringify(registry.body)).toBe(201);
  paymentsRegistry = registry.body.id;
  const pack = await call(paymentsEditor, 'POST', `/v1/registries/${paymentsRegistry}/packs`, { layer: 'addon', name: 'tools', version: '1.0.0' });
  expect(pack.status, JSON.stringify(pack.body)).toBe(201);
  paymentsPack = pack.body.id;
}, 60_000);

describe('definitions in projects', () => {
  it("keeps a project's registry and its packs to that project", async () => {
    expect((await call(paymentsViewer, 'GET', `/v1/registries/${paymentsRegistry}`)).body.projectId).toBe('payments');
    expect((await call(webEditor, 'GET', `/v1/registries/${paymentsRegistry}`)).status).toBe(404);
    expect((await call(webEditor, 'GET', `/v1/registries/${paymentsRegistry}/packs`)).status).toBe(404);
    expect((await call(webEditor, 'GET', `/v1/registries/${paymentsRegistry}/packs/${paymentsPack}`)).status).toBe(404);
    expect((await call(webEditor, 'POST', `/v1/registries/${paymentsRegistry}/packs`, { layer: 'addon', name: 'x', version: '1.0.0' })).status).toBe(404);
    expect((await call(paymentsViewer, 'POST', `/v1/registries/${paymentsRegistry}/packs`, { layer: 'addon', name: 'x', version: '1.0.0' })).status).toBe(403);
    // The public registry is everyone's to read and no one's to change.
    expect((await call(webEditor, 'GET', '/v1/registries/public/packs?layer=os')).status).toBe(200);
    expect((await call(paymentsAdmin, 'POST', '/v1/registries/public/packs', { layer: 'addon', name: 'x', version: '1.0.0' })).body.message).toMatch(/read-only/);
    const listed = async (grant: Grant) => ((await call(grant, 'GET', '/v1/registries')).body.items as { name: string }[]).map((r) => r.name).sort();
    expect(await listed(webEditor)).toEqual(['public']);
    expect(await listed(paymentsViewer)).toEqual(['payments-packs', 'public']);
    expect(await listed(tenantAdmin)).toEqual(['payments-packs', 'public']);
  });

  it("lets a profile use its own project's and shared packs only, and counts it in its project", async () => {
    const before = await members('payments');
    const layers = [...base, { registryId: paymentsRegistry, packId: paymentsPack }];
    const made = await call(paymentsEditor, 'POST', '/v1/profiles', { name: 'payments-base', layers });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.projectId).toBe('payments');
    expect(await members('payments')).toBe(before + 1);

    // Another project's registry is, to web, one that does not exist.
    const borrowed = await call(webEditor, 'POST', '/v1/profiles', { name: 'web-base', layers });
    expect(borrowed.status).toBe(400);
    expect(borrowed.body.details[0].path).toBe('layers[4].packId');
    // A tenant-wide admin sees it, but a web profile may not use it.
    const mixed = await call(tenantAdmin, 'POST', '/v1/profiles', { name: 'web-mixed', projectId: 'web', layers });
    expect(mixed.status).toBe(400);
    expect(mixed.body.details[0].path).toBe('layers[4].registryId');
    // Nor may a new revision of a shared profile.
    const shared = await call(tenantAdmin, 'POST', '/v1/profiles', { name: 'shared-base', layers: base });
    expect(shared.body.projectId).toBeUndefined();
    const revised = await call(tenantAdmin, 'PUT', `/v1/profiles/${shared.body.id}`, { version: 1, layers });
    expect(revised.body.details?.[0]?.path).toBe('layers[4].registryId');
    // Naming a project that does not exist.
    const nowhere = await call(tenantAdmin, 'POST', '/v1/profiles', { name: 'lost', projectId: 'nowhere', layers: base });
    expect([nowhere.status, nowhere.body.details[0].path]).toEqual([404, 'projectId']);

    const id = made.body.id as string;
    for (const path of [`/v1/profiles/${id}`, `/v1/profiles/${id}/revisions`, `/v1/profiles/${id}/revisions/1`, `/v1/profiles/${id}/diff?from=1&to=1`]) {
      expect((await call(webEditor, 'GET', path)).status, path).toBe(404);
      expect((await call(paymentsViewer, 'GET', path)).status, path).toBe(200);
    }
    expect((await call(webEditor, 'PUT', `/v1/profiles/${id}`, { version: 1, layers: base })).status).toBe(404);
    expect((await call(paymentsViewer, 'PUT', `/v1/profiles/${id}`, { version: 1, layers: base })).status).toBe(403);
    expect((await call(paymentsEditor, 'DELETE', `/v1/profiles/${shared.body.id}`)).status).toBe(403);
    const names = async (grant: Grant) => ((await call(grant, 'GET', '/v1/profiles')).body.items as { name: string }[]).map((p) => p.name).sort();
    expect(await names(webEditor)).toEqual(['shared-base']);
    expect(await names(paymentsViewer)).toEqual(['payments-base', 'shared-base']);
    expect(await names(tenantAdmin)).toEqual(['payments-base', 'shared-base']);

    expect((await call(webEditor, 'DELETE', `/v1/profiles/${id}`)).status).toBe(404);
    expect((await call(paymentsEditor, 'DELETE', `/v1/profiles/${id}`)).status).toBe(204);
    expect(await members('payments')).toBe(before);
  });

  it("gives cloud accounts to a project's admins, and their images to whoever sees the account", async () => {
    expect((await call(paymentsEditor, 'POST', '/v1/cloudaccounts', { name: 'payments-sim', spec: { type: 'local' } })).status).toBe(403);
    const before = await members('payments');
    const account = await call(paymentsAdmin, 'POST', '/v1/cloudaccounts', { name: 'payments-sim', spec: { type: 'local' } });
    expect(account.status, JSON.stringify(account.body)).toBe(201);
    expect(account.body.projectId).toBe('payments');
    expect(await members('payments')).toBe(before + 1);
    const id = account.body.id as string;
    expect((await call(webEditor, 'GET', `/v1/cloudaccounts/${id}`)).status).toBe(404);
    expect((await call(webEditor, 'POST', `/v1/cloudaccounts/${id}/validate`)).status).toBe(404);
    expect((await call(paymentsViewer, 'POST', `/v1/cloudaccounts/${id}/validate`)).status).toBe(403);
    expect((await call(paymentsEditor, 'POST', `/v1/cloudaccounts/${id}/validate`)).status).toBe(200);
    expect(((await call(webEditor, 'GET', '/v1/cloudaccounts')).body.items as unknown[]).length).toBe(0);

    const now = new Date().toISOString();
    const image: ImageRecord = {
      id: `img-${randomBytes(3).toString('hex')}`,
      tenantId: TENANT,
      signature: 'a'.repeat(64),
      cloud: 'local',
      cloudAccountId: id,
      region: 'local-1',
      name: 'payments-image',
      status: 'Failed',
      source: { registryId: 'public', packId: 'pk-ubuntu-22-04', packName: 'ubuntu', packVersion: '22.4.5', profileId: 'pf-x', profileRevision: 1 },
      contents: { roles: [], arch: 'amd64' },
      attempt: 1,
      requestedBy: 'cl-x',
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    expect(await claimNewImage(image)).toBe(true);
    const ids = async (grant: Grant) => ((await call(grant, 'GET', '/v1/images')).body.items as { id: string }[]).map((i) => i.id);
    expect(await ids(webEditor)).toEqual([]);
    expect(await ids(paymentsViewer)).toEqual([image.id]);
    expect(await ids(tenantAdmin)).toEqual([image.id]);
    expect((await call(webEditor, 'GET', `/v1/images/${image.id}`)).status).toBe(404);
    expect((await call(webEditor, 'DELETE', `/v1/images/${image.id}`)).status).toBe(404);
    expect((await call(paymentsViewer, 'GET', `/v1/images/${image.id}`)).status).toBe(200);
    expect((await call(paymentsViewer, 'DELETE', `/v1/images/${image.id}`)).status).toBe(403);
    expect((await call(paymentsEditor, 'DELETE', `/v1/images/${image.id}`)).status).toBe(204);

    expect((await call(paymentsEditor, 'DELETE', `/v1/cloudaccounts/${id}`)).status).toBe(403);
    expect((await call(paymentsAdmin, 'DELETE', `/v1/cloudaccounts/${id}`)).status).toBe(204);
    expect(await members('payments')).toBe(before);
  });
});
