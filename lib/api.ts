import { UNAUTHORIZED_MESSAGE } from '../core/errors.js';
import { ArnFormat, Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  ApiKeySourceType,
  AuthorizationType,
  IdentitySource,
  Integration,
  IntegrationType,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestAuthorizer,
  ResponseType,
  RestApi,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { IStateMachine, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TableId } from '../adapters/dynamodb/tables.js';
import { AUTHORIZER_CACHE_SECONDS, AUTHORIZER_ENTRY, type HandlerName, ROUTES, handlerEntry } from '../functions/api/routes.js';
import type { StrataData, TableAccess } from './data.js';
import type { StrataKeys } from './keys.js';
import { COMPLIANCE_PREFIX, LOGS_PREFIX, type StrataArchives } from './archives.js';
import { StrataFunction } from './strata-function.js';
import { workflowArnEnv } from '../adapters/workflows/workflows.js';
import { type WorkflowId, grantCloudAccess, stateMachineName } from './workflows.js';
import type { StrataPatchSchedules } from './patch-schedules.js';
import { SUPERSEDED_WORKFLOWS } from '../functions/workflows/registry.js';
import { isAudited } from '../core/audit.js';
import { TENANT_RATE_LIMITS } from '../core/rate-limits.js';
import { USAGE_PLAN_ID_PARAMETER_ENV } from '../adapters/apigateway/usage-plan.js';
import { grantTenantUsageKeys } from './usage-keys.js';

export interface StrataApiProps {
  /** The tables: each handler gets the access HANDLER_ACCESS gives it, the authorizer read-only on definitions. */
  readonly data: StrataData;
  /**
   * The lifecycle workflows. Handlers that start them (HANDLER_ACCESS startsWorkflows) get
   * states:StartExecution on each and its ARN as PROVISION_STATE_MACHINE_ARN / DELETE_STATE_MACHINE_ARN.
   */
  readonly stateMachines: Readonly<Record<WorkflowId, StateMachine>>;
  /** The cluster-secrets key: handlers that open sealed CA keys (HANDLER_ACCESS opensClusterSecrets) may decrypt with it, for that purpose only. */
  readonly keys: StrataKeys;
  /** The archive bucket: handlers that sign download URLs or check log bundles (HANDLER_ACCESS downloadsArchives, checksLogArchives). */
  readonly archives: StrataArchives;
  /** The patch schedule group: handlers that manage schedules (HANDLER_ACCESS managesPatchSchedules) get it. */
  readonly patchSchedules: StrataPatchSchedules;
  /**
   * Environment for every function that touches the tables (table names, archive bucket name).
   * Handlers with no table access (healthz, openapi) do not get it.
   */
  readonly environment: Record<string, string>;
  /**
   * Deployment stage. The route paths already carry their version (/v1/...).
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Steady-state requests per second across the stage.
   * @default 50
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst capacity across the stage.
   * @default 100
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Concurrency reserved for (and capping) each handler and the authorizer, so the API keeps
   * capacity whatever else runs in the account. Undefined reserves none.
   * @default 10
   */
  readonly reservedConcurrency?: number;
  /**
   * Retention of the stage's access log.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly accessLogRetention?: RetentionDays;
}

/** One table a handler may touch, and how. */
export interface TableGrant {
  readonly table: TableId;
  readonly access: TableAccess;
}

/** What one API handler may touch. */
export interface HandlerAccess {
  /** The tables it reads or writes; none means it gets no table environment either. */
  readonly tables: readonly TableGrant[];
  /** Whether it starts the provision and delete workflows (states:StartExecution on both). */
  readonly startsWorkflows?: boolean;
  /** Whether it starts the notify workflow only (a published profile revision is announced to its clusters). */
  readonly startsNotifications?: boolean;
  /** Whether it starts the patch-os workflow only (a patch run asked for). */
  readonly startsPatchRuns?: boolean;
  /** Whether it makes, changes and deletes clusters' patch schedules in EventBridge Scheduler. */
  readonly managesPatchSchedules?: boolean;
  /**
   * Whether it manages cloud accounts: stores Azure client secrets under <path>/tenants/ and checks
   * credentials (assumes customer roles, reads those secrets).
   */
  readonly cloudAccounts?: boolean;
  /** Whether it asks customers' clouds (assumes their roles, reads Azure secrets): what a region offers. */
  readonly cloud?: boolean;
  /** Whether it opens a cluster's sealed CA keys (kms:Decrypt under the cluster-pki encryption context). */
  readonly opensClusterSecrets?: boolean;
  /** Which archives it signs download URLs of (s3:GetObject under that prefix only). */
  readonly downloadsArchives?: typeof LOGS_PREFIX | typeof COMPLIANCE_PREFIX;
  /** Whether it checks a reported log bundle's size and deletes one over the cap. */
  readonly checksLogArchives?: boolean;
}

const DEFINITIONS_READWRITE: HandlerAccess = { tables: [{ table: 'definitions', access: 'readwrite' }] };

/**
 * What each handler may touch. A Record over every HandlerName, so a new handler does not compile
 * until someone decides its access.
 */
export const HANDLER_ACCESS: Readonly<Record<HandlerName, HandlerAccess>> = {
  tenants: DEFINITIONS_READWRITE,
  apikeys: DEFINITIONS_READWRITE,
  // Projects: their items in the tenant's partition.
  projects: DEFINITIONS_READWRITE,
  registries: DEFINITIONS_READWRITE,
  packs: DEFINITIONS_READWRITE,
  profiles: { ...DEFINITIONS_READWRITE, startsNotifications: true },
  cloudaccounts: { ...DEFINITIONS_READWRITE, cloudAccounts: true },
  // Lists images; DELETE removes one from the customer's cloud (deregister, delete its snapshots).
  images: { ...DEFINITIONS_READWRITE, cloud: true },
  clusters: {
    tables: [
      { table: 'definitions', access: 'readwrite' },
      { table: 'conditions', access: 'read' },
    ],
    startsWorkflows: true,
    cloud: true,
    // A cluster made or changed with a patch frequency gets its schedule.
    managesPatchSchedules: true,
  },
  // OS patching: the settings and their schedule, patch now (a patch-os execution), the runs.
  ospatch: { ...DEFINITIONS_READWRITE, startsPatchRuns: true, managesPatchSchedules: true },
  // Profile updates: reads the clusters' profiles, writes the new generation and its history, starts the reconciler; reads reported pack status.
  updates: {
    tables: [
      { table: 'definitions', access: 'readwrite' },
      { table: 'events', access: 'readwrite' },
      { table: 'telemetry', access: 'read' },
    ],
    startsWorkflows: true,
  },
  // GET conditions | events | nodes: a view, it never writes.
  clusterstatus: {
    tables: [
      { table: 'definitions', access: 'read' },
      { table: 'conditions', access: 'read' },
      { table: 'events', access: 'read' },
      { table: 'telemetry', access: 'read' },
    ],
  },
  // Reads the cluster and its PKI, opens the CA key to sign one client certificate, records the event.
  kubeconfig: {
    tables: [
      { table: 'definitions', access: 'read' },
      { table: 'events', access: 'readwrite' },
    ],
    opensClusterSecrets: true,
  },
  // Log bundles: the request and its collectLogs command; download URLs; the size check of a bundle the agent API could not finish.
  logs: { ...DEFINITIONS_READWRITE, downloadsArchives: LOGS_PREFIX, checksLogArchives: true },
  // kube-bench runs: reads them, signs the raw report's URL; a scan is a runCisScan command.
  compliance: { ...DEFINITIONS_READWRITE, downloadsArchives: COMPLIANCE_PREFIX },
  // Quotas: reads the tenant's clusters to count them, writes the quota item.
  quotas: DEFINITIONS_READWRITE,
  // Sign-in settings and the look-up by provider client; the token exchange with the tenant's provider needs no AWS access.
  sso: DEFINITIONS_READWRITE,
  // The audit log's reader: queries it, never writes it.
  audit: { tables: [{ table: 'audit', access: 'read' }] },
  openapi: { tables: [] },
  healthz: { tables: [] },
};

/** Why a public route needs no authorizer: it answers before anyone has a key or a token. */
const publicReason = (route: { method: string; path: string }) =>
  `${route.method} ${route.path} is public by design: ${route.path.startsWith('/v1/signin/') ? 'sign-in happens before the caller holds a token, and the answer says only where to sign in or exchanges a code only the caller holds' : 'it must answer without an API key'}.`;


/** API Gateway's own errors, in the body shape the handlers use: {error, message, details}. */
const GATEWAY_RESPONSES: ReadonlyArray<{ type: ResponseType; statusCode?: string; body: string; headers?: Record<string, string> }> = [
  {
    type: ResponseType.UNAUTHORIZED,
    statusCode: '401',
    body: JSON.stringify({
      error: 'Unauthorized',
      message: UNAUTHORIZED_MESSAGE,
      details: [{ path: 'headers.authorization', message: UNAUTHORIZED_MESSAGE }],
    }),
    headers: { 'WWW-Authenticate': "'Bearer'" },
  },
  {
    type: ResponseType.ACCESS_DENIED,
    statusCode: '403',
    body: JSON.stringify({ error: 'Forbidden', message: 'this API key may not call this route', details: [] }),
  },
  {
    // Without IAM authorization this only happens for a path or method no route serves.
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: '404',
    body: JSON.stringify({ error: 'NotFound', message: 'no route serves this method and path', details: [] }),
  },
  {
    type: ResponseType.THROTTLED,
    statusCode: '429',
    body: JSON.stringify({ error: 'TooManyRequests', message: 'request rate limit exceeded; retry after a short wait', details: [] }),
    headers: { 'Retry-After': "'1'" },
  },
  {
    type: ResponseType.REQUEST_TOO_LARGE,
    statusCode: '413',
    body: JSON.stringify({ error: 'PayloadTooLarge', message: 'request exceeds the API Gateway size limit', details: [{ path: 'body', message: 'too large' }] }),
  },
  {
    // $context.error.messageString is already a quoted JSON string.
    type: ResponseType.DEFAULT_4XX,
    body: '{"error":"BadRequest","message":$context.error.messageString,"details":[]}',
  },
  {
    type: ResponseType.DEFAULT_5XX,
    body: '{"error":"InternalError","message":"internal error; quote request id $context.requestId","details":[]}',
  },
];

/**
 * The REST API, built from ROUTES (the same table the local runtime dispatches with): a resource
 * per path segment, one function per handler, a Lambda integration per route, a cached REQUEST
 * authorizer on every non-public route, a throttled, traced and logged stage, and gateway errors
 * in the project's JSON error shape.
 */
export class StrataApi extends Construct {
  public readonly api: RestApi;
  public readonly authorizerFunction: StrataFunction;
  public readonly handlers: ReadonlyMap<HandlerName, StrataFunction>;
  /** Each tenant's request rate (TENANT_RATE_LIMITS), by the usage identifier key the authorizer names. */
  public readonly tenantUsagePlan: UsagePlan;

  constructor(scope: Construct, id: string, props: StrataApiProps) {
    super(scope, id);
    const stageName = props.stageName ?? 'prod';
    const rateLimit = props.throttlingRateLimit ?? 50;
    const burstLimit = props.throttlingBurstLimit ?? 100;
    if (!/^[A-Za-z0-9_]+$/.test(stageName)) throw new Error(`StrataApi: stageName "${stageName}" may hold only letters, digits and _`);
    if (!(rateLimit > 0) || !(burstLimit > 0)) throw new Error('StrataApi: throttling limits must be positive');
    if (ROUTES.length === 0) throw new Error('StrataApi: ROUTES is empty');
    const reserved = props.reservedConcurrency ?? 10;
    if (!Number.isInteger(reserved) || reserved < 1) throw new Error(`StrataApi: reservedConcurrency ${reserved} must be a positive integer`);

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.accessLogRetention ?? RetentionDays.THREE_MONTHS });

    this.api = new RestApi(this, 'Api', {
      description: 'Strata control plane REST API',
      // The usage plan's key comes from the authorizer's decision (usageIdentifierKey): clients never send one.
      apiKeySourceType: ApiKeySourceType.AUTHORIZER,
      cloudWatchRole: true,
      deployOptions: {
        stageName,
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.INFO,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    // RestApi adds its own `Endpoint` output; the stack exports the URL once, as ApiUrl.
    this.api.node.tryRemoveChild('Endpoint');
    // Per tenant, inside the stage's limits, on the methods that require an API key (the key being the
    // tenant's, named by the authorizer). A throttled request gets the THROTTLED response, counts in
    // the stage's 4XXError metric and never reaches a handler, so it writes nothing.
    this.tenantUsagePlan = this.api.addUsagePlan('TenantUsagePlan', {
      description: "Strata: each tenant's request rate and burst (core/rate-limits.ts)",
      throttle: { rateLimit: TENANT_RATE_LIMITS.ratePerSecond, burstLimit: TENANT_RATE_LIMITS.burst },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-level CloudWatch role; AmazonAPIGatewayPushToCloudWatchLogs is the AWS-documented policy for it and access and execution logs need it.",
      },
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'Bodies are validated by zod in each handler, which returns field-level errors ({error, message, details}); an API Gateway validator would answer in its own shape first.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF web ACL by default: every route but /healthz and /v1/openapi.json needs an API key checked by the authorizer, and the stage is throttled. Attach a WAFv2 ACL per deployment where managed rule sets are wanted.',
      },
    );

    for (const response of GATEWAY_RESPONSES) {
      this.api.addGatewayResponse(response.type.responseType, {
        type: response.type,
        statusCode: response.statusCode,
        responseHeaders: { 'Content-Type': "'application/json'", 'Cache-Control': "'no-store'", ...response.headers },
        templates: { 'application/json': response.body },
      });
    }

    this.authorizerFunction = new StrataFunction(this, 'AuthorizerFunction', {
      entry: AUTHORIZER_ENTRY,
      description: 'Strata API: REQUEST authorizer for API keys and ID tokens of tenant identity providers',
      environment: props.environment,
      reservedConcurrentExecutions: reserved,
    });
    props.data.grant('definitions', this.authorizerFunction, 'read');
    const authorizer = new RequestAuthorizer(this, 'ApiKeyAuthorizer', {
      handler: this.authorizerFunction,
      identitySources: [IdentitySource.header('Authorization')],
      resultsCacheTtl: Duration.seconds(AUTHORIZER_CACHE_SECONDS),
    });

    const handlers = new Map<HandlerName, StrataFunction>();
    const handlerFor = (name: HandlerName): StrataFunction => {
      let fn = handlers.get(name);
      if (!fn) {
        const access = HANDLER_ACCESS[name];
        const workflowEnv: Record<string, string> = {};
        if (access.startsWorkflows) {
          for (const [workflow, sm] of Object.entries(props.stateMachines) as [WorkflowId, IStateMachine][]) {
            workflowEnv[workflowArnEnv(workflow)] = sm.stateMachineArn;
          }
        }
        if (access.startsNotifications) workflowEnv[workflowArnEnv('notify')] = props.stateMachines.notify.stateMachineArn;
        if (access.startsPatchRuns) workflowEnv[workflowArnEnv('patch')] = props.stateMachines.patch.stateMachineArn;
        fn = new StrataFunction(this, `${name.charAt(0).toUpperCase()}${name.slice(1)}Handler`, {
          entry: handlerEntry(name),
          description: `Strata API: ${name}`,
          environment: access.tables.length === 0 ? workflowEnv : { ...props.environment, ...workflowEnv },
          reservedConcurrentExecutions: reserved,
        });
        if (access.cloud) grantCloudAccess(fn, props.keys);
        if (access.opensClusterSecrets) props.keys.grantOpen(fn);
        if (access.downloadsArchives) props.archives.grantDownloads(fn, access.downloadsArchives);
        if (access.checksLogArchives) props.archives.grantLogChecks(fn);
        if (access.cloudAccounts) {
          grantCloudAccess(fn, props.keys, true);
          // The simulated cloud exists only in the local runtime; customer roles trust this account.
          fn.addEnvironment('CLOUD_ACCOUNT_TYPES', 'aws,azure');
          fn.addEnvironment('STRATA_AWS_PRINCIPAL', Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'root', resourceName: undefined, arnFormat: ArnFormat.NO_RESOURCE_NAME }));
        }
        for (const grant of access.tables) props.data.grant(grant.table, fn, grant.access);
        // Every handler of a recorded route appends its audit entries (core/audit.ts).
        if (ROUTES.some((r) => r.handler === name && !r.public && isAudited(r))) props.data.grant('audit', fn, 'append');
        if (access.startsNotifications) props.stateMachines.notify.grantStartExecution(fn);
        if (access.startsPatchRuns) props.stateMachines.patch.grantStartExecution(fn);
        if (access.managesPatchSchedules) props.patchSchedules.grantManage(fn);
        if (access.startsWorkflows) {
          for (const sm of Object.values(props.stateMachines)) sm.grantStartExecution(fn);
          // A cluster update supersedes the previous generation's provisioning or reconcile execution.
          for (const workflow of SUPERSEDED_WORKFLOWS) {
            const executions = Stack.of(this).formatArn({ service: 'states', resource: 'execution', resourceName: `${stateMachineName(Stack.of(this), workflow)}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
            fn.addToRolePolicy(new PolicyStatement({ actions: ['states:StopExecution'], resources: [executions] }));
            Validations.of(fn).acknowledge({
              id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${stateMachineName(Stack.of(this), workflow)}:*]`,
              reason: `Stopping the ${workflow} state machine executions a cluster update supersedes (names are per cluster and generation), of that state machine only.`,
            });
          }
        }
        // One invoke permission per handler, for this API's stage and methods: a permission per
        // method (what LambdaIntegration adds) would cost a resource per route in a stack capped at 500.
        fn.addPermission('InvokeFromApi', { principal: new ServicePrincipal('apigateway.amazonaws.com'), sourceArn: this.api.arnForExecuteApi('*', '/*', '*') });
        handlers.set(name, fn);
      }
      return fn;
    };
    /** The Lambda proxy integration of a handler, with no permission of its own (the handler's one above covers it). */
    const integrationOf = (fn: StrataFunction) =>
      new Integration({
        type: IntegrationType.AWS_PROXY,
        integrationHttpMethod: 'POST',
        uri: `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}:lambda:path/2015-03-31/functions/${fn.functionArn}/invocations`,
      });

    for (const route of ROUTES) {
      const resource = this.api.root.resourceForPath(route.path);
      const integration = integrationOf(handlerFor(route.handler));
      if (route.public) {
        const method = resource.addMethod(route.method, integration, { authorizationType: AuthorizationType.NONE });
        Validations.of(method).acknowledge(
          { id: 'AwsSolutions-APIG4', reason: publicReason(route) },
          { id: 'AwsSolutions-COG4', reason: publicReason(route) },
        );
      } else {
        // The tenant's usage key (named by the authorizer) is what puts the request in the tenant usage plan.
        const method = resource.addMethod(route.method, integration, { authorizationType: AuthorizationType.CUSTOM, authorizer, apiKeyRequired: true });
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason:
            "Strata authenticates API keys and ID tokens of each tenant's own OpenID provider (Authorization: Bearer) with a Lambda REQUEST authorizer; a Cognito authorizer would serve one user pool, not a provider per tenant.",
        });
      }
    }
    this.handlers = handlers;
    // A tenant made through the API gets its usage key in the plan before it exists. The handler
    // cannot refer to the plan (the plan waits for the stage, the stage for the handler's methods):
    // it reads the plan's id from a parameter whose name it is given.
    const tenantsHandler = handlers.get('tenants')!;
    const usagePlanIdName = `${props.keys.secretsPath}/usage-plan-id`;
    new StringParameter(this, 'UsagePlanIdParameter', {
      parameterName: usagePlanIdName,
      stringValue: this.tenantUsagePlan.usagePlanId,
      description: "Strata: the tenant usage plan's id, for the tenants handler",
    });
    tenantsHandler.addEnvironment(USAGE_PLAN_ID_PARAMETER_ENV, usagePlanIdName);
    tenantsHandler.addToRolePolicy(
      new PolicyStatement({ actions: ['ssm:GetParameter'], resources: [Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: usagePlanIdName.slice(1) })] }),
    );
    grantTenantUsageKeys(this, 'TenantsHandlerUsageKeys', tenantsHandler, this.tenantUsagePlan);
  }
}
