import { UNAUTHORIZED_MESSAGE } from '../../core/errors.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, AssetStaging, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_ENV, TABLES, type TableId } from '../../adapters/dynamodb/tables.js';
import { handlerEntry, ROUTES } from '../../functions/api/routes.js';
import { substitutionKey, tasksOf } from '../../functions/workflows/definition.js';
import { WORKFLOWS, aslFile } from '../../functions/workflows/registry.js';
import { TASKS, type TaskName } from '../../functions/workflows/tasks.js';
import { AUTHORIZER_CACHE_SECONDS } from '../../functions/api/routes.js';
import { isAudited } from '../../core/audit.js';
import { HANDLER_ACCESS } from '../../lib/api.js';
import { HEALTH_FUNCTION_ENV } from '../../lib/health.js';
import { REPO_ROOT, StrataFunction } from '../../lib/strata-function.js';
import { StrataStack } from '../../lib/strata-stack.js';
import { CLOUD_TASKS, type WorkflowId, substitutionKeysIn } from '../../lib/workflows.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const DYNAMODB_WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

// Bundling every handler with esbuild takes most of a minute: the stack is built once, bundling
// skipped (the checks read the construct tree and the template); one function is bundled on its own.
let stack: StrataStack;
let template: Template;
let resources: Record<string, Resource>;

