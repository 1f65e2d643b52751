import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateApiKey } from '../core/api-keys.js';
import { bootstrapPlatform } from '../adapters/dynamodb/bootstrap.js';
import { simulatedCloud, type SimulatedCloud } from '../adapters/cloud/simulated/simulated-cloud.js';
import { startGateway } from './api-gateway.js';
import { localControls } from './faults.js';
import { serveAgentApi } from './function-url.js';
import { SimulatedAgents } from './simulated-agents.js';
import { SimulatedBuilders } from './simulated-builders.js';
import { LocalStepFunctions, stateMachineArn } from './step-functions.js';
import { WORKFLOWS, type WorkflowId } from '../functions/workflows/registry.js';
import { workflowArnEnv } from '../adapters/workflows/workflows.js';
import { LocalLambda } from './lambda-api.js';
import { LocalScheduler } from './scheduler.js';
import { startLocalEventRules } from './event-rules.js';
import { LocalSchedulerService } from './scheduler-service.js';
import { SWEEP_SCHEDULE } from '../functions/health/schedule.js';
import { createTables, startDynamoLocal, type DynamoLocal } from './dynamodb-local.js';
import { LOCAL_ACCESS_KEY, startS3Local, type S3Local } from './s3-local.js';
import { LocalClock } from './clock.js';
import { useClock } from '../core/clock.js';
import { startLocalKms } from './kms.js';
import { startLocalSsm } from './ssm.js';
import { putSecret, SECRETS_PATH_ENV } from '../adapters/secrets/secrets-store.js';
import { PLATFORM_SECRET_ENV } from '../adapters/secrets/platform-secret.js';
import { secretParameterName } from '../core/cloud-accounts.js';
import { agentBundle } from '../agent/build.js';
import { prepareConsole, serveConsole } from './console.js';
import { TENANT_RATE_LIMITS, type RateLimits } from '../core/rate-limits.js';
import { TenantThrottle } from './tenant-throttle.js';
import { LOCAL_SSO_CLIENT_ID, LOCAL_SSO_GROUP_ROLES, startIdentityProvider } from './identity-provider.js';
import { getSsoConfig, putSsoConfig } from '../adapters/dynamodb/sso-store.js';
import { DEFAULT_TENANT_ID } from '../core/tenants.js';

export interface RuntimeOptions {
  /** HTTP port of the API; 0 picks a free one. */
  readonly port?: number;
  readonly host?: string;
  /** Persist DynamoDB Local and s3rver data here; in memory when absent. */
  readonly dataDir?: string;
  /** The operator/admin key of tenant "default"; generated when absent. */
  readonly apiKey?: string;
  /** Use an already running DynamoDB Local instead of starting one (tests share one). */
  readonly dynamoEndpoint?: string;
  /** Prefix of the table names, so several runtimes can share one DynamoDB Local. */
  readonly tablePrefix?: string;
  readonly accessLog?: boolean;
  /** Simulated cloud and agent timings (ms); the defaults feel like a small real cloud, sped up. */
  readonly bootMs?: number;
  /** A made or copied image's pending time, and a simulated builder's playbook time (ms): bootMs when only that is given. */
  readonly imageMs?: number;
  readonly bakeMs?: number;
  readonly agentIntervalMs?: number;
  /**
   * Shorten every workflow Wait to at most this long (ms), for tests and benches that do not care
   * about time. By default waits last what they say, on the runtime's clock.
   */
  readonly workflowWaitMs?: number;
  /** Run the health sweep this often instead of its schedule's rate(1 minute). */
  readonly sweepIntervalMs?: number;
  /** A lower size cap for log bundles than the deployed 100 MiB (tests of an oversized upload). */
  readonly logBundleMaxBytes?: number;
  /**
   * Each tenant's request rate limits, as the usage plan applies them on AWS; `false` for none
   * (tests and benches that send bursts from one tenant on purpose).
   * @default TENANT_RATE_LIMITS
   */
  readonly rateLimits?: RateLimits | false;
  /** Port of the built-in OpenID Connect provider (sign-in with the trial users); 0 or absent picks a free one. */
  readonly oidcPort?: number;
}

