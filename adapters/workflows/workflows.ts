import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';

let client: SFNClient | undefined;
const sfn = () => (client ??= new SFNClient({ maxAttempts: 5 }));

/** The variable a workflow's state machine ARN is read from (the CDK stack and the local runtime set it): PROVISION_STATE_MACHINE_ARN, … */
export const workflowArnEnv = (workflow: string) => `${workflow.toUpperCase()}_STATE_MACHINE_ARN`;

function machineArn(workflow: string): string {
  const arn = process.env[workflowArnEnv(workflow)];
  if (!arn) throw new Error(`${workflowArnEnv(workflow)} is not set`);
  return arn;
}

/** Execution ARN from the state machine ARN and execution name, as Step Functions forms it. */
export function executionArn(workflow: string, executionName: string): string {
  return machineArn(workflow).replace(':stateMachine:', ':execution:') + `:${executionName}`;
}

/**
 * Start an execution named after what it is for (cluster id + generation), so a repeated
 * start is a no-op: Step Functions refuses a second execution with the same name.
 */
export async function startWorkflow(workflow: string, executionName: string, input: unknown): Promise<{ started: boolean }> {
  try {
    await sfn().send(new StartExecutionCommand({ stateMachineArn: machineArn(workflow), name: executionName, input: typeof input === 'string' ? input : JSON.stringify(input) }));
    return { started: true };
  } catch (err) {
    if (err instanceof ExecutionAlreadyExists) return { started: false };
    throw err;
  }
}

export async function stopWorkflow(workflow: string, executionName: string, cause: string): Promise<void> {
  try {
    await sfn().send(new StopExecutionCommand({ executionArn: executionArn(workflow, executionName), cause }));
  } catch (err) {
    if (err instanceof ExecutionDoesNotExist) return;
    throw err;
  }
}

export async function workflowStatus(workflow: string, executionName: string): Promise<string | undefined> {
  try {
    return (await sfn().send(new DescribeExecutionCommand({ executionArn: executionArn(workflow, executionName) }))).status;
  } catch (err) {
    if (err instanceof ExecutionDoesNotExist) return undefined;
    throw err;
  }
}

export const provisionExecutionName = (clusterId: string, generation: number) => `${clusterId}-g${generation}`;
export const deleteExecutionName = (clusterId: string) => `${clusterId}-delete`;
/** A patch run's own execution: a schedule delivered twice starts it once. */
export const patchExecutionName = (clusterId: string, runId: string) => `${clusterId}-${runId}`;
/** One notification run per published revision: a retried publish starts none twice. */
export const notifyExecutionName = (profileId: string, revision: number) => `${profileId}-r${revision}-notify`;

/**
 * The name of the execution that continues this one: `<name>-c2`, `-c3`, … — deterministic, so a
 * repeated continue is a no-op too. Step Functions names are at most 80 characters.
 */
export function continuationName(executionName: string): string {
  const m = /^(.*)-c(\d+)$/.exec(executionName);
  const [base, n] = m ? [m[1]!, Number(m[2])] : [executionName, 1];
  return `${base.slice(0, 70)}-c${n + 1}`;
}
