import { Duration, Fn } from 'aws-cdk-lib';
import { ApplicationLogLevel, type FunctionUrl, FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { AGENT_API_ENTRY, AGENT_ROUTES } from '../functions/agent/routes.js';
import type { StrataData } from './data.js';
import { StrataFunction } from './strata-function.js';

export interface StrataAgentApiProps {
  /** The tables: the heartbeat reads definitions (cluster, profile revision) and writes telemetry. */
  readonly data: StrataData;
  /**
   * Memory of the heartbeat function, in MiB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout of the heartbeat function.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
}

/**
 * The in-cluster agents' API (AGENT_ROUTES): one function behind a Lambda function URL with no
 * IAM auth. Agents authenticate with their per-cluster token, checked by the handler against the
 * hash stored on the cluster; agents are the bulk of the traffic, and a REST API in front would
 * cost more per request than the ingest itself. The URL serves every path; the handler only
 * answers the heartbeat.
 */
export class StrataAgentApi extends Construct {
  public readonly heartbeatFunction: StrataFunction;
  public readonly functionUrl: FunctionUrl;
  /** `https://<url-id>.lambda-url.<region>.on.aws`, without the trailing slash, so `${baseUrl}/agent/v1/heartbeat` is the route. */
  public readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: StrataAgentApiProps) {
    super(scope, id);
    this.heartbeatFunction = new StrataFunction(this, 'HeartbeatFunction', {
      entry: AGENT_API_ENTRY,
      description: `Strata agent API: ${AGENT_ROUTES.map((r) => `${r.method} ${r.path}`).join(', ')}`,
      environment: props.data.environment,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      // The hot path: only warnings and errors reach CloudWatch.
      applicationLogLevel: ApplicationLogLevel.WARN,
    });
    props.data.grant('definitions', this.heartbeatFunction, 'read');
    props.data.grant('telemetry', this.heartbeatFunction, 'readwrite');

    this.functionUrl = this.heartbeatFunction.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    // FunctionUrl gives https://host/; Fn::Select 2 of Fn::Split '/' is the host.
    this.baseUrl = `https://${Fn.select(2, Fn.split('/', this.functionUrl.url))}`;
  }
}