export interface Runtime {
  readonly url: string;
  readonly apiKey: string;
  readonly dynamoEndpoint: string;
  readonly s3Endpoint: string;
  readonly cloud: SimulatedCloud;
  readonly workflows: LocalStepFunctions;
  readonly lambda: LocalLambda;
  readonly agents: SimulatedAgents;
  /** The simulated image builders: what each builder's playbook and signal came to. */
  readonly builders: SimulatedBuilders;
  /** The runtime's clock: `advance(ms)` moves workflows, deadlines, the scheduler and the simulated cloud forward. */
  readonly clock: LocalClock;
  /** The EventBridge rules' schedules (the health sweep). */
  readonly scheduler: LocalScheduler;
  /** EventBridge Scheduler (the patch schedules): its schedules, and each start it made. */
  readonly schedules: LocalSchedulerService;
  /** Issuer of the built-in OpenID Connect provider, `http://127.0.0.1:<port>`. */
  readonly oidcIssuer: string;
  stop(): Promise<void>;
}

/**
 * Tenant default signs in through the built-in provider, whose port (so issuer) is new each start.
 * Settings an admin made for another provider are kept.
 */
async function seedLocalSignIn(issuer: string): Promise<void> {
  const current = await getSsoConfig(DEFAULT_TENANT_ID);
  const builtIn = !current || (current.clientId === LOCAL_SSO_CLIENT_ID && current.issuer.startsWith('http://127.0.0.1:'));
  if (!builtIn || current?.issuer === issuer) return;
  await putSsoConfig({
    tenantId: DEFAULT_TENANT_ID,
    issuer,
    clientId: LOCAL_SSO_CLIENT_ID,
    groupsClaim: 'groups',
    // The built-in provider releases groups under their own scope, and refresh tokens with offline_access.
    scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'],
    groupRoles: LOCAL_SSO_GROUP_ROLES.map((g) => ({ ...g })),
    updatedAt: new Date().toISOString(),
  });
}

/**
 * The whole control plane on one machine: DynamoDB Local, s3rver, and the API Gateway
 * emulation running the same handlers. The real SDK clients reach the local endpoints
 * through the SDK's standard AWS_ENDPOINT_URL_* variables, so no handler knows the mode.
 */