const logicalId = (construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const resource = (construct: IConstruct): Resource => {
  const found = resources[logicalId(construct)];
  if (!found) throw new Error(`no resource for ${construct.node.path}`);
  return found;
};
const strataFunctions = (): StrataFunction[] => stack.node.findAll().filter((c): c is StrataFunction => c instanceof StrataFunction);

/** Every statement of every AWS::IAM::Policy attached to the role with this logical id. */
function statementsOfRole(roleLogicalId: string): Statement[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => (r.Properties.Roles as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}
const actionsOf = (statements: Statement[]): string[] => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
const roleOf = (fn: StrataFunction): string => logicalId(fn.role!);
/** A parameter's ARN as the template writes it, e.g. parameterArn('/strata/StrataTest/platform-secret'). */
const parameterArn = (name: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:parameter${name}`]],
});
const VIA_SSM = { 'kms:ViaService': { 'Fn::Join': ['', ['ssm.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] } };
const PLATFORM_SECRET = '/strata/StrataTest/platform-secret';
const TENANT_SECRETS = '/strata/StrataTest/tenants/*';
/** The key used through Parameter Store for exactly these parameters. */
const parameterKeyUse = (actions: string | string[], name: string) => ({
  Effect: 'Allow',
  Action: actions,
  Resource: { 'Fn::GetAtt': [logicalId(stack.keys.clusterSecretsKey), 'Arn'] },
  Condition: name.endsWith('*')
    ? { StringEquals: VIA_SSM, StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': parameterArn(name) } }
    : { StringEquals: { ...VIA_SSM, 'kms:EncryptionContext:PARAMETER_ARN': parameterArn(name) } },
});
const sealKeyUse = (action: string) => ({
  Effect: 'Allow',
  Action: action,
  Resource: { 'Fn::GetAtt': [logicalId(stack.keys.clusterSecretsKey), 'Arn'] },
  Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 'cluster-pki' } },
});
const envOf = (fn: StrataFunction): Record<string, unknown> => (resource(fn).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
const task = (name: TaskName): StrataFunction => stack.workflows.taskFunctions.get(name)!;
/** Actions of the statements of this role whose resources name this table. */
const tableActions = (roleLogicalId: string, tableId: TableId): string[] =>
  actionsOf(statementsOfRole(roleLogicalId).filter((s) => JSON.stringify(s.Resource).includes(logicalId(stack.data.tables[tableId]))));
const WORKFLOW_IDS = Object.keys(WORKFLOWS) as WorkflowId[];

// Bundling every function (two dozen) with esbuild takes over a minute on a small machine.
beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new StrataStack(app, 'StrataTest');
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Resource>;
}, 300_000);

describe('data', () => {
  it('builds exactly the four tables of TABLES, on demand, with PITR, SSE, deletion protection and retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', Object.keys(TABLES).length);
    for (const [id, schema] of Object.entries(TABLES) as [TableId, (typeof TABLES)[TableId]][]) {
      const table = resource(stack.data.tables[id]);
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
        KeySchema: [
          { AttributeName: schema.partitionKey, KeyType: 'HASH' },
          { AttributeName: schema.sortKey, KeyType: 'RANGE' },
        ],
      });
      if (schema.ttlAttribute) {
        expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: schema.ttlAttribute, Enabled: true });
      } else {
        expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
      }
    }
  });

  it('puts the TTL on expiresAt for definitions, events, telemetry and the audit log', () => {
    template.resourcePropertiesCountIs('AWS::DynamoDB::Table', { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }, 4);
    for (const id of ['definitions', 'events', 'telemetry', 'audit'] as const) {
      expect(resource(stack.data.tables[id]).Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    }
  });

  it('gives definitions the gsi1 index, string keys, projecting ALL', () => {
    const definitions = resource(stack.data.tables.definitions).Properties;
    expect(definitions.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'gsi1',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(definitions.AttributeDefinitions).toEqual(
      expect.arrayContaining(['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' }))),
    );
    expect(resource(stack.data.tables.conditions).Properties.GlobalSecondaryIndexes).toBeUndefined();
  });
});

describe('archives', () => {
  it('blocks public access, encrypts, expires log bundles after 7 days and kube-bench reports after 400, and logs access to the logs bucket', () => {
    const bucket = resource(stack.archives.bucket).Properties;
    expect(bucket).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(stack.archives.accessLogsBucket) } },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(bucket.VersioningConfiguration).toBeUndefined();
    // The console fetches a download with progress from a presigned URL: GET from any origin (the URL is the credential).
    expect(bucket.CorsConfiguration).toEqual({ CorsRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'], ExposedHeaders: ['Content-Length', 'Content-Disposition'], MaxAge: 3600 }] });
    expect(resource(stack.archives.accessLogsBucket).Properties.CorsConfiguration).toBeUndefined();
    expect(bucket.LifecycleConfiguration).toEqual({
      Rules: [
        expect.objectContaining({ Prefix: 'logs/', ExpirationInDays: 7, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'compliance/', ExpirationInDays: 400, Status: 'Enabled' }),
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
      ],
    });
  });

  it('lets each function do only its part with archives: the agent API uploads and checks, logs and compliance sign downloads', () => {
    const statementsOf = (fn: StrataFunction) =>
      Object.values(template.toJSON().Resources as Record<string, { Type: string; Properties: { Roles?: { Ref: string }[]; PolicyDocument?: { Statement: { Action: string | string[]; Resource: unknown; Condition?: { StringLike: Record<string, string[]> } }[] } } }>)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles?.some((role) => role.Ref === logicalId(fn.role!)))
        .flatMap((r) => r.Properties.PolicyDocument!.Statement)
        .filter((st) => JSON.stringify(st.Resource).includes(logicalId(stack.archives.bucket)))
        .map((st) => ({
          actions: [st.Action].flat().sort(),
          resource: JSON.stringify(st.Resource).match(/\/(logs|compliance)\/\*/)?.[1],
          ...(st.Condition ? { prefix: st.Condition.StringLike['s3:prefix'] } : {}),
        }));
    // ListBucket on the bucket, for keys under logs/ only: a missing bundle is then a 404 to HeadObject, not a 403.
    const listing = { actions: ['s3:ListBucket'], resource: undefined, prefix: ['logs/*'] };
    expect(statementsOf(stack.agentApi.heartbeatFunction)).toEqual([
      { actions: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], resource: 'logs' },
      listing,
      { actions: ['s3:PutObject'], resource: 'compliance' },
    ]);
    expect(statementsOf(stack.api.handlers.get('compliance')!)).toEqual([{ actions: ['s3:GetObject'], resource: 'compliance' }]);
    expect(statementsOf(stack.api.handlers.get('logs')!)).toEqual([{ actions: ['s3:GetObject'], resource: 'logs' }, { actions: ['s3:DeleteObject', 's3:GetObject'], resource: 'logs' }, listing]);
    for (const name of ['clusters', 'clusterstatus', 'kubeconfig'] as const) expect(statementsOf(stack.api.handlers.get(name)!), name).toEqual([]);
  });

  it('denies every request without TLS, on both buckets', () => {
    for (const bucket of [stack.archives.bucket, stack.archives.accessLogsBucket]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('lets S3 log delivery write to the access-log bucket by policy, with no ACL', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack.archives.accessLogsBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Action: 's3:PutObject', Principal: { Service: 'logging.s3.amazonaws.com' } })]),
      },
    });
    expect(resource(stack.archives.accessLogsBucket).Properties.AccessControl).toBeUndefined();
  });
});

describe('functions', () => {
  it('makes one function per distinct handler, per workflow task, plus the heartbeat, the authorizer, the bootstrap, the secret parameters and the two health functions', () => {
    const handlers = new Set(ROUTES.map((r) => r.handler));
    expect([...stack.api.handlers.keys()].sort()).toEqual([...handlers].sort());
    expect([...stack.workflows.taskFunctions.keys()].sort()).toEqual(Object.keys(TASKS).sort());
    expect(strataFunctions()).toHaveLength(handlers.size + Object.keys(TASKS).length + 6);
  });

  it('runs every Strata function on nodejs22.x, arm64, traced, with source maps and a log group with retention', () => {
    const tasks = new Set<StrataFunction>(stack.workflows.taskFunctions.values());
    for (const fn of strataFunctions()) {
      const props = resource(fn).Properties;
      const sizing =
        fn === stack.agentApi.heartbeatFunction
          ? { MemorySize: 256, Timeout: 10 }
          : fn === stack.health.scoreFunction
            ? { MemorySize: 256, Timeout: 30 }
            : fn === stack.health.sweepFunction
              ? { MemorySize: 256, Timeout: 110 }
              : tasks.has(fn)
                ? { MemorySize: 512, Timeout: 60 }
                : { MemorySize: 512 };
      expect(props, fn.node.path).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        ...sizing,
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'strata' }) },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
      const logGroupId = (props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resources[logGroupId]?.Properties.RetentionInDays, fn.node.path).toBe(30);
    }
  });

  it('bundles ESM with the createRequire banner and a source map', () => {
    const healthz = new StrataFunction(new Stack(new App(), 'Bundled'), 'Healthz', { entry: handlerEntry('healthz'), description: 'bundled on its own' });
    const staging = healthz.node.findChild('Code').node.findChild('Stage') as AssetStaging;
    const bundle = readFileSync(join(staging.absoluteStagedPath, 'index.mjs'), 'utf8');
    expect(bundle.startsWith("import { createRequire as strataCreateRequire } from 'node:module';")).toBe(true);
    expect(existsSync(join(staging.absoluteStagedPath, 'index.mjs.map'))).toBe(true);
  });

  it('gives table env vars to every function that touches the tables, and none to healthz, openapi and the secret parameters', () => {
    const withTables = strataFunctions().filter((fn) => fn !== stack.keys.parametersFunction && !['healthz', 'openapi'].some((n) => stack.api.handlers.get(n as 'healthz') === fn));
    expect(withTables).toHaveLength(strataFunctions().length - 3);
    // The agent API signs log bundle upload forms and stores kube-bench reports: it has the bucket.
    const noArchives = new Set<StrataFunction>([
      stack.health.scoreFunction,
      stack.health.sweepFunction,
      ...stack.workflows.taskFunctions.values(),
    ]);
    for (const fn of withTables) {
      const vars = envOf(fn);
      for (const id of Object.keys(TABLES) as TableId[]) expect(vars[TABLE_ENV[id]], fn.node.path).toEqual({ Ref: logicalId(stack.data.tables[id]) });
      if (noArchives.has(fn)) expect(vars.ARCHIVE_BUCKET, fn.node.path).toBeUndefined();
      else expect(vars.ARCHIVE_BUCKET, fn.node.path).toEqual({ Ref: logicalId(stack.archives.bucket) });
    }
    for (const name of ['healthz', 'openapi'] as const) {
      const vars = (resource(stack.api.handlers.get(name)!).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(vars).sort()).toEqual(['NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME']);
    }
    expect(Object.keys(envOf(stack.keys.parametersFunction)).sort()).toEqual(['CLUSTER_SECRETS_KEY_ARN', 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME']);
  });
});

describe('least privilege', () => {
  it('lets the authorizer read the definitions table and write nothing', () => {
    const actions = actionsOf(statementsOfRole(roleOf(stack.api.authorizerFunction)));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    for (const write of DYNAMODB_WRITES) expect(actions).not.toContain(write);
    const dynamoResources = statementsOfRole(roleOf(stack.api.authorizerFunction))
      .filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')))
      .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    expect(JSON.stringify(dynamoResources)).toContain(logicalId(stack.data.tables.definitions));
    for (const other of ['conditions', 'events', 'telemetry'] as const) {
      expect(JSON.stringify(dynamoResources)).not.toContain(logicalId(stack.data.tables[other]));
    }
  });

  it('gives each API handler exactly the table access HANDLER_ACCESS declares, and healthz and openapi none', () => {
    for (const [name, fn] of stack.api.handlers) {
      const role = roleOf(fn);
      const granted = new Map(HANDLER_ACCESS[name].tables.map((g) => [g.table, g.access]));
      for (const tableId of (Object.keys(TABLES) as TableId[]).filter((t) => t !== 'audit' || name === 'audit')) {
        const actions = tableActions(role, tableId);
        const access = granted.get(tableId);
        const where = `${name} on ${tableId}`;
        if (!access) expect(actions, where).toEqual([]);
        else expect(actions, where).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
        if (access === 'readwrite') expect(actions, where).toEqual(expect.arrayContaining(DYNAMODB_WRITES));
        else for (const write of DYNAMODB_WRITES) expect(actions, where).not.toContain(write);
      }
    }
    for (const name of ['healthz', 'openapi'] as const) {
      expect(actionsOf(statementsOfRole(roleOf(stack.api.handlers.get(name)!))).filter((a) => a.startsWith('dynamodb:')), name).toEqual([]);
    }
  });

  it('keeps clusterstatus read-only: it reads the four cluster tables and writes none', () => {
    const role = roleOf(stack.api.handlers.get('clusterstatus')!);
    const actions = actionsOf(statementsOfRole(role));
    for (const write of DYNAMODB_WRITES) expect(actions).not.toContain(write);
    for (const tableId of ['definitions', 'conditions', 'events', 'telemetry'] as const) expect(tableActions(role, tableId), tableId).toEqual(expect.arrayContaining(['dynamodb:Query']));
    expect(tableActions(role, 'audit')).toEqual([]);
  });

  it('lets the handlers of recorded routes only append to the audit log, and only its reader query it', () => {
    for (const [name, fn] of stack.api.handlers) {
      const actions = tableActions(roleOf(fn), 'audit');
      const records = ROUTES.some((r) => r.handler === name && !r.public && isAudited(r));
      if (name === 'audit') expect(actions.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
      else expect(actions, name).toEqual(records ? ['dynamodb:PutItem'] : []);
    }
    // Every handler that changes anything records it.
    expect(tableActions(roleOf(stack.api.handlers.get('clusters')!), 'audit')).toEqual(['dynamodb:PutItem']);
    expect(tableActions(roleOf(stack.api.handlers.get('kubeconfig')!), 'audit')).toEqual(['dynamodb:PutItem']);
  });

  it('lets the clusters handler read conditions and start both workflows, with their ARNs in its environment', () => {
    const clusters = stack.api.handlers.get('clusters')!;
    const statements = statementsOfRole(roleOf(clusters));
    for (const workflow of WORKFLOW_IDS) {
      const sm = stack.workflows.stateMachines[workflow];
      expect(statements, workflow).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: logicalId(sm) } })]),
      );
    }
    expect(envOf(clusters)).toMatchObject({
      PROVISION_STATE_MACHINE_ARN: { Ref: logicalId(stack.workflows.stateMachines.provision) },
      DELETE_STATE_MACHINE_ARN: { Ref: logicalId(stack.workflows.stateMachines.delete) },
    });
    expect(tableActions(roleOf(clusters), 'conditions')).toEqual(expect.arrayContaining(['dynamodb:GetItem']));
    // Besides clusters and updates (a new generation), only profiles (the notify workflow) and ospatch (patch-os) start one, that one only.
    for (const [name, fn] of stack.api.handlers) {
      if (name === 'clusters' || name === 'updates') continue;
      const starts = statementsOfRole(roleOf(fn)).filter((st) => actionsOf([st]).includes('states:StartExecution'));
      const only: Record<string, WorkflowId> = { profiles: 'notify', ospatch: 'patch' };
      expect(starts.map((st) => st.Resource), name).toEqual(only[name] ? [{ Ref: logicalId(stack.workflows.stateMachines[only[name]]) }] : []);
    }
  });

  it('keeps patch schedules to one group: Scheduler may start patch-os only; clusters and ospatch manage schedules and pass only its role; deletion only deletes', () => {
    const group = template.findResources('AWS::Scheduler::ScheduleGroup');
    expect(Object.values(group)).toHaveLength(1);
    const groupName = stack.patchSchedules.groupName;
    const schedulerRole = logicalId(stack.patchSchedules.role);
    expect(actionsOf(statementsOfRole(schedulerRole))).toEqual(['states:StartExecution']);
    expect(JSON.stringify(statementsOfRole(schedulerRole)[0]!.Resource)).toContain(`${stack.stackName}-patch`);
    const trust = resources[schedulerRole]!.Properties.AssumeRolePolicyDocument as { Statement: { Principal: { Service: string }; Condition: unknown }[] };
    expect(trust.Statement[0]).toMatchObject({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': expect.anything() } } });
    for (const [name, fn] of stack.api.handlers) {
      const actions = actionsOf(statementsOfRole(roleOf(fn)));
      const manages = name === 'clusters' || name === 'ospatch';
      expect(actions.includes('scheduler:CreateSchedule'), name).toBe(manages);
      if (!manages) continue;
      const pass = statementsOfRole(roleOf(fn)).find((st) => actionsOf([st]).includes('iam:PassRole'))!;
      expect(pass.Resource).toEqual({ 'Fn::GetAtt': [schedulerRole, 'Arn'] });
      expect(envOf(fn)).toMatchObject({ PATCH_SCHEDULE_GROUP: groupName, PATCH_SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': [schedulerRole, 'Arn'] } });
    }
    const deletion = actionsOf(statementsOfRole(roleOf(task('FinishDeletion')))).filter((a) => a.startsWith('scheduler:'));
    expect(deletion).toEqual(['scheduler:DeleteSchedule']);
  });

  it('lets every task read and write definitions, conditions and events and read telemetry; the platform secret and the key only where TASKS says', () => {
    const TASK_ACCESS = Object.fromEntries(Object.entries(TASKS).map(([n, t]) => [n, t.access as Record<string, true | undefined>]));
    const secretRead = (st: Statement) => actionsOf([st]).includes('ssm:GetParameter') && JSON.stringify(st.Resource) === JSON.stringify(parameterArn(PLATFORM_SECRET));
    const kms = (st: Statement) => actionsOf([st]).some((a) => a.startsWith('kms:'));
    for (const [name, fn] of stack.workflows.taskFunctions) {
      const role = roleOf(fn);
      for (const tableId of ['definitions', 'conditions', 'events'] as const) {
        expect(tableActions(role, tableId), `${name} on ${tableId}`).toEqual(expect.arrayContaining(['dynamodb:GetItem', ...DYNAMODB_WRITES]));
      }
      const telemetry = tableActions(role, 'telemetry');
      expect(telemetry, name).toEqual(expect.arrayContaining(['dynamodb:GetItem']));
      for (const write of DYNAMODB_WRITES) expect(telemetry, name).not.toContain(write);
      const statements = statementsOfRole(role);
      expect(statements.filter(secretRead).length > 0, `${name} reads the platform secret`).toBe(!!TASK_ACCESS[name]!.platformSecret);
      expect(envOf(fn).PLATFORM_SECRET_PARAMETER, name).toEqual(TASK_ACCESS[name]!.platformSecret ? PLATFORM_SECRET : undefined);
      // The key: sealing where TASKS says, and through Parameter Store for exactly the parameters the task reads.
      expect(statements.filter(kms), name).toEqual([
        ...(TASK_ACCESS[name]!.platformSecret ? [parameterKeyUse('kms:Decrypt', PLATFORM_SECRET)] : []),
        ...(TASK_ACCESS[name]!.sealsClusterSecrets ? [sealKeyUse('kms:GenerateDataKey')] : []),
        ...(TASK_ACCESS[name]!.cloud ? [parameterKeyUse('kms:Decrypt', TENANT_SECRETS)] : []),
      ]);
      expect(envOf(fn), name).toMatchObject({ AGENT_API_URL: expect.anything() });
    }
    expect(TASK_ACCESS.BeginProvisioning!.sealsClusterSecrets).toBe(true);
    expect(Object.entries(TASK_ACCESS).filter(([, a]) => a.platformSecret).map(([n]) => n).sort()).toEqual(['AddControlPlane', 'AddWorkers', 'LaunchBuilder', 'ReconcileNodes']);
  });

  it('grants no Scan to anyone, and BatchWriteItem only to heartbeat ingest on telemetry', () => {
    for (const fn of strataFunctions()) {
      const statements = statementsOfRole(roleOf(fn));
      expect(actionsOf(statements), fn.node.path).not.toContain('dynamodb:Scan');
      const batch = statements.filter((st) => actionsOf([st]).includes('dynamodb:BatchWriteItem'));
      if (fn === stack.agentApi.heartbeatFunction) {
        expect(batch).toHaveLength(1);
        expect(JSON.stringify(batch[0]!.Resource)).toContain(logicalId(stack.data.tables.telemetry));
      } else {
        expect(batch, fn.node.path).toEqual([]);
      }
    }
  });

  it('reserves concurrency for the agent API and every API function, as stack settings', () => {
    expect(resource(stack.agentApi.heartbeatFunction).Properties.ReservedConcurrentExecutions).toBe(100);
    for (const fn of [stack.api.authorizerFunction, ...stack.api.handlers.values()]) expect(resource(fn).Properties.ReservedConcurrentExecutions, fn.node.path).toBe(10);
    const small = new StrataStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Small', { agentReservedConcurrency: 20, apiReservedConcurrency: 2 });
    const smallTemplate = Template.fromStack(small);
    smallTemplate.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 20 });
    smallTemplate.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 2 });
  });

  it('lets only the cloudaccounts handler store and delete Azure client secrets, under the tenants path only, and refuse local accounts', () => {
    const accounts = stack.api.handlers.get('cloudaccounts')!;
    const statements = statementsOfRole(roleOf(accounts));
    const ssm = statements.filter((st) => actionsOf([st]).some((a) => a.startsWith('ssm:')));
    expect(ssm).toEqual([{ Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'], Resource: parameterArn(TENANT_SECRETS) }]);
    expect(statements.filter((st) => actionsOf([st]).some((a) => a.startsWith('kms:')))).toEqual([parameterKeyUse(['kms:Decrypt', 'kms:Encrypt'], TENANT_SECRETS)]);
    expect(actionsOf(statements)).toContain('sts:AssumeRole');
    expect(envOf(accounts)).toMatchObject({
      CLOUD_ACCOUNT_TYPES: 'aws,azure',
      STRATA_AWS_PRINCIPAL: expect.anything(),
      SECRETS_PATH: '/strata/StrataTest',
      CLUSTER_SECRETS_KEY_ARN: { 'Fn::GetAtt': [logicalId(stack.keys.clusterSecretsKey), 'Arn'] },
    });
    for (const fn of strataFunctions()) {
      const writes = statementsOfRole(roleOf(fn)).filter((st) => actionsOf([st]).some((a) => a === 'ssm:PutParameter' || a === 'ssm:DeleteParameter'));
      if (fn !== accounts) expect(JSON.stringify(writes), fn.node.path).not.toContain('/tenants/');
      // Nothing is kept in Secrets Manager any more.
      expect(actionsOf(statementsOfRole(roleOf(fn))).filter((a) => a.startsWith('secretsmanager:')), fn.node.path).toEqual([]);
    }
  });

  it('lets only the cloud tasks assume customer roles and read Azure client secrets', () => {
    expect([...CLOUD_TASKS].sort()).toEqual([
      'AddControlPlane',
      'AddWorkers',
      'AwaitCustomization',
      'CopyImage',
      'CreateImage',
      'CreateInfrastructure',
      'DeleteResources',
      'FinishBake',
      'LaunchBuilder',
      'ReconcileNodes',
      'ResolveImage',
    ]);
    const azure = (s: Statement) => s.Action === 'ssm:GetParameter' && JSON.stringify(s.Resource) === JSON.stringify(parameterArn(TENANT_SECRETS));
    for (const [name, fn] of stack.workflows.taskFunctions) {
      const statements = statementsOfRole(roleOf(fn));
      const assume = statements.filter((s) => s.Action === 'sts:AssumeRole');
      if (CLOUD_TASKS.has(name)) {
        expect(assume, name).toHaveLength(1);
        expect(JSON.stringify(assume[0]!.Resource), name).toContain(':iam::*:role/*');
        expect(statements.filter(azure), name).toHaveLength(1);
      } else {
        expect(actionsOf(statements), name).not.toContain('sts:AssumeRole');
        expect(statements.filter(azure), name).toEqual([]);
      }
    }
    expect(actionsOf(statementsOfRole(roleOf(task('CreateInfrastructure'))))).toContain('sts:AssumeRole');
    expect(actionsOf(statementsOfRole(roleOf(task('FinishProvisioning'))))).not.toContain('sts:AssumeRole');
  });

  it("lets only BeginDeletion stop provisioning and reconciling, on those machines' executions only; only ContinueWorkflow start any execution, ResolveImage only bakes and BeginPatch only patch runs", () => {
    const machine = (workflow: string) => `${stack.stackName}-${workflow}`;
    for (const [name, fn] of stack.workflows.taskFunctions) {
      const statements = statementsOfRole(roleOf(fn));
      const stops = statements.filter((st) => actionsOf([st]).includes('states:StopExecution'));
      const starts = statements.filter((st) => actionsOf([st]).includes('states:StartExecution'));
      if (name === 'BeginDeletion') {
        expect(stops).toHaveLength(2);
        expect(new Set(actionsOf(stops))).toEqual(new Set(['states:StopExecution']));
        expect(stops.map((st) => JSON.stringify(st.Resource))).toEqual([expect.stringContaining(`:execution:${machine('provision')}:*`), expect.stringContaining(`:execution:${machine('reconcile')}:*`)]);
        expect(JSON.stringify(envOf(fn).PROVISION_STATE_MACHINE_ARN)).toContain(`:stateMachine:${machine('provision')}`);
        expect(JSON.stringify(envOf(fn).RECONCILE_STATE_MACHINE_ARN)).toContain(`:stateMachine:${machine('reconcile')}`);
      } else {
        expect(stops, name).toEqual([]);
      }
      if (name === 'ContinueWorkflow') {
        const arns = JSON.stringify(starts.map((st) => st.Resource));
        for (const workflow of WORKFLOW_IDS) expect(arns, workflow).toContain(`:stateMachine:${machine(workflow)}`);
      } else if (name === 'ResolveImage' || name === 'BeginPatch') {
        expect(starts).toHaveLength(1);
        expect(JSON.stringify(starts[0]!.Resource)).toContain(`:stateMachine:${machine(name === 'BeginPatch' ? 'patch' : 'bake')}`);
        expect(JSON.stringify(starts[0]!.Resource)).not.toMatch(/provision|reconcile|delete/);
        const only = name === 'BeginPatch' ? 'patch' : 'bake';
        expect(JSON.stringify(envOf(fn)[`${only.toUpperCase()}_STATE_MACHINE_ARN`])).toContain(`:stateMachine:${machine(only)}`);
      } else {
        expect(starts, name).toEqual([]);
      }
    }
  });

  it('lets the agent API read and write definitions (tickets, token state), ingest telemetry, record command progress as events, check tokens with the platform secret and open CA keys, nothing else', () => {
    const role = roleOf(stack.agentApi.heartbeatFunction);
    expect(tableActions(role, 'definitions')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', ...DYNAMODB_WRITES]));
    expect(tableActions(role, 'telemetry')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:BatchWriteItem', ...DYNAMODB_WRITES]));
    expect(tableActions(role, 'conditions')).toEqual([]);
    expect(tableActions(role, 'events')).toEqual(expect.arrayContaining(['dynamodb:PutItem']));
    const statements = statementsOfRole(role);
    expect(actionsOf(statements).filter((a) => /^(states|sts):/.test(a))).toEqual([]);
    expect(statements.filter((st) => actionsOf([st]).some((a) => a.startsWith('ssm:')))).toEqual([{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: parameterArn(PLATFORM_SECRET) }]);
    expect(statements.filter((st) => actionsOf([st]).some((a) => a.startsWith('kms:')))).toEqual([parameterKeyUse('kms:Decrypt', PLATFORM_SECRET), sealKeyUse('kms:Decrypt')]);
    expect(envOf(stack.agentApi.heartbeatFunction).PLATFORM_SECRET_PARAMETER).toBe(PLATFORM_SECRET);
    // It is deployed after the custom resource that makes the platform secret.
    expect(resource(stack.agentApi.heartbeatFunction) as Resource & { DependsOn?: string[] }).toMatchObject({ DependsOn: expect.arrayContaining([logicalId(stack.keys.secretParameters)]) });
    expect(actionsOf(statements).filter((a) => a.startsWith('lambda:'))).toEqual(['lambda:InvokeFunction']);
  });

  it('lets the bootstrap make and read the operator key parameter, and write definitions', () => {
    const statements = statementsOfRole(roleOf(stack.bootstrap.function));
    const operatorKey = '/strata/StrataTest/operator-key';
    expect(statements.filter((st) => actionsOf([st]).some((a) => a.startsWith('ssm:')))).toEqual([{ Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: parameterArn(operatorKey) }]);
    expect(statements.filter((st) => actionsOf([st]).some((a) => a.startsWith('kms:')))).toEqual([parameterKeyUse(['kms:Decrypt', 'kms:Encrypt'], operatorKey)]);
    expect(actionsOf(statements)).toEqual(expect.arrayContaining(DYNAMODB_WRITES));
  });

  it('lets the secret-parameters function only create the platform secret (no read), and copy nothing from Secrets Manager unless an upgrade asks', () => {
    const statements = statementsOfRole(roleOf(stack.keys.parametersFunction));
    expect(statements.filter((st) => actionsOf([st]).some((a) => /^(ssm|kms|secretsmanager):/.test(a)))).toEqual([
      { Effect: 'Allow', Action: 'ssm:PutParameter', Resource: parameterArn(PLATFORM_SECRET) },
      parameterKeyUse('kms:Encrypt', PLATFORM_SECRET),
    ]);
  });
});

describe('workflows', () => {
  it('runs one Standard state machine per workflow, traced, logging ALL events without execution data, with a fixed name', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', WORKFLOW_IDS.length);
    for (const workflow of WORKFLOW_IDS) {
      const props = resource(stack.workflows.stateMachines[workflow]).Properties;
      expect(props, workflow).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: false,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } }],
        },
        DefinitionS3Location: { Bucket: expect.anything(), Key: expect.anything() },
      });
      expect(props.StateMachineName, workflow).toBe(`${stack.stackName}-${workflow}`);
      expect(props.DefinitionString, workflow).toBeUndefined();
    }
  });

  it('substitutes every ${...} of each ASL file with the ARN of its own task function', () => {
    for (const workflow of WORKFLOW_IDS) {
      const subs = resource(stack.workflows.stateMachines[workflow]).Properties.DefinitionSubstitutions as Record<string, unknown>;
      const used = substitutionKeysIn(join(REPO_ROOT, aslFile(workflow)));
      expect(used.length, workflow).toBeGreaterThan(0);
      // DefinitionBody.fromFile ships the file as an S3 asset: the template has no DefinitionString,
      // so check the file's placeholders against the substitutions CloudFormation will apply.
      for (const key of used) expect(Object.keys(subs), `${workflow}: ${key}`).toContain(key);
      expect(Object.keys(subs).sort(), workflow).toEqual(tasksOf(WORKFLOWS[workflow]).map((t) => substitutionKey(t)).sort());
      for (const name of tasksOf(WORKFLOWS[workflow])) {
        expect(subs[substitutionKey(name)], `${workflow}: ${name}`).toEqual({ 'Fn::GetAtt': [logicalId(task(name)), 'Arn'] });
      }
    }
  });

  it('lets each state machine invoke exactly its own tasks', () => {
    for (const workflow of WORKFLOW_IDS) {
      const sm = stack.workflows.stateMachines[workflow];
      const invokes = statementsOfRole(logicalId(sm.role)).filter((s) => actionsOf([s]).includes('lambda:InvokeFunction'));
      const invoked = JSON.stringify(invokes.map((s) => s.Resource));
      for (const [name, fn] of stack.workflows.taskFunctions) {
        if ((tasksOf(WORKFLOWS[workflow]) as TaskName[]).includes(name)) expect(invoked, `${workflow} → ${name}`).toContain(logicalId(fn));
        else expect(invoked, `${workflow} ↛ ${name}`).not.toContain(`"${logicalId(fn)}"`);
      }
    }
  });

  it('points the tasks at the agent API URL without a trailing slash', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const [name, fn] of stack.workflows.taskFunctions) expect(envOf(fn).AGENT_API_URL, name).toEqual(outputs.AgentApiUrl!.Value);
    const url = JSON.stringify(outputs.AgentApiUrl!.Value);
    expect(url).toContain('https://');
    expect(url).toContain(logicalId(stack.agentApi.functionUrl));
  });
});

describe('agent api', () => {
  it('serves the heartbeat from a Lambda function URL with no IAM auth', () => {
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalId(stack.agentApi.heartbeatFunction), 'Arn'] },
    });
  });
});

describe('health', () => {
  const score = () => stack.health.scoreFunction;
  const sweep = () => stack.health.sweepFunction;

  it('runs the sweep every minute from one EventBridge rule, targeting the sweep function without retries', () => {
    template.resourceCountIs('AWS::Events::Rule', 1);
    const rule = resource(stack.health.sweepRule).Properties;
    expect(rule).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    expect(rule.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [logicalId(sweep()), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [logicalId(sweep()), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(stack.health.sweepRule), 'Arn'] },
    });
  });

  it('lets the sweep switch its own rule off and on, and the heartbeat only on, by the fixed name in SWEEP_RULE_NAME; no other function', () => {
    const name = resource(stack.health.sweepRule).Properties.Name as string;
    expect(name).toMatch(/-health-sweep$/);
    const ruleArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:rule/${name}`]] };
    const eventsStatements = (fn: StrataFunction) => statementsOfRole(roleOf(fn)).filter((s) => actionsOf([s]).some((a) => a.startsWith('events:')));
    expect(eventsStatements(sweep())).toEqual([{ Effect: 'Allow', Action: ['events:DisableRule', 'events:EnableRule'], Resource: ruleArn }]);
    expect(eventsStatements(stack.agentApi.heartbeatFunction)).toEqual([{ Effect: 'Allow', Action: 'events:EnableRule', Resource: ruleArn }]);
    expect(envOf(sweep()).SWEEP_RULE_NAME).toBe(name);
    expect(envOf(stack.agentApi.heartbeatFunction).SWEEP_RULE_NAME).toBe(name);
    for (const fn of strataFunctions()) {
      if (fn === sweep() || fn === stack.agentApi.heartbeatFunction) continue;
      expect(eventsStatements(fn), fn.node.path).toEqual([]);
    }
  });

  it('retries an async score once, and drops it after five minutes; the sweep is never retried', () => {
    const configs = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventInvokeConfig');
    const of = (fn: StrataFunction) => configs.filter((c) => JSON.stringify(c.Properties.FunctionName) === JSON.stringify({ Ref: logicalId(fn) }));
    expect(of(score())).toHaveLength(1);
    expect(of(score())[0]!.Properties).toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 300, Qualifier: '$LATEST' });
    expect(of(sweep())).toHaveLength(1);
    expect(of(sweep())[0]!.Properties).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
    expect(configs).toHaveLength(2);
  });

  it('lets the heartbeat invoke the score-health function, and only it, by name from HEALTH_FUNCTION_NAME', () => {
    expect(HEALTH_FUNCTION_ENV).toBe('HEALTH_FUNCTION_NAME');
    expect(envOf(stack.agentApi.heartbeatFunction).HEALTH_FUNCTION_NAME).toEqual({ Ref: logicalId(score()) });
    const statements = statementsOfRole(roleOf(stack.agentApi.heartbeatFunction)).filter((s) => actionsOf([s]).some((a) => a.startsWith('lambda:')));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [{ 'Fn::GetAtt': [logicalId(score()), 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(score()), 'Arn'] }, ':*']] }],
      },
    ]);
  });

  it('lets no other function invoke the score-health function, and gives no other function its name', () => {
    for (const fn of strataFunctions()) {
      if (fn === stack.agentApi.heartbeatFunction) continue;
      const statements = statementsOfRole(roleOf(fn));
      expect(JSON.stringify(statements), fn.node.path).not.toContain(`"${logicalId(score())}"`);
      expect(envOf(fn)?.HEALTH_FUNCTION_NAME, fn.node.path).toBeUndefined();
    }
  });

  /** Node repair (functions/health/repair.ts): mark nodes and move the cluster's generation, start the reconcile, stop what it supersedes. */
  const expectRepairGrants = (role: ReturnType<typeof roleOf>) => {
    const machine = (workflow: string) => `${stack.stackName}-${workflow}`;
    expect(tableActions(role, 'definitions')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', ...DYNAMODB_WRITES]));
    const statements = statementsOfRole(role);
    const starts = statements.filter((st) => actionsOf([st]).includes('states:StartExecution'));
    expect(starts.map((st) => JSON.stringify(st.Resource))).toEqual([expect.stringContaining(`:stateMachine:${machine('reconcile')}`)]);
    const stops = statements.filter((st) => actionsOf([st]).includes('states:StopExecution'));
    expect(stops.map((st) => JSON.stringify(st.Resource))).toEqual([expect.stringContaining(`:execution:${machine('provision')}:*`), expect.stringContaining(`:execution:${machine('reconcile')}:*`)]);
    expect(actionsOf(statements).filter((a) => /^(lambda|secretsmanager|ssm|sts):/.test(a) || (a.startsWith('states:') && a !== 'states:StartExecution' && a !== 'states:StopExecution'))).toEqual([]);
  };

  it('lets the score-health function read telemetry, write conditions and events, and repair nodes', () => {
    const role = roleOf(score());
    const actions = tableActions(role, 'telemetry');
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    for (const write of DYNAMODB_WRITES) expect(actions).not.toContain(write);
    for (const tableId of ['conditions', 'events'] as const) {
      expect(tableActions(role, tableId), tableId).toEqual(expect.arrayContaining(['dynamodb:GetItem', ...DYNAMODB_WRITES]));
    }
    expectRepairGrants(role);
  });

  it('lets the sweep write conditions, events and telemetry (it clears deadline entries), and repair nodes', () => {
    const role = roleOf(sweep());
    for (const tableId of ['conditions', 'events', 'telemetry'] as const) {
      expect(tableActions(role, tableId), tableId).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', ...DYNAMODB_WRITES]));
    }
    expectRepairGrants(role);
  });

  it('gives both health functions the table names and nothing about the archives', () => {
    for (const fn of [score(), sweep()]) {
      const vars = envOf(fn);
      for (const id of Object.keys(TABLES) as TableId[]) expect(vars[TABLE_ENV[id]], `${fn.node.path} ${id}`).toEqual({ Ref: logicalId(stack.data.tables[id]) });
      expect(vars.ARCHIVE_BUCKET, fn.node.path).toBeUndefined();
    }
  });
});

