import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TableId } from '../adapters/dynamodb/tables.js';
import { workflowArnEnv } from '../adapters/workflows/workflows.js';
import { substitutionKey, tasksOf } from '../functions/workflows/definition.js';
import { SUPERSEDED_WORKFLOWS, WORKFLOWS, aslFile, type WorkflowId } from '../functions/workflows/registry.js';
import { TASKS, type TaskName } from '../functions/workflows/tasks.js';
import type { StrataData, TableAccess } from './data.js';
import type { StrataKeys } from './keys.js';
import { REPO_ROOT, StrataFunction } from './strata-function.js';
import type { StrataPatchSchedules } from './patch-schedules.js';

export type { WorkflowId } from '../functions/workflows/registry.js';

/**
 * Tasks that call a customer's cloud: they assume customer AWS roles (STS, with the account's
 * ExternalId) and read Azure client secrets. No other task gets either permission.
 */
export const CLOUD_TASKS: ReadonlySet<TaskName> = new Set((Object.keys(TASKS) as TaskName[]).filter((t) => 'cloud' in TASKS[t].access));

/** Every task's table access: it drives conditions and events of its subject, and reads agent reports. */
const TASK_TABLES: ReadonlyArray<{ table: TableId; access: TableAccess }> = [
  { table: 'definitions', access: 'readwrite' },
  { table: 'conditions', access: 'readwrite' },
  { table: 'events', access: 'readwrite' },
  { table: 'telemetry', access: 'read' },
];

export interface StrataWorkflowsProps {
  /** The tables: every task reads and writes definitions, conditions and events and reads telemetry. */
  readonly data: StrataData;
  /** The platform secret and the cluster-secrets key; tasks get what TASKS says they need. */
  readonly keys: StrataKeys;
  /** The patch schedule group: the deletion task removes a cluster's schedule from it. */
  readonly patchSchedules: StrataPatchSchedules;
  /** Base URL of the agent API, without a trailing slash: nodes fetch their bootstrap bundle there (AGENT_API_URL). */
  readonly agentApiUrl: string;
  /** sha256 of the agent bundle the agent API serves, for the nodes' user data. */
  readonly agentSha256: string;
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
 * The workflows of functions/workflows/registry.ts: one function per task of functions/workflows/tasks.ts
 * with exactly the access it declares, and one Standard state machine per workflow, defined by its
 * generated ASL file with each `${<Task>FunctionArn}` substituted, allowed to invoke exactly its own
 * tasks, traced, and logging every event without execution data. State machines have fixed names
 * (`<stack>-<workflow>`), so a task can continue one as a new execution without referencing it.
 */
export class StrataWorkflows extends Construct {
  public readonly taskFunctions: ReadonlyMap<TaskName, StrataFunction>;
  public readonly stateMachines: Readonly<Record<WorkflowId, StateMachine>>;

