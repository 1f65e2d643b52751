import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Cluster } from '../../../../core/clusters.js';
import { CONDITION_TYPES, READY, typeOf, type Condition } from '../../../../core/conditions.js';
import { documentClient } from '../../../../adapters/dynamodb/client.js';
import { cloudAccountSk } from '../../../../adapters/dynamodb/cloud-accounts-store.js';
import { clusterSk, createCluster, finalizeDeleted, getCluster, markDeleting } from '../../../../adapters/dynamodb/clusters-store.js';
import { applyConditions, listConditions } from '../../../../adapters/dynamodb/conditions-store.js';
import { table, tenantPk } from '../../../../adapters/dynamodb/definitions.js';
import { profileSk } from '../../../../adapters/dynamodb/profiles-store.js';
import { createTables } from '../../../../local/dynamodb-local.js';

const TENANT = 'summary-tenant';
const summarised = (c: Condition) => c.type === READY || CONDITION_TYPES[typeOf(c.type)!].group === 'health';

function clusterRecord(id: string): Cluster {
  const now = new Date().toISOString();
  return {
    id,
    name: id,
    profileId: 'p1',
    profileRevision: 1,
    cloudAccountId: 'a1',
    cloud: 'local',
    region: 'local-1',
    nodePools: [{ name: 'cp', role: 'controlPlane', count: 1, instanceType: 'sim.small', zones: ['local-1a'], diskGiB: 50 }],
    overrides: {},
    osPatch: { frequency: 'none' } as Cluster['osPatch'],
    apiAccess: { public: false, allowedCidrs: [] },
    phase: 'Pending',
    generation: 1,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}

/** The summary the cluster item holds must be, entry for entry, what the summarised rows say. */
async function expectSummaryMatchesRows(clusterId: string): Promise<Cluster['conditionSummary']> {
  const [cluster, rows] = await Promise.all([getCluster(TENANT, clusterId, { consistent: true }), listConditions(clusterId)]);
  const fromRows = Object.fromEntries(rows.filter(summarised).map((c) => [c.type, { status: c.status, reason: c.reason, message: c.message }]));
  expect(cluster.conditionSummary).toEqual(fromRows);
  return cluster.conditionSummary;
}

describe('the condition summary on the cluster item', () => {
  beforeAll(async () => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamoEndpoint');
    Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
    Object.assign(process.env, await createTables(inject('dynamoEndpoint'), `s${randomBytes(4).toString('hex')}-`));
    const db = documentClient();
    for (const sk of [profileSk('p1'), cloudAccountSk('a1')]) await db.send(new PutCommand({ TableName: table(), Item: { pk: tenantPk(TENANT), sk } }));
  });

  it('starts empty and follows every write of Ready and the health checks, and only those', async () => {
    await createCluster(TENANT, clusterRecord('cl-a'));
    expect((await getCluster(TENANT, 'cl-a', { consistent: true })).conditionSummary).toEqual({});

    await applyConditions('cl-a', 1, [{ type: 'InfrastructureCreated', status: 'Unknown', reason: 'NotStarted', message: 'waiting' }]);
    expect(await expectSummaryMatchesRows('cl-a')).toEqual({ Ready: { status: 'Unknown', reason: 'InProgress', message: 'waiting for InfrastructureCreated' } });

    await applyConditions('cl-a', 1, [
      { type: 'InfrastructureCreated', status: 'True', reason: 'Created', message: 'done' },
      { type: 'HeartbeatHealthy', status: 'False', reason: 'HeartbeatMissing', message: 'no heartbeat for 200 s' },
      { type: 'NodeRepair/workers', status: 'False', reason: 'RepairHeld', message: 'too many unhealthy' },
    ]);
    const summary = await expectSummaryMatchesRows('cl-a');
    expect(summary?.Ready?.status).toBe('True');
    expect(summary?.HeartbeatHealthy).toEqual({ status: 'False', reason: 'HeartbeatMissing', message: 'no heartbeat for 200 s' });
    expect(summary).not.toHaveProperty('InfrastructureCreated');

    // A removed condition leaves the summary with its row.
    await applyConditions('cl-a', 1, [], ['NodeRepair/workers']);
    expect(await expectSummaryMatchesRows('cl-a')).not.toHaveProperty(['NodeRepair/workers']);
  });

  it('keeps both of two writers of different checks at once', async () => {
    await createCluster(TENANT, clusterRecord('cl-b'));
    await Promise.all([
      applyConditions('cl-b', 1, [{ type: 'HeartbeatHealthy', status: 'True', reason: 'HeartbeatReceived', message: 'last heartbeat 3 s ago' }]),
      applyConditions('cl-b', 1, [{ type: 'NodesHealthy', status: 'False', reason: 'NodeProblems', message: 'n1: Ready is False' }]),
    ]);
    const summary = await expectSummaryMatchesRows('cl-b');
    expect(Object.keys(summary ?? {}).sort()).toEqual(['HeartbeatHealthy', 'NodesHealthy', 'Ready']);
  });

  it('is not made for a cluster written before summaries, whose view reads the rows', async () => {
    const legacy = clusterRecord('cl-old');
    await documentClient().send(new PutCommand({ TableName: table(), Item: { pk: tenantPk(TENANT), sk: clusterSk(legacy.id), kind: 'CLUSTER', ...legacy } }));
    await applyConditions('cl-old', 1, [{ type: 'HeartbeatHealthy', status: 'True', reason: 'HeartbeatReceived', message: 'ok' }]);
    const item = (await documentClient().send(new GetCommand({ TableName: table(), Key: { pk: tenantPk(TENANT), sk: clusterSk(legacy.id) }, ConsistentRead: true }))).Item;
    expect(item).not.toHaveProperty('conditionSummary');
    expect((await listConditions('cl-old')).map((c) => c.type).sort()).toEqual(['HeartbeatHealthy', 'Ready']);
  });

  it('stays off what the API shows of a cluster', async () => {
    const { publicCluster } = await import('../../../../core/clusters.js');
    expect(publicCluster(await getCluster(TENANT, 'cl-a', { consistent: true }))).not.toHaveProperty('conditionSummary');
  });
});

describe('the tenant reference of a cluster', () => {
  it('expires with the deleted cluster’s record', async () => {
    await createCluster(TENANT, clusterRecord('cl-gone'));
    const ref = async () => (await documentClient().send(new GetCommand({ TableName: table(), Key: { pk: 'CLUSTER#cl-gone', sk: 'TENANT' }, ConsistentRead: true }))).Item;
    expect((await ref())?.expiresAt).toBeUndefined();
    await markDeleting(TENANT, 'cl-gone');
    await finalizeDeleted(TENANT, await getCluster(TENANT, 'cl-gone', { consistent: true }));
    const record = (await documentClient().send(new GetCommand({ TableName: table(), Key: { pk: tenantPk(TENANT), sk: clusterSk('cl-gone') }, ConsistentRead: true }))).Item;
    expect(record?.expiresAt).toEqual(expect.any(Number));
    expect((await ref())?.expiresAt).toBe(record?.expiresAt);
  });
});