export async function startRuntime(opts: RuntimeOptions = {}): Promise<Runtime> {
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  // One clock for everything in this process: tests move it forward instead of sleeping.
  const clock = new LocalClock();
  useClock(clock);
  stops.push(async () => useClock());
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    let dynamo: DynamoLocal | undefined;
    const dynamoEndpoint = opts.dynamoEndpoint ?? (dynamo = await startDynamoLocal({ dataDir })).endpoint;
    if (dynamo) stops.push(dynamo.stop);
    const s3: S3Local = await startS3Local({ dataDir });
    stops.push(s3.stop);
    // KMS and Parameter Store: the calls Strata makes, on loopback, for the same SDK clients.
    const kms = await startLocalKms(Buffer.from(rememberedKey(dataDir, 'kms-master-key', () => randomBytes(32).toString('base64')), 'base64'));
    stops.push(kms.stop);
    const ssm = await startLocalSsm(dataDir ? join(dataDir, 'ssm.json') : undefined);
    stops.push(ssm.stop);
    const platformSecretValue = rememberedKey(dataDir, 'platform-secret', () => randomBytes(32).toString('base64url'));

    const tables = await createTables(dynamoEndpoint, opts.tablePrefix ?? 'strata-');
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_ACCESS_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_ACCESS_KEY.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_KMS: kms.endpoint,
      AWS_ENDPOINT_URL_SSM: ssm.endpoint,
      CLUSTER_SECRETS_KEY_ARN: kms.keyArn,
      [SECRETS_PATH_ENV]: LOCAL_SECRETS_PATH,
      // The simulated cloud is this runtime's own; a deployed stack refuses local accounts.
      CLOUD_ACCOUNT_TYPES: 'aws,azure,local',
      // The built-in identity provider speaks plain http on loopback; a deployed stack takes https issuers only.
      SSO_LOOPBACK_ISSUERS: 'allow',
      STRATA_AWS_PRINCIPAL: 'arn:aws:iam::000000000000:root',
      ARCHIVE_BUCKET: s3.bucket,
      ...(opts.logBundleMaxBytes ? { LOG_BUNDLE_MAX_BYTES: String(opts.logBundleMaxBytes) } : {}),
      POWERTOOLS_LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN',
      ...tables,
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;

    if (dataDir) await importLocalSecrets(join(dataDir, 'secrets.json'));

    const apiKey = opts.apiKey ?? process.env.STRATA_API_KEY ?? rememberedKey(dataDir, 'operator-key', generateApiKey);
    await bootstrapPlatform(apiKey);

    // Step Functions: the real SFN client, pointed at a local endpoint running the same ASL.
    const workflows = new LocalStepFunctions({ clock, waitMs: opts.workflowWaitMs });
    stops.push(() => workflows.stop());
    const sfnEndpoint = await workflows.start();
    // Lambda Invoke API for the functions the control plane calls by name (health scoring).
    const lambda = new LocalLambda();
    const lambdaEndpoint = await lambda.start();
    stops.push(() => lambda.stop());
    const scheduler = new LocalScheduler(clock);
    stops.push(async () => scheduler.stop());
    // EventBridge Scheduler for the patch schedules: fires on the same clock, starts executions in-process.
    const schedules = new LocalSchedulerService({
      clock,
      startExecution: (arn, name, input) => workflows.startExecution(arn, name, input),
      groups: [PATCH_SCHEDULE_GROUP],
      file: dataDir ? join(dataDir, 'schedules.json') : undefined,
    });
    const schedulerEndpoint = await schedules.start();
    stops.push(() => schedules.stop());
    const cloud = simulatedCloud();
    cloud.settings.bootMs = opts.bootMs ?? 1500;
    cloud.settings.terminateMs = Math.min(cloud.settings.bootMs, 500);
    cloud.settings.stopMs = cloud.settings.terminateMs;
    cloud.settings.imageMs = opts.imageMs ?? opts.bootMs ?? 1500;
    cloud.settings.bakeMs = opts.bakeMs ?? opts.bootMs ?? 2000;
    cloud.settings.sleep = (ms, signal) => clock.sleep(ms, signal);
    const agents = new SimulatedAgents(cloud, { intervalMs: opts.agentIntervalMs ?? 2000 });
    stops.push(async () => agents.stop());
    const builders = new SimulatedBuilders(cloud);
    stops.push(async () => builders.stop());

    const controls = localControls(cloud, workflows, apiKey, builders);
    const throttle = new TenantThrottle(opts.rateLimits ?? TENANT_RATE_LIMITS);
    // The web console, same origin as the API: built now if console/dist is missing or stale.
    const consoleBuild = await prepareConsole();
    // The agent control-plane nodes download (and check by its sha256): built now if missing or stale.
    const agent = agentBundle();
    const gateway = await startGateway({
      port: opts.port ?? 8787,
      host: opts.host,
      accessLog: opts.accessLog,
      throttle,
      extra: async (req, body) =>
        (await serveAgentApi(req, body)) ?? schedules.localControl(req, apiKey) ?? throttle.localControl(req, apiKey) ?? (await controls(req, body)) ?? (await serveConsole(req)),
    });
    stops.push(gateway.stop);
    if (consoleBuild.state === 'built') console.log(`Console built (${(consoleBuild.ms / 1000).toFixed(1)} s): ${gateway.url}/`);
    if (consoleBuild.state === 'unavailable') console.warn(`Console not available (${consoleBuild.reason}); the API runs without it.`);
    // After the gateway: the console's redirect URI is the gateway's own URL.
    const identityProvider = await startIdentityProvider({ port: opts.oidcPort, consoleRedirectUri: `${gateway.url}/` });
    stops.push(identityProvider.stop);
    await seedLocalSignIn(identityProvider.issuer);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SFN: sfnEndpoint,
      AWS_ENDPOINT_URL_SCHEDULER: schedulerEndpoint,
      PATCH_SCHEDULE_GROUP,
      // The schedules' target, PATCH_STATE_MACHINE_ARN, is the patch workflow's, set with the others below.
      PATCH_SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/strata-patch-scheduler',
      ...Object.fromEntries((Object.keys(WORKFLOWS) as WorkflowId[]).map((id) => [workflowArnEnv(id), stateMachineArn(id)])),
      [PLATFORM_SECRET_ENV]: await putPlatformSecret(platformSecretValue),
      // Only for tests and benches that act as a cluster's agent and mint its token: no handler reads it.
      PLATFORM_SECRET: platformSecretValue,
      AGENT_API_URL: gateway.url,
      AGENT_BUNDLE_PATH: agent.path,
      AGENT_BUNDLE_SHA256: agent.sha256,
      AWS_ENDPOINT_URL_LAMBDA: lambdaEndpoint,
      HEALTH_FUNCTION_NAME: 'strata-health',
      // Agents here report every second or two: see desired-state changes as quickly.
      HEARTBEAT_CLUSTER_CACHE_MS: String(Math.min(15_000, opts.agentIntervalMs ?? 2000)),
    });
    scheduler.add({ name: 'health-sweep', expression: SWEEP_SCHEDULE, everyMs: opts.sweepIntervalMs, run: () => import('../functions/health/sweep.js') });
    // The sweep switches its own schedule off while no cluster reports, through EventBridge's rule calls.
    const rules = await startLocalEventRules(scheduler);
    stops.push(rules.stop);
    // Scheduled runs end first: a sweep is not cut off mid-run by the services it calls going away.
    stops.push(async () => scheduler.stop());
    Object.assign(process.env, { AWS_ENDPOINT_URL_EVENTBRIDGE: rules.endpoint, SWEEP_RULE_NAME: 'health-sweep' });
    return { url: gateway.url, apiKey, dynamoEndpoint, s3Endpoint: s3.endpoint, cloud, workflows, lambda, agents, builders, clock, schedules, scheduler, oidcIssuer: identityProvider.issuer, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The Scheduler group of the clusters' patch schedules (the stack's on AWS). */
const PATCH_SCHEDULE_GROUP = 'strata-patch';

/** The local runtime's parameter path, as /strata/<stack> is a deployed stack's. */
const LOCAL_SECRETS_PATH = '/strata/local';

async function putPlatformSecret(value: string): Promise<string> {
  const name = `${LOCAL_SECRETS_PATH}/platform-secret`;
  await putSecret(name, value);
  return name;
}

/**
 * A data dir from before Parameter Store kept the Azure client secrets in secrets.json: each goes
 * to the parameter its account's secretRef now names, once (the file is renamed when done).
 */
async function importLocalSecrets(file: string): Promise<void> {
  if (!existsSync(file)) return;
  const old = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  for (const [name, value] of Object.entries(old)) {
    if (name.startsWith('strata/azure/')) await putSecret(secretParameterName(name, LOCAL_SECRETS_PATH), value, { replace: false });
  }
  renameSync(file, `${file}.imported`);
}

/** With a data dir, generated secrets are kept (mode 0600) so restarts keep working with them. */
function rememberedKey(dataDir: string | undefined, name: string, make: () => string): string {
  if (!dataDir) return make();
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = make();
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
