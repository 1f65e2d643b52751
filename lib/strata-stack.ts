import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TABLE_ENV, type TableId } from '../adapters/dynamodb/tables.js';
import { StrataAgentApi } from './agent-api.js';
import { StrataApi } from './api.js';
import { StrataArchives } from './archives.js';
import { StrataBootstrap } from './bootstrap.js';
import { StrataConsole } from './console.js';
import { StrataData } from './data.js';
import { StrataHealth } from './health.js';
import { StrataKeys } from './keys.js';
import { StrataPatchSchedules } from './patch-schedules.js';
import { StrataWorkflows } from './workflows.js';

export interface StrataStackProps extends StackProps {
  /**
   * Concurrency reserved for (and capping) the agent API function, so a flood of agent requests
   * cannot take the account's concurrency from the REST API. An account must keep 100 unreserved.
   * @default 100
   */
  readonly agentReservedConcurrency?: number;
  /**
   * Concurrency reserved for each REST API handler and the authorizer.
   * @default 10
   */
  readonly apiReservedConcurrency?: number;
  /**
   * Upgrading a stack that kept its secrets in Secrets Manager (see StrataKeysProps). Also read
   * from the context keys strata:legacyPlatformSecretArn and strata:legacyAzureSecrets.
   * @default - nothing to copy
   */
  readonly legacySecrets?: { readonly platformSecretArn?: string; readonly azure?: boolean };
}

/**
 * The whole Strata control plane on AWS: tables, archives, the key and secret parameters, the agent API,
 * health scoring, the provision and delete workflows, the REST API and the first-deploy bootstrap.
 */
export class StrataStack extends Stack {
  public readonly data: StrataData;
  public readonly archives: StrataArchives;
  public readonly keys: StrataKeys;
  public readonly agentApi: StrataAgentApi;
  public readonly health: StrataHealth;
  public readonly workflows: StrataWorkflows;
  public readonly patchSchedules: StrataPatchSchedules;
  public readonly api: StrataApi;
  public readonly bootstrap: StrataBootstrap;
  public readonly console: StrataConsole;

  constructor(scope: Construct, id: string, props: StrataStackProps = {}) {
    super(scope, id, { description: 'Strata: Kubernetes cluster lifecycle platform (control plane)', ...props });

    this.data = new StrataData(this, 'Data');
    this.archives = new StrataArchives(this, 'Archives');
    const environment = { ...this.data.environment, ARCHIVE_BUCKET: this.archives.bucket.bucketName };

    const legacyAzure = props.legacySecrets?.azure ?? this.node.tryGetContext('strata:legacyAzureSecrets');
    this.keys = new StrataKeys(this, 'Keys', {
      legacyPlatformSecretArn: props.legacySecrets?.platformSecretArn ?? this.node.tryGetContext('strata:legacyPlatformSecretArn'),
      legacyAzureSecrets: legacyAzure === true || legacyAzure === 'true',
    });

    this.agentApi = new StrataAgentApi(this, 'AgentApi', { data: this.data, keys: this.keys, archives: this.archives, reservedConcurrency: props.agentReservedConcurrency });
    this.health = new StrataHealth(this, 'Health', { data: this.data });
    // A heartbeat that moved a health input asks for a score, asynchronously.
    this.health.grantScoreRequests(this.agentApi.heartbeatFunction);
    this.health.grantRepairs();
    this.patchSchedules = new StrataPatchSchedules(this, 'PatchSchedules');
    this.workflows = new StrataWorkflows(this, 'Workflows', {
      data: this.data,
      keys: this.keys,
      patchSchedules: this.patchSchedules,
      agentApiUrl: this.agentApi.baseUrl,
      agentSha256: this.agentApi.agentSha256,
    });
    this.api = new StrataApi(this, 'Api', {
      data: this.data,
      keys: this.keys,
      environment,
      stateMachines: this.workflows.stateMachines,
      patchSchedules: this.patchSchedules,
      archives: this.archives,
      reservedConcurrency: props.apiReservedConcurrency,
    });
    this.bootstrap = new StrataBootstrap(this, 'Bootstrap', { data: this.data, keys: this.keys, environment, usagePlan: this.api.tenantUsagePlan });
    // The web console and the REST API on one CloudFront origin.
    this.console = new StrataConsole(this, 'Console', { api: this.api.api, downloadOrigins: [`https://${this.archives.bucket.bucketRegionalDomainName}`] });

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the REST API (routes start with /v1 and /healthz)' });
    new CfnOutput(this, 'ConsoleUrl', { value: this.console.url, description: 'The web console; the REST API is also served here, under /v1' });
    new CfnOutput(this, 'OperatorKeyParameter', {
      value: this.bootstrap.operatorKeyName,
      description: 'SecureString parameter holding the first platform-operator API key (aws ssm get-parameter --with-decryption --name …)',
    });
    new CfnOutput(this, 'AgentApiUrl', {
      value: this.agentApi.baseUrl,
      description: 'Base URL of the agent API (Lambda function URL); agents POST /agent/v1/heartbeat',
    });
    new CfnOutput(this, 'HealthFunctionName', {
      value: this.health.scoreFunction.functionName,
      description: "Lambda function that scores one cluster's health (invoked asynchronously with {tenantId, clusterId, reason})",
    });
    new CfnOutput(this, 'PlatformSecretParameter', {
      value: this.keys.platformSecretName,
      description: 'SecureString parameter that derives agent tokens, node bootstrap tickets and kubeadm join tokens',
    });
    new CfnOutput(this, 'ClusterSecretsKeyArn', {
      value: this.keys.clusterSecretsKey.keyArn,
      description: "KMS key that envelope-encrypts every cluster's CA and service-account keys and encrypts Strata's SecureString parameters",
    });
    new CfnOutput(this, 'ProvisionStateMachineArn', { value: this.workflows.stateMachines.provision.stateMachineArn });
    new CfnOutput(this, 'DeleteStateMachineArn', { value: this.workflows.stateMachines.delete.stateMachineArn });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archives.bucket.bucketName });
    for (const [tableId, table] of Object.entries(this.data.tables) as [TableId, (typeof this.data.tables)[TableId]][]) {
      new CfnOutput(this, outputId(TABLE_ENV[tableId]), { value: table.tableName, description: `DynamoDB table "${tableId}"` });
    }
  }
}

/** DEFINITIONS_TABLE → DefinitionsTableName */
function outputId(envName: string): string {
  const words = envName.toLowerCase().split('_');
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('') + 'Name';
}