describe('keys', () => {
  it('keeps no secret in Secrets Manager: the platform secret is a parameter a custom resource makes, kept when the stack goes', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const custom = Object.values(resources).filter((r) => r.Type === 'Custom::StrataSecretParameters');
    expect(custom).toHaveLength(1);
    expect(custom[0]!.Properties).toEqual({ ServiceToken: expect.anything(), PlatformSecret: PLATFORM_SECRET, SecretsPath: '/strata/StrataTest' });
    expect(actionsOf(statementsOfRole(roleOf(stack.keys.parametersFunction)))).not.toContain('ssm:DeleteParameter');
  });

  it('copies the secrets of an upgraded stack from Secrets Manager only when asked, reading exactly those', () => {
    const legacyArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:KeysPlatformSecret-AbCdEf';
    const upgraded = new StrataStack(new App({ context: { 'aws:cdk:bundling-stacks': [], 'strata:legacyPlatformSecretArn': legacyArn, 'strata:legacyAzureSecrets': 'true' } }), 'StrataTest');
    const upgradedResources = Template.fromStack(upgraded).toJSON().Resources as Record<string, Resource>;
    const custom = Object.values(upgradedResources).find((r) => r.Type === 'Custom::StrataSecretParameters')!;
    expect(custom.Properties).toMatchObject({ LegacyPlatformSecretArn: legacyArn, LegacyAzureSecrets: 'true' });
    const role = upgraded.getLogicalId(upgraded.keys.parametersFunction.role!.node.defaultChild as CfnElement);
    const statements = Object.values(upgradedResources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: role }]))
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const reads = statements.filter((st) => actionsOf([st]).includes('secretsmanager:GetSecretValue'));
    expect(reads.map((st) => JSON.stringify(st.Resource))).toEqual([JSON.stringify(legacyArn), expect.stringContaining(':secret:strata/azure/*')]);
    expect(statements.find((st) => st.Action === 'secretsmanager:ListSecrets')).toMatchObject({ Resource: '*' });
    expect(statements.find((st) => st.Action === 'ssm:PutParameter' && JSON.stringify(st.Resource) === JSON.stringify(parameterArn(TENANT_SECRETS)))).toBeDefined();
  });

  it('seals cluster secrets with one rotating KMS key, retained', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    const key = resource(stack.keys.clusterSecretsKey);
    expect(key.Properties).toMatchObject({ EnableKeyRotation: true });
    expect(key.DeletionPolicy).toBe('Retain');
  });
});

