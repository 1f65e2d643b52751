import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type CfnStateMachine, DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TableId } from '../adapters/dynamodb/tables.js';
import { TASKS, TASK_ACCESS, type TaskName, WORKFLOWS, substitutionKey } from '../functions/tasks/registry.js';
import type { StrataData, TableAccess } from './data.js';
import type { StrataKeys } from './keys.js';
import { REPO_ROOT, StrataFunction } from './strata-function.js';

/** The lifecycle workflows of functions/tasks/registry.ts. */
export type WorkflowId = keyof typeof WORKFLOWS;

/** The variable each workflow's state machine ARN is passed in (adapters/workflows reads the same names). */
export const WORKFLOW_ARN_ENV: Readonly<Record<WorkflowId, string>> = {
  provision: 'PROVISION_STATE_MACHINE_ARN',
  delete: 'DELETE_STATE_MACHINE_ARN',
};

/**
 * Tasks that call a customer's cloud: they assume customer AWS roles (STS, with the account's
 * ExternalId) and read Azure client secrets. No other task gets either permission.
 */
export const CLOUD_TASKS: ReadonlySet<TaskName> = new Set((Object.keys(TASK_ACCESS) as TaskName[]).filter((t) => TASK_ACCESS[t].cloud));

/** Every task's table access: it drives conditions and events of the cluster it works on, and reads agent reports. */
const TASK_TABLES: ReadonlyArray<{ table: TableId; access: TableAccess }> = [
  { table: 'definitions', access: 'readwrite' },
  { table: 'conditions', access: 'readwrite' },
  { table: 'events', access: 'readwrite' },
  { table: 'telemetry', access: 'read' },
];

/** Secrets Manager names the Azure cloud accounts' client secrets live under. */
const AZURE_SECRET_PREFIX = 'strata/azure/';

export interface StrataWorkflowsProps {
  /** The tables: every task reads and writes definitions, conditions and events and reads telemetry. */
  readonly data: StrataData;
  /** The platform secret and the cluster-secrets key; tasks get what TASK_ACCESS gives them. */
  readonly keys: StrataKeys;
  /** Base URL of the agent API, without a trailing slash, written into control-plane user data (AGENT_API_URL). */
  readonly agentApiUrl: string;
  /**
   * Timeout of each task function. Every task is one short, idempotent step; waits happen in the state machine.
   * @default Duration.seconds(60)
   */
  readonly taskTimeout?: Duration;
  /**
   * Memory of each task function, in MiB.
   * @default 512
   */
  readonly taskMemorySize?: number;
  /**
   * Retention of the state machines' execution logs.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The lifecycle workflows from functions/tasks/registry.ts: one function per task, and one
 * Standard state machine per workflow, defined by its ASL file with each `${<Task>FunctionArn}`
 * substituted, allowed to invoke exactly its own tasks, traced, and logging every event without
 * execution data. The state machines are named by CloudFormation.
 */
export class StrataWorkflows extends Construct {
  public readonly taskFunctions: ReadonlyMap<TaskName, StrataFunction>;
  public readonly stateMachines: Readonly<Record<WorkflowId, StateMachine>>;

