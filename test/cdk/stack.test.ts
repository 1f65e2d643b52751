import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, AssetStaging, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_ENV, TABLES, type TableId } from '../../adapters/dynamodb/tables.js';
import { ROUTES } from '../../functions/api/routes.js';
import { StrataFunction } from '../../lib/strata-function.js';
import { StrataStack } from '../../lib/strata-stack.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const DYNAMODB_WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

// Bundling every handler with esbuild takes seconds: build the stack once and share the template.
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

beforeAll(() => {
  const app = new App();
  stack = new StrataStack(app, 'StrataTest');
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Resource>;
});

describe('data', () => {
  it('builds exactly the four tables of TABLES, on demand, with PITR, SSE and retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', Object.keys(TABLES).length);
    for (const [id, schema] of Object.entries(TABLES) as [TableId, (typeof TABLES)[TableId]][]) {
      const table = resource(stack.data.tables[id]);
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
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

  it('puts the TTL on expiresAt for definitions, events and telemetry', () => {
    template.resourcePropertiesCountIs('AWS::DynamoDB::Table', { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }, 3);
    for (const id of ['definitions', 'events', 'telemetry'] as const) {
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
  it('blocks public access, encrypts, expires archives after 30 days and logs access to the logs bucket', () => {
    const bucket = resource(stack.archives.bucket).Properties;
    expect(bucket).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(stack.archives.accessLogsBucket) } },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(bucket.VersioningConfiguration).toBeUndefined();
    expect(bucket.LifecycleConfiguration).toEqual({
      Rules: [expect.objectContaining({ ExpirationInDays: 30, Status: 'Enabled' })],
    });
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
  it('makes one function per distinct handler, plus the authorizer and the bootstrap', () => {
    const handlers = new Set(ROUTES.map((r) => r.handler));
    expect([...stack.api.handlers.keys()].sort()).toEqual([...handlers].sort());
    expect(strataFunctions()).toHaveLength(handlers.size + 2);
  });

  it('runs every Strata function on nodejs22.x, arm64, traced, 512 MB, with source maps and a log group with retention', () => {
    for (const fn of strataFunctions()) {
      const props = resource(fn).Properties;
      expect(props, fn.node.path).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'strata' }) },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
      const logGroupId = (props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resources[logGroupId]?.Properties.RetentionInDays, fn.node.path).toBe(30);
    }
  });

  it('bundles ESM with the createRequire banner and a source map', () => {
    const healthz = stack.api.handlers.get('healthz')!;
    const staging = healthz.node.findChild('Code').node.findChild('Stage') as AssetStaging;
    const bundle = readFileSync(join(staging.absoluteStagedPath, 'index.mjs'), 'utf8');
    expect(bundle.startsWith("import { createRequire as strataCreateRequire } from 'node:module';")).toBe(true);
    expect(existsSync(join(staging.absoluteStagedPath, 'index.mjs.map'))).toBe(true);
  });

  it('gives table env vars to every function that touches the tables, and none to healthz and openapi', () => {
    const withTables = strataFunctions().filter((fn) => !['healthz', 'openapi'].some((n) => stack.api.handlers.get(n as 'healthz') === fn));
    expect(withTables).toHaveLength(strataFunctions().length - 2);
    for (const fn of withTables) {
      const vars = (resource(fn).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const id of Object.keys(TABLES) as TableId[]) expect(vars[TABLE_ENV[id]], fn.node.path).toEqual({ Ref: logicalId(stack.data.tables[id]) });
      expect(vars.ARCHIVE_BUCKET).toEqual({ Ref: logicalId(stack.archives.bucket) });
    }
    for (const name of ['healthz', 'openapi'] as const) {
      const vars = (resource(stack.api.handlers.get(name)!).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(vars).sort()).toEqual(['NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME']);
    }
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

  it('lets the data handlers read and write definitions, and healthz and openapi touch no table', () => {
    for (const [name, fn] of stack.api.handlers) {
      const actions = actionsOf(statementsOfRole(roleOf(fn)));
      if (name === 'healthz' || name === 'openapi') {
        expect(actions.filter((a) => a.startsWith('dynamodb:')), name).toEqual([]);
      } else {
        expect(actions, name).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', ...DYNAMODB_WRITES]));
      }
    }
  });

  it('lets the bootstrap read its secret and write definitions', () => {
    const statements = statementsOfRole(roleOf(stack.bootstrap.function));
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: expect.arrayContaining(['secretsmanager:GetSecretValue']),
          Resource: { Ref: logicalId(stack.bootstrap.operatorKey) },
        }),
      ]),
    );
    expect(actionsOf(statements)).toEqual(expect.arrayContaining(DYNAMODB_WRITES));
  });
});

describe('api', () => {
  it('has a cached REQUEST authorizer on the Authorization header', () => {
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 60,
    });
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

  it('leaves GET /healthz and GET /v1/openapi.json open', () => {
    const open = stack.api.api.methods.filter((m) => resource(m).Properties.AuthorizationType === 'NONE');
    expect(open.map((m) => `${m.httpMethod} ${m.resource.path}`).sort()).toEqual(['GET /healthz', 'GET /v1/openapi.json']);
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
    expect(unauthorized).toMatchObject({ error: 'Unauthorized', message: 'a valid API key is required: Authorization: Bearer <key>' });
  });
});

describe('bootstrap', () => {
  it('generates a 48-character operator key without punctuation', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: 'Strata first platform-operator API key',
      GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 48 },
    });
  });

  it('runs the bootstrap custom resource with stable properties only', () => {
    const custom = Object.values(resources).filter((r) => r.Type === 'Custom::StrataBootstrap');
    expect(custom).toHaveLength(1);
    expect(Object.keys(custom[0]!.Properties).sort()).toEqual(['OperatorKeySecretArn', 'ServiceToken']);
    expect(custom[0]!.Properties.OperatorKeySecretArn).toEqual({ Ref: logicalId(stack.bootstrap.operatorKey) });
  });
});

describe('outputs', () => {
  it('exports the API URL, the operator key secret and the table names', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(
      ['ApiUrl', 'ArchiveBucketName', 'ConditionsTableName', 'DefinitionsTableName', 'EventsTableName', 'OperatorKeySecretArn', 'TelemetryTableName'].sort(),
    );
    expect(outputs.DefinitionsTableName!.Value).toEqual({ Ref: logicalId(stack.data.tables.definitions) });
    expect(outputs.OperatorKeySecretArn!.Value).toEqual({ Ref: logicalId(stack.bootstrap.operatorKey) });
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

  it('does report findings on a stack that has them (the check is live)', () => {
    const bare = new Stack(fastApp(), 'Bare');
    new Bucket(bare, 'Plain');
    const report = new AwsSolutionsChecks().validateScope(bare);
    expect(report.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});