describe('api', () => {
  it('has a REQUEST authorizer on the Authorization header, each key’s decision cached 5 s at most (a revoked key stops within 5 s)', () => {
    expect(AUTHORIZER_CACHE_SECONDS).toBeLessThanOrEqual(5);
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: AUTHORIZER_CACHE_SECONDS,
    });
  });

  it('lets API Gateway invoke each handler through this API only, with one permission per handler (the stack stays under 500 resources)', () => {
    const apiId = logicalId(stack.api.api);
    for (const [name, fn] of stack.api.handlers) {
      const permissions = Object.values(resources).filter(
        (r) => r.Type === 'AWS::Lambda::Permission' && JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [logicalId(fn), 'Arn'] }),
      );
      expect(permissions, name).toHaveLength(1);
      expect(permissions[0]!.Properties.Principal, name).toBe('apigateway.amazonaws.com');
      expect(JSON.stringify(permissions[0]!.Properties.SourceArn), name).toContain(`{"Ref":"${apiId}"}`);
    }
    expect(Object.keys(resources).length).toBeLessThan(500);
  });

  it('serves every route, with the authorizer on every non-public one', () => {
    template.resourceCountIs('AWS::ApiGateway::Method', ROUTES.length);
    const methods = stack.api.api.methods;
    const authorizerId = Object.entries(resources).find(([, r]) => r.Type === 'AWS::ApiGateway::Authorizer')![0];
    for (const route of ROUTES) {
      const method = methods.find((m) => m.httpMethod === route.method && m.resource.path === route.path);
      expect(method, `${route.method} ${route.path}`).toBeDefined();
      const props = resource(method!).Properties;
      if (route.public) {
        expect(props.AuthorizationType, `${route.method} ${route.path}`).toBe('NONE');
        expect(props.AuthorizerId).toBeUndefined();
      } else {
        expect(props, `${route.method} ${route.path}`).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
      }
      const fn = stack.api.handlers.get(route.handler)!;
      expect(JSON.stringify(props.Integration)).toContain(logicalId(fn));
    }
  });

  it('leaves only liveness, the OpenAPI document and sign-in open', () => {
    const open = stack.api.api.methods.filter((m) => resource(m).Properties.AuthorizationType === 'NONE');
    expect(open.map((m) => `${m.httpMethod} ${m.resource.path}`).sort()).toEqual(['GET /healthz', 'GET /v1/openapi.json', 'GET /v1/signin/{tenant}', 'POST /v1/signin/{tenant}/token']);
  });

  it('throttles, traces and logs the prod stage', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          LoggingLevel: 'INFO',
          DataTraceEnabled: false,
        }),
      ]),
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"') },
    });
    template.hasResourceProperties('AWS::ApiGateway::Account', { CloudWatchRoleArn: Match.anyValue() });
  });

  it("answers API Gateway's own errors in the project's JSON error shape", () => {
    const byType = new Map(
      Object.values(resources)
        .filter((r) => r.Type === 'AWS::ApiGateway::GatewayResponse')
        .map((r) => [r.Properties.ResponseType as string, r.Properties]),
    );
    const expected: Record<string, string | undefined> = {
      UNAUTHORIZED: '401',
      ACCESS_DENIED: '403',
      THROTTLED: '429',
      REQUEST_TOO_LARGE: '413',
      MISSING_AUTHENTICATION_TOKEN: '404',
      DEFAULT_4XX: undefined,
      DEFAULT_5XX: undefined,
    };
    for (const [type, status] of Object.entries(expected)) {
      const response = byType.get(type);
      expect(response, type).toBeDefined();
      expect(response!.StatusCode).toBe(status);
      expect(response!.ResponseParameters).toMatchObject({ 'gatewayresponse.header.Content-Type': "'application/json'" });
      const body = (response!.ResponseTemplates as Record<string, string>)['application/json']!;
      // $context.error.messageString is substituted as a quoted JSON string: stand one in.
      const parsed = JSON.parse(body.replace('$context.error.messageString', '"m"')) as Record<string, unknown>;
      expect(Object.keys(parsed).sort(), type).toEqual(['details', 'error', 'message']);
      expect(Array.isArray(parsed.details)).toBe(true);
    }
    const unauthorized = JSON.parse((byType.get('UNAUTHORIZED')!.ResponseTemplates as Record<string, string>)['application/json']!);
    expect(unauthorized).toMatchObject({ error: 'Unauthorized', message: UNAUTHORIZED_MESSAGE });
  });
});

