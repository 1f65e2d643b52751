import { randomBytes } from 'node:crypto';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type Moto } from '../moto.js';
import { startApi, type Api } from './harness.js';

let api: Api;
let moto: Moto;
let other: string; // an admin key of a second tenant
beforeAll(async () => {
  moto = await startMoto();
  // The AWS path runs against moto, a real EC2 and STS emulator.
  process.env.AWS_ENDPOINT_URL_STS = moto.endpoint;
  process.env.AWS_ENDPOINT_URL_EC2 = moto.endpoint;
  api = await startApi();
  other = (await api.call('POST', '/v1/tenants', { body: { name: 'acme' } })).body.apiKey.key;
  expect(other).toMatch(/.{20,}/);
});
afterAll(async () => {
  await api?.stop();
  await moto?.stop();
});

const ROLE = 'arn:aws:iam::123456789012:role/strata';
const azure = (extra: Record<string, unknown>) => ({
  type: 'azure',
  tenantId: '8f6a0c1e-3c2b-4d1a-9b7e-0a1b2c3d4e5f',
  clientId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  subscriptionId: '2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a',
  ...extra,
});

describe('AWS cloud accounts', () => {
  it('get an ExternalId Strata generates, with the trust policy to paste', async () => {
    const res = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'prod', spec: { type: 'aws', roleArn: ROLE } } });
    expect(res.status).toBe(201);
    const externalId: string = res.body.spec.externalId;
    expect(externalId.length).toBeGreaterThanOrEqual(32);
    expect(res.body.trustPolicy.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Principal: { AWS: expect.stringMatching(/^arn:aws:iam::\d{12}:root$/) },
      Condition: { StringEquals: { 'sts:ExternalId': externalId } },
    });
    const again = (await api.call('GET', `/v1/cloudaccounts/${res.body.id}`)).body;
    expect(again.spec.externalId).toBe(externalId);
  });

  it('cannot be borrowed: an ExternalId sent by the client is a 400, and the same role in another tenant gets its own', async () => {
    const mine = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'mine', spec: { type: 'aws', roleArn: ROLE } } })).body;
    const borrowed = await api.call('POST', '/v1/cloudaccounts', {
      key: other,
      body: { name: 'borrowed', spec: { type: 'aws', roleArn: ROLE, externalId: mine.spec.externalId } },
    });
    expect(borrowed.status).toBe(400);
    expect(borrowed.body.details.map((d: { path: string }) => d.path)).toContain('spec.externalId');
    const theirs = (await api.call('POST', '/v1/cloudaccounts', { key: other, body: { name: 'theirs', spec: { type: 'aws', roleArn: ROLE } } })).body;
    expect(theirs.spec.externalId).not.toBe(mine.spec.externalId);
  });

  it('validate assumes the role with the account’s own ExternalId, then makes a dry-run call', async () => {
    const account = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'checked', spec: { type: 'aws', roleArn: ROLE } } })).body;
    const res = await api.call('POST', `/v1/cloudaccounts/${account.id}/validate`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: true, message: expect.stringContaining('describe instances') });
    expect((await api.call('GET', `/v1/cloudaccounts/${account.id}`)).body.lastCheck).toMatchObject({ valid: true });

    // moto accepts any ExternalId; the SDK boundary shows which one was sent, and a refusal's own words.
    const sts = mockClient(STSClient);
    try {
      sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('User: arn:aws:sts::000000000000:assumed-role/strata is not authorized to perform: sts:AssumeRole'), { name: 'AccessDenied' }));
      const refused = await api.call('POST', `/v1/cloudaccounts/${account.id}/validate`);
      expect(refused.body).toMatchObject({ valid: false, code: 'AccessDenied', message: expect.stringContaining('not authorized to perform: sts:AssumeRole') });
      expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toMatchObject({ RoleArn: ROLE, ExternalId: account.spec.externalId });
    } finally {
      sts.restore();
    }
  });
});

describe('clusters on AWS', () => {
  it('are refused at once, naming the field, in a zone or of an instance type the region does not offer (EC2 says)', async () => {
    const account = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'placement', spec: { type: 'aws', roleArn: ROLE } } })).body;
    const pool = (over: Record<string, unknown>) => ({ name: 'cp', role: 'controlPlane', count: 1, instanceType: 'm6i.large', zones: ['us-east-1a'], ...over });
    const cluster = (pools: unknown[]) => ({ name: 'on-aws', profileId: 'pf-sample', cloudAccountId: account.id, region: 'us-east-1', nodePools: pools });
    const zone = await api.call('POST', '/v1/clusters', { body: cluster([pool({ zones: ['us-east-1z'] })]) });
    expect(zone.status).toBe(400);
    expect(zone.body.details[0]).toMatchObject({ path: 'nodePools[0].zones[0]', message: expect.stringContaining('us-east-1a') });
    const type = await api.call('POST', '/v1/clusters', { body: cluster([pool({ instanceType: 'm99.colossal' })]) });
    expect(type.status).toBe(400);
    expect(type.body.details[0].path).toBe('nodePools[0].instanceType');
  });
});

