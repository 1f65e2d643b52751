import { Duration } from 'aws-cdk-lib';
import { ApplicationLogLevel, type FunctionUrl, FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { Fn } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { agentBundle } from '../agent/build.js';
import { AGENT_API_ENTRY, AGENT_ROUTES } from '../functions/agent/routes.js';
import type { StrataData } from './data.js';
import type { StrataArchives } from './archives.js';
import type { StrataKeys } from './keys.js';
import { StrataFunction } from './strata-function.js';

export interface StrataAgentApiProps {
  /** The tables: the agent API reads definitions and writes tickets and token state there, and ingests telemetry. */
  readonly data: StrataData;
  /** It checks tokens and tickets with the platform secret, and opens CA keys for control-plane bundles. */
  readonly keys: StrataKeys;
  /** Log bundle upload forms are signed with its credentials; it checks bundles and stores kube-bench reports. */
  readonly archives: StrataArchives;
  /**
   * Memory of the function, in MiB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout of the function.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Concurrency reserved for the function, which also caps it: agents cannot take the account's
   * concurrency from the REST API. Undefined reserves none (accounts with a low quota).
   * @default 100
   */
  readonly reservedConcurrency?: number;
}

/**
 * The agent API (AGENT_ROUTES): one function behind a Lambda function URL with no IAM auth. Agents
 * authenticate with their cluster's token and booting nodes with their one-time ticket; both carry
 * an HMAC checked before anything is read, so forged credentials cost no DynamoDB capacity. Agents
 * are the bulk of the traffic, and a REST API in front would cost more per request than the ingest.
 */
export class StrataAgentApi extends Construct {
  public readonly heartbeatFunction: StrataFunction;
  /** sha256 of the agent bundle the function serves: nodes check the file against it. */
  public readonly agentSha256: string;
  public readonly functionUrl: FunctionUrl;
  /** `https://<url-id>.lambda-url.<region>.on.aws`, without the trailing slash, so `${baseUrl}/agent/v1/heartbeat` is a route. */
  public readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: StrataAgentApiProps) {
    super(scope, id);
    const reserved = props.reservedConcurrency ?? 100;
    if (!Number.isInteger(reserved) || reserved < 1) throw new Error(`StrataAgentApi: reservedConcurrency ${reserved} must be a positive integer`);

    // The agent control-plane nodes download: built at synth when missing or stale, served from the package.
    const agent = agentBundle();
    this.agentSha256 = agent.sha256;
    this.heartbeatFunction = new StrataFunction(this, 'HeartbeatFunction', {
      entry: AGENT_API_ENTRY,
      files: [agent.path],
      description: `Strata agent API: ${AGENT_ROUTES.map((r) => `${r.method} ${r.path}`).join(', ')}`,
      environment: { ...props.data.environment, ARCHIVE_BUCKET: props.archives.bucket.bucketName },
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: reserved,
      // The hot path: only warnings and errors reach CloudWatch.
      applicationLogLevel: ApplicationLogLevel.WARN,
    });
    // Definitions: clusters and revisions read, bootstrap tickets spent, a rotated token retired.
    props.data.grant('definitions', this.heartbeatFunction, 'readwrite');
    props.data.grant('telemetry', this.heartbeatFunction, 'ingest');
    // Events: a command's progress (a node cordoned, patched) is recorded as the agent reports it.
    props.data.grant('events', this.heartbeatFunction, 'readwrite');
    props.keys.grantPlatformSecret(this.heartbeatFunction);
    props.keys.grantOpen(this.heartbeatFunction);
    props.archives.grantAgentUploads(this.heartbeatFunction);

    this.functionUrl = this.heartbeatFunction.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    // FunctionUrl gives https://host/; Fn::Select 2 of Fn::Split '/' is the host.
    this.baseUrl = `https://${Fn.select(2, Fn.split('/', this.functionUrl.url))}`;
  }
}