describe('bootstrap', () => {
  it('runs the bootstrap custom resource with stable properties only', () => {
    const custom = Object.values(resources).filter((r) => r.Type === 'Custom::StrataBootstrap');
    expect(custom).toHaveLength(1);
    expect(Object.keys(custom[0]!.Properties).sort()).toEqual(['DataMigrations', 'OperatorKeyParameter', 'ServiceToken', 'UsagePlanId']);
    // It runs again when a data migration is added: a stack deployed before projects moves its tenants' resources into their default projects.
    expect(custom[0]!.Properties.DataMigrations).toBe('projects-default');
    expect(custom[0]!.Properties.OperatorKeyParameter).toBe('/strata/StrataTest/operator-key');
    // It runs again when the plan is replaced: the new plan holds no tenant's usage key.
    expect(custom[0]!.Properties.UsagePlanId).toEqual({ Ref: logicalId(stack.api.tenantUsagePlan) });
  });
});

describe('outputs', () => {
  it('exports the API URLs, the secrets, the state machines and the table names', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'AgentApiUrl',
        'ApiUrl',
        'ArchiveBucketName',
        'AuditTableName',
        'ClusterSecretsKeyArn',
        'ConditionsTableName',
        'ConsoleUrl',
        'DefinitionsTableName',
        'DeleteStateMachineArn',
        'EventsTableName',
        'HealthFunctionName',
        'OperatorKeyParameter',
        'PlatformSecretParameter',
        'ProvisionStateMachineArn',
        'TelemetryTableName',
      ].sort(),
    );
    expect(outputs.PlatformSecretParameter!.Value).toBe(PLATFORM_SECRET);
    expect(outputs.ProvisionStateMachineArn!.Value).toEqual({ Ref: logicalId(stack.workflows.stateMachines.provision) });
    expect(outputs.DeleteStateMachineArn!.Value).toEqual({ Ref: logicalId(stack.workflows.stateMachines.delete) });
    expect(outputs.DefinitionsTableName!.Value).toEqual({ Ref: logicalId(stack.data.tables.definitions) });
    expect(outputs.OperatorKeyParameter!.Value).toBe('/strata/StrataTest/operator-key');
    expect(outputs.HealthFunctionName!.Value).toEqual({ Ref: logicalId(stack.health.scoreFunction) });
  });
});

describe('cdk-nag AwsSolutions', () => {
  // A fresh app, bundling skipped: the checks read the construct tree, not the bundles.
  const fastApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

  it('has zero unacknowledged findings, errors or warnings', () => {
    const nagStack = new StrataStack(fastApp(), 'StrataNag');
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(nagStack);
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('has none either on a stack upgraded from Secrets Manager (the copy grants)', () => {
    const nagStack = new StrataStack(fastApp(), 'StrataNagUpgrade', { legacySecrets: { platformSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:KeysPlatformSecret-AbCdEf', azure: true } });
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(nagStack);
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('does report findings on a stack that has them (the check is live)', () => {
    const bare = new Stack(fastApp(), 'Bare');
    new Bucket(bare, 'Plain');
    const report = new AwsSolutionsChecks().validateScope(bare);
    expect(report.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});