describe('Azure cloud accounts', () => {
  it('take the client secret once, keep it as a SecureString parameter under the tenant’s path, and never return it', async () => {
    const secret = `s3cr3t-${randomBytes(8).toString('hex')}`;
    const res = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'az', spec: azure({ clientSecret: secret }) } });
    expect(res.status).toBe(201);
    expect(res.body.spec.secretRef).toBe(`/strata/local/tenants/default/cloudaccounts/${res.body.id}`);
    expect(JSON.stringify(res.body)).not.toContain(secret);
    expect(JSON.stringify((await api.call('GET', `/v1/cloudaccounts/${res.body.id}`)).body)).not.toContain(secret);
    expect(JSON.stringify((await api.call('GET', '/v1/cloudaccounts')).body)).not.toContain(secret);
    const ssm = new SSMClient({});
    expect((await ssm.send(new GetParameterCommand({ Name: res.body.spec.secretRef, WithDecryption: true }))).Parameter).toMatchObject({ Type: 'SecureString', Value: secret });
    // Deleting the account deletes the secret Strata stored for it.
    expect((await api.call('DELETE', `/v1/cloudaccounts/${res.body.id}`)).status).toBe(204);
    await expect(ssm.send(new GetParameterCommand({ Name: res.body.spec.secretRef }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
  });

  it('refuse a client secret larger than a standard parameter holds (4 KB), naming the field, and store nothing', async () => {
    // 1,366 three-byte characters: under 4,096 characters, over 4,096 bytes.
    const res = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'az-big', spec: azure({ clientSecret: '€'.repeat(1366) }) } });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path)).toEqual(['spec.clientSecret']);
    expect((await api.call('GET', '/v1/cloudaccounts')).body.items.map((a: { name: string }) => a.name)).not.toContain('az-big');
    const full = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'az-4k', spec: azure({ clientSecret: 'k'.repeat(4096) }) } });
    expect(full.status).toBe(201);
  });

  it('refuse a secretRef outside the tenant’s own prefix', async () => {
    for (const secretRef of [
      '/strata/local/tenants/acme/cloudaccounts/ca-123',
      '/strata/local/tenants/default-x/cloudaccounts/ca-1',
      '/strata/local/tenants/default/cloudaccounts/../../acme/cloudaccounts/ca-1',
      '/strata/other-stack/tenants/default/cloudaccounts/ca-1',
      '/strata/local/platform-secret',
      'strata/azure/default/ca-1',
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:strata/azure/acme/x',
    ]) {
      const res = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'foreign', spec: azure({ secretRef }) } });
      expect(res.status, secretRef).toBe(400);
      expect(res.body.details.map((d: { path: string }) => d.path), secretRef).toContain('spec.secretRef');
    }
    const own = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'own-ref', spec: azure({ secretRef: '/strata/local/tenants/default/cloudaccounts/team-a' }) } });
    expect(own.status).toBe(201);
    // Its secret was never stored: validate answers the provider's own words, not a 5xx.
    const check = await api.call('POST', `/v1/cloudaccounts/${own.body.id}/validate`);
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ valid: false, code: 'SecretUnavailable', message: expect.stringContaining('no secret is stored under /strata/local/tenants/default/cloudaccounts/team-a') });
  });

  it('need the client secret or a secretRef, not both', async () => {
    expect((await api.call('POST', '/v1/cloudaccounts', { body: { name: 'neither', spec: azure({}) } })).status).toBe(400);
    expect((await api.call('POST', '/v1/cloudaccounts', { body: { name: 'both', spec: azure({ clientSecret: 'x', secretRef: '/strata/local/tenants/default/cloudaccounts/x' }) } })).status).toBe(400);
  });
});

describe('local accounts', () => {
  it('are refused where the simulated cloud does not exist (a deployed stack)', async () => {
    process.env.CLOUD_ACCOUNT_TYPES = 'aws,azure'; // what the CDK stack sets
    try {
      const res = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim-deployed', spec: { type: 'local' } } });
      expect(res.status).toBe(400);
      expect(res.body.details[0]).toMatchObject({ path: 'spec.type', message: expect.stringContaining('only in the local runtime') });
    } finally {
      process.env.CLOUD_ACCOUNT_TYPES = 'aws,azure,local';
    }
  });

  it('validate against the simulated cloud', async () => {
    const account = (await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } })).body;
    expect((await api.call('POST', `/v1/cloudaccounts/${account.id}/validate`)).body).toMatchObject({ valid: true });
  });
});