  constructor(scope: Construct, id: string, props: StrataWorkflowsProps) {
    super(scope, id);
    const timeout = props.taskTimeout ?? Duration.seconds(60);
    if (timeout.toSeconds() < 1 || timeout.toSeconds() > 900) throw new Error('StrataWorkflows: taskTimeout must be from 1 s to 15 min');
    const ids = Object.keys(WORKFLOWS) as WorkflowId[];
    for (const workflow of ids) {
      const file = join(REPO_ROOT, aslFile(workflow));
      if (!existsSync(file)) throw new Error(`StrataWorkflows: ${aslFile(workflow)} does not exist (npm run statemachines)`);
      const known = new Set(tasksOf(WORKFLOWS[workflow]).map(substitutionKey));
      const missing = substitutionKeysIn(file).filter((key) => !known.has(key));
      if (missing.length > 0) throw new Error(`StrataWorkflows: ${aslFile(workflow)} uses ${missing.join(', ')}, which no task of the ${workflow} workflow provides`);
    }

    const stack = Stack.of(this);
    const machineName = (workflow: WorkflowId) => stateMachineName(stack, workflow);
    const machineArn = (workflow: WorkflowId) => stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: machineName(workflow), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const executionsOf = (workflow: WorkflowId) => stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${machineName(workflow)}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const environment = { ...props.data.environment, AGENT_API_URL: props.agentApiUrl, AGENT_BUNDLE_SHA256: props.agentSha256 };

    const taskFunctions = new Map<TaskName, StrataFunction>();
    for (const [task, spec] of Object.entries(TASKS) as [TaskName, (typeof TASKS)[TaskName]][]) {
      const fn = new StrataFunction(this, `${task}Function`, { entry: spec.entry, description: `Strata workflow task: ${task}`, environment, timeout, memorySize: props.taskMemorySize });
      for (const grant of TASK_TABLES) props.data.grant(grant.table, fn, grant.access);
      const access: Record<string, true | undefined> = spec.access;
      if (access.platformSecret) props.keys.grantPlatformSecret(fn);
      if (access.sealsClusterSecrets) props.keys.grantSeal(fn);
      if (access.cloud) grantCloudAccess(fn, props.keys);
      if (access.startsWorkflows) {
        // By the fixed names: referencing the state machines would make a cycle (they invoke this task).
        for (const workflow of ids) fn.addEnvironment(workflowArnEnv(workflow), machineArn(workflow));
        fn.addToRolePolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: ids.map(machineArn) }));
      }
      if (access.deletesPatchSchedules) props.patchSchedules.grantDelete(fn);
      if (access.startsPatchRuns) {
        fn.addEnvironment(workflowArnEnv('patch'), machineArn('patch'));
        fn.addToRolePolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [machineArn('patch')] }));
      }
      if (access.startsBakes) {
        fn.addEnvironment(workflowArnEnv('bake'), machineArn('bake'));
        fn.addToRolePolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [machineArn('bake')] }));
      }
      if (access.stopsProvisioning) {
        for (const workflow of SUPERSEDED_WORKFLOWS) {
          fn.addEnvironment(workflowArnEnv(workflow), machineArn(workflow));
          fn.addToRolePolicy(new PolicyStatement({ actions: ['states:StopExecution'], resources: [executionsOf(workflow)] }));
          Validations.of(fn).acknowledge({
            id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${machineName(workflow)}:*]`,
            reason: `Stopping any execution of the ${workflow} state machine (their names are per cluster and generation), and of that state machine only.`,
          });
        }
      }
      taskFunctions.set(task, fn);
    }
    this.taskFunctions = taskFunctions;

    const stateMachines = {} as Record<WorkflowId, StateMachine>;
    for (const workflow of ids) {
      const name = pascal(workflow);
      const tasks = tasksOf(WORKFLOWS[workflow]).map((task) => [task, taskFunctions.get(task)!] as const);
      const sm = new StateMachine(this, `${name}StateMachine`, {
        stateMachineName: machineName(workflow),
        stateMachineType: StateMachineType.STANDARD,
        definitionBody: DefinitionBody.fromFile(join(REPO_ROOT, aslFile(workflow))),
        definitionSubstitutions: Object.fromEntries(tasks.map(([task, fn]) => [substitutionKey(task), fn.functionArn])),
        tracingEnabled: true,
        logs: {
          destination: new LogGroup(this, `${name}StateMachineLogs`, { retention: props.logRetention ?? RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN }),
          level: LogLevel.ALL,
          // Inputs carry ids only, but task outputs and errors may quote provider messages: keep data out of logs.
          includeExecutionData: false,
        },
      });
      for (const [, fn] of tasks) fn.grantInvoke(sm);
      Validations.of(sm).acknowledge(
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray tracing (xray:PutTraceSegments and friends) support no resource-level permissions.',
        },
        ...tasks.map(([task, fn]) => ({
          id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(fn.node.defaultChild as CfnFunction)}.Arn>:*]`,
          reason: `Invoking the ${task} task function by any of its versions or aliases; that one function only.`,
        })),
      );
      stateMachines[workflow] = sm;
    }
    this.stateMachines = stateMachines;
  }
}

/** The fixed name of a workflow's state machine: `<stack>-<workflow>`. */
export const stateMachineName = (stack: Stack, workflow: WorkflowId) => `${stack.stackName}-${workflow}`;

/**
 * STS AssumeRole into customer AWS accounts, and reading the tenants' cloud account credentials
 * (tenant-checked in code); `manageSecrets` also stores and deletes them.
 */
export function grantCloudAccess(fn: StrataFunction, keys: StrataKeys, manageSecrets = false): void {
  const stack = Stack.of(fn);
  fn.addToRolePolicy(new PolicyStatement({ actions: ['sts:AssumeRole'], resources: [stack.formatArn({ service: 'iam', region: '', account: '*', resource: 'role', resourceName: '*' })] }));
  keys.grantCloudAccountSecrets(fn, manageSecrets);
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/*]',
    reason:
      "Customer accounts and role names are data, chosen per cloud account at run time; each customer role's trust policy requires the ExternalId Strata generated for that account.",
  });
}

/** Every `${Name}` substitution an ASL file uses. */
export function substitutionKeysIn(file: string): string[] {
  return [...new Set([...readFileSync(file, 'utf8').matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))];
}

function logicalIdOf(element: CfnFunction): string {
  return Stack.of(element).resolve(element.logicalId) as string;
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
