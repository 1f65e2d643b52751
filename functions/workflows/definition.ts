/**
 * A workflow as data: its steps in order, from which its Amazon States Language is generated
 * (toAsl) and committed to statemachines/. Every task step is the same group of states, written
 * once here: the Task (Lambda), a Choice on the step's outcome, a Wait for the backoff the step
 * chose, and a Wait after an unexpected error. A step never fails the workflow.
 */

/** What a step answers (functions/tasks/step.ts): the Choice after it reads `outcome`. */
export type StepOutcome =
  /** Go on to the next step. */
  | 'done'
  /** The subject is gone or superseded: end quietly. */
  | 'stop'
  /** Not yet (or a retryable error): wait retryAfterSeconds and run the step again. */
  | 'retry'
  /** An error no retry can fix: the condition says why; the next change of the subject starts a new execution. */
  | 'blocked'
  /** The execution has looped long enough: continue as a new execution of itself, from the start. */
  | 'continue';

export interface TaskStep<T extends string = string> {
  readonly kind: 'task';
  /** State name in the ASL. */
  readonly state: string;
  /** The task (Lambda) it runs. */
  readonly task: T;
  readonly comment: string;
}

export interface WaitStep {
  readonly kind: 'wait';
  readonly state: string;
  readonly seconds: number;
  readonly comment: string;
}

export type Step<T extends string = string> = TaskStep<T> | WaitStep;

export interface WorkflowDefinition<T extends string = string> {
  /** Registry key and the tail of the state machine's fixed name, e.g. provision. */
  readonly id: string;
  /** File name under statemachines/, without .asl.json. */
  readonly file: string;
  readonly comment: string;
  readonly steps: readonly Step<T>[];
  /** The Succeed state reached after the last step. */
  readonly succeed: string;
  /** Why a step may answer stop, for the Stopped state's comment. */
  readonly stopped: string;
}

export const task = <T extends string>(state: string, t: T, comment: string): TaskStep<T> => ({ kind: 'task', state, task: t, comment });
export const wait = (state: string, seconds: number, comment: string): WaitStep => ({ kind: 'wait', state, seconds, comment });

/** The task every workflow continues as a new execution through. */
export const CONTINUE_TASK = 'ContinueWorkflow';

/** The ASL substitution key of a task's function ARN. */
export const substitutionKey = (t: string) => `${t}FunctionArn`;

/** Lambda's own transient errors: retried quickly by Step Functions itself. */
const LAMBDA_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];
const RETRY = [
  { ErrorEquals: LAMBDA_ERRORS, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
  { ErrorEquals: ['States.ALL'], IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2 },
];
/** After an unexpected error (a bug, a timeout), run the step again after this long. */
const AFTER_ERROR_SECONDS = 60;

const taskState = (resource: string, comment: string, next: string, afterError: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Comment: comment,
  Resource: `\${${substitutionKey(resource)}}`,
  ...extra,
  Retry: RETRY,
  Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: afterError }],
  Next: next,
});
const afterErrorState = (retry: string) => ({
  Type: 'Wait',
  Comment: 'an unexpected error: wait and run the step again; a step never fails the workflow',
  Seconds: AFTER_ERROR_SECONDS,
  Next: retry,
});

/** The workflow's ASL. A task gets the whole state; its answer goes to $.step. */
export function toAsl(def: WorkflowDefinition): Record<string, unknown> {
  if (def.steps.length === 0 || def.steps[0]!.kind !== 'task') throw new Error(`workflow ${def.id}: the first step must be a task`);
  const names = def.steps.map((s) => s.state);
  if (new Set(names).size !== names.length) throw new Error(`workflow ${def.id}: state names repeat`);
  const states: Record<string, unknown> = {};
  def.steps.forEach((step, i) => {
    const next = def.steps[i + 1]?.state ?? def.succeed;
    if (step.kind === 'wait') {
      states[step.state] = { Type: 'Wait', Comment: step.comment, Seconds: step.seconds, Next: next };
      return;
    }
    const s = step.state;
    states[s] = { ...taskState(step.task, step.comment, `${s}Outcome`, `${s}AfterError`), ResultPath: '$.step' };
    states[`${s}Outcome`] = {
      Type: 'Choice',
      Choices: [
        { Variable: '$.step.outcome', StringEquals: 'done', Next: next },
        { Variable: '$.step.outcome', StringEquals: 'stop', Next: 'Stopped' },
        { Variable: '$.step.outcome', StringEquals: 'blocked', Next: 'Blocked' },
        { Variable: '$.step.outcome', StringEquals: 'continue', Next: 'ContinueAsNew' },
      ],
      Default: `${s}Backoff`,
    };
    states[`${s}Backoff`] = { Type: 'Wait', Comment: 'the backoff the step chose (capped exponential while it fails)', SecondsPath: '$.step.retryAfterSeconds', Next: s };
    states[`${s}AfterError`] = afterErrorState(s);
  });
  states.ContinueAsNew = taskState(CONTINUE_TASK, 'the execution has looped long enough: start a new one of this workflow, from the start, and end this one', 'Continued', 'ContinueAsNewAfterError', {
    Parameters: { workflow: def.id, 'execution.$': '$$.Execution.Name', 'input.$': '$$.Execution.Input' },
    ResultPath: null,
  });
  states.ContinueAsNewAfterError = afterErrorState('ContinueAsNew');
  states[def.succeed] = { Type: 'Succeed' };
  states.Stopped = { Type: 'Succeed', Comment: def.stopped };
  states.Blocked = { Type: 'Succeed', Comment: 'an error no retry can fix: its condition says why; the next change of the subject starts a new execution' };
  states.Continued = { Type: 'Succeed', Comment: 'a new execution carries on' };
  return { Comment: def.comment, StartAt: def.steps[0]!.state, States: states };
}

/** The ASL file's text, as committed. */
export const aslText = (def: WorkflowDefinition) => `${JSON.stringify(toAsl(def), null, 2)}\n`;

/** The tasks a workflow runs, in order of first use, ContinueWorkflow included. */
export const tasksOf = <T extends string>(def: WorkflowDefinition<T>): (T | typeof CONTINUE_TASK)[] => [
  ...new Set([...def.steps.flatMap((s) => (s.kind === 'task' ? [s.task] : [])), CONTINUE_TASK as T | typeof CONTINUE_TASK]),
];
