import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { continuationName, startWorkflow } from '../../adapters/workflows/workflows.js';
import { logger } from '../commons/powertools.js';

export interface ContinueInput {
  /** The workflow's id (functions/workflows/registry.ts). */
  readonly workflow: string;
  /** This execution's name ($$.Execution.Name). */
  readonly execution: string;
  /** This execution's input ($$.Execution.Input): the new one starts from it, at the first step. */
  readonly input: unknown;
}

/**
 * Continue a long-running execution as a new one of the same workflow, before Step Functions'
 * 25,000-event history limit. Its name carries a counter, so a repeated start is a no-op. The
 * workflow's own state machine ARN comes from its fixed name, not from the resource: referencing
 * it would make a CloudFormation cycle.
 */
async function continueWorkflow(event: ContinueInput): Promise<{ execution: string; started: boolean }> {
  const execution = continuationName(event.execution);
  const { started } = await startWorkflow(event.workflow, execution, event.input);
  logger.info('workflow continued as a new execution', { workflow: event.workflow, from: event.execution, to: execution, started });
  return { execution, started };
}

export const handler = middy(continueWorkflow).use(injectLambdaContext(logger, { resetKeys: true }));