  constructor(scope: Construct, id: string, props: StrataWorkflowsProps) {
    super(scope, id);
    const timeout = props.taskTimeout ?? Duration.seconds(60);
    if (timeout.toSeconds() < 1 || timeout.toSeconds() > 900) throw new Error('StrataWorkflows: taskTimeout must be from 1 s to 15 min');
    for (const [workflow, spec] of Object.entries(WORKFLOWS)) {
      const file = join(REPO_ROOT, spec.definition);
      if (!existsSync(file)) throw new Error(`StrataWorkflows: ${workflow} definition ${spec.definition} does not exist`);
      const missing = substitutionKeysIn(file).filter((key) => !spec.tasks.some((task: TaskName) => substitutionKey(task) === key));
      if (missing.length > 0) throw new Error(`StrataWorkflows: ${spec.definition} uses ${missing.join(', ')}, which no task of the ${workflow} workflow provides`);
    }

    const stack = Stack.of(this);
    const environment = { ...props.data.environment, AGENT_API_URL: props.agentApiUrl };

    const taskFunctions = new Map<TaskName, StrataFunction>();
    for (const [task, entry] of Object.entries(TASKS) as [TaskName, string][]) {
      const fn = new StrataFunction(this, `${task}Function`, {
        entry,
        description: `Strata workflow task: ${task}`,
        environment,
        timeout,
        memorySize: props.taskMemorySize,
      });
      for (const grant of TASK_TABLES) props.data.grant(grant.table, fn, grant.access);
      const access = TASK_ACCESS[task];
      if (access.platformSecret) props.keys.grantPlatformSecret(fn);
      if (access.sealsClusterSecrets) props.keys.grantSeal(fn);
      if (access.cloud) grantCloudAccess(fn);
      taskFunctions.set(task, fn);
    }
    this.taskFunctions = taskFunctions;

    const stateMachines = {} as Record<WorkflowId, StateMachine>;
    for (const [workflow, spec] of Object.entries(WORKFLOWS) as [WorkflowId, (typeof WORKFLOWS)[WorkflowId]][]) {
      const name = pascal(workflow);
      const tasks = spec.tasks.map((task: TaskName) => [task, taskFunctions.get(task)!] as const);
      const sm = new StateMachine(this, `${name}StateMachine`, {
        stateMachineType: StateMachineType.STANDARD,
        definitionBody: DefinitionBody.fromFile(join(REPO_ROOT, spec.definition)),
        definitionSubstitutions: Object.fromEntries(tasks.map(([task, fn]) => [substitutionKey(task), fn.functionArn])),
        tracingEnabled: true,
        logs: {
          destination: new LogGroup(this, `${name}StateMachineLogs`, {
            retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
            removalPolicy: RemovalPolicy.RETAIN,
          }),
          level: LogLevel.ALL,
          // Inputs carry ids only, but task outputs and errors may quote provider messages: keep data out of logs.
          includeExecutionData: false,
        },
      });
      for (const [, fn] of tasks) fn.grantInvoke(sm);
      Validations.of(sm).acknowledge(
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray tracing (xray:PutTraceSegments and friends) support no resource-level permissions.',
        },
        ...tasks.map(([task, fn]) => ({
          id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(fn.node.defaultChild as CfnFunction)}.Arn>:*]`,
          reason: `Invoking the ${task} task function by any of its versions or aliases; that one function only.`,
        })),
      );
      stateMachines[workflow] = sm;
    }
    this.stateMachines = stateMachines;

    // BeginDeletion stops provisioning still running. Only it knows the provision machine: it is in
    // the delete workflow, so this adds no cycle between the provision machine and its own tasks.
    const provision = stateMachines.provision;
    const beginDeletion = taskFunctions.get('BeginDeletion')!;
    beginDeletion.addEnvironment(WORKFLOW_ARN_ENV.provision, provision.stateMachineArn);
    beginDeletion.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:StopExecution'],
        resources: [
          stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${provision.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        ],
      }),
    );
    const provisionId = logicalIdOf(provision.node.defaultChild as CfnStateMachine);
    Validations.of(beginDeletion).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${provisionId}.Name>:*]`,
      reason: "Stopping any execution of the provision state machine (their names are per cluster and generation), and of that state machine only.",
    });
  }
}

/** STS AssumeRole into customer AWS accounts, and reading Azure client secrets under strata/azure/ (tenant-checked in code). */
export function grantCloudAccess(fn: StrataFunction, secretActions: readonly string[] = ['secretsmanager:GetSecretValue']): void {
  const stack = Stack.of(fn);
  fn.addToRolePolicy(new PolicyStatement({ actions: ['sts:AssumeRole'], resources: [stack.formatArn({ service: 'iam', region: '', account: '*', resource: 'role', resourceName: '*' })] }));
  const azureSecrets = stack.formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${AZURE_SECRET_PREFIX}*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  fn.addToRolePolicy(new PolicyStatement({ actions: [...secretActions], resources: [azureSecrets] }));
  Validations.of(fn).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/*]',
      reason:
        "Customer accounts and role names are data, chosen per cloud account at run time; each customer role's trust policy requires the ExternalId Strata generated for that account.",
    },
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${AZURE_SECRET_PREFIX}*]`,
      reason:
        'Azure client secrets are stored per tenant and cloud account at run time under strata/azure/<tenant>/; the wildcard covers that prefix only (and the suffix Secrets Manager appends), and the code reads only the acting tenant\'s own prefix.',
    },
  );
}

/** Every `${Name}` substitution an ASL file uses. */
export function substitutionKeysIn(file: string): string[] {
  return [...new Set([...readFileSync(file, 'utf8').matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))];
}

function logicalIdOf(element: CfnFunction | CfnStateMachine): string {
  return Stack.of(element).resolve(element.logicalId) as string;
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
