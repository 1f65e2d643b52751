import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';

/** The two lifecycle workflows; their ARNs come from the environment (CDK or local runtime). */
export type WorkflowName = 'provision' | 'delete';
const ARN_ENV: Record<WorkflowName, string> = { provision: 'PROVISION_STATE_MACHINE_ARN', delete: 'DELETE_STATE_MACHINE_ARN' };

let client: SFNClient | undefined;
const sfn = () => (client ??= new SFNClient({ maxAttempts: 5 }));

function machineArn(name: WorkflowName): string {
  const arn = process.env[ARN_ENV[name]];
  if (!arn) throw new Error(`${ARN_ENV[name]} is not set`);
  return arn;
}

/** Execution ARN from the state machine ARN and execution name, as Step Functions forms it. */
export function executionArn(name: WorkflowName, executionName: string): string {
  return machineArn(name).replace(':stateMachine:', ':execution:') + `:${executionName}`;
}

/**
 * Start an execution named after what it is for (cluster id + generation), so a repeated
 * start is a no-op: Step Functions refuses a second execution with the same name.
 */
export async function startWorkflow(name: WorkflowName, executionName: string, input: unknown): Promise<{ started: boolean }> {
  try {
    await sfn().send(new StartExecutionCommand({ stateMachineArn: machineArn(name), name: executionName, input: JSON.stringify(input) }));
    return { started: true };
  } catch (err) {
    if (err instanceof ExecutionAlreadyExists) return { started: false };
    throw err;
  }
}

export async function stopWorkflow(name: WorkflowName, executionName: string, cause: string): Promise<void> {
  try {
    await sfn().send(new StopExecutionCommand({ executionArn: executionArn(name, executionName), cause }));
  } catch (err) {
    if (err instanceof ExecutionDoesNotExist) return;
    throw err;
  }
}

export async function workflowStatus(name: WorkflowName, executionName: string): Promise<string | undefined> {
  try {
    return (await sfn().send(new DescribeExecutionCommand({ executionArn: executionArn(name, executionName) }))).status;
  } catch (err) {
    if (err instanceof ExecutionDoesNotExist) return undefined;
    throw err;
  }
}

export const provisionExecutionName = (clusterId: string, generation: number) => `${clusterId}-g${generation}`;
export const deleteExecutionName = (clusterId: string) => `${clusterId}-delete`;
