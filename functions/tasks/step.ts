import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { backoffSeconds, CONSISTENCY_WINDOW_MS } from '../../core/backoff.js';
import { CloudError, remedyFor } from '../../core/cloud.js';
import type { Condition, ConditionStatus, ConditionUpdate } from '../../core/conditions.js';
import type { StepOutcome } from '../workflows/definition.js';
import { logger } from '../commons/powertools.js';
import { clock } from '../../core/clock.js';

/**
 * The step runtime every workflow task runs in, whatever its subject (a cluster, an image bake,
 * a patch run): load the subject (a gone or superseded one ends the execution quietly), run the
 * step, record conditions and events in one place, and classify errors. A retryable error backs
 * off (capped; the cap grows after an hour of failures) and the condition says when the next
 * attempt really is; one no retry can fix turns the condition False with a remedy and ends the
 * execution (blocked) until the subject changes. After MAX_LOOPS retries an execution continues
 * as a new one, before Step Functions' history limit.
 */

/** What every task receives: the execution's state (its input, and the last step's answer). */
export interface StepState {
  readonly step?: { readonly loops?: number };
}

/** What a task answers; the workflow's Choice reads `outcome`. */
export interface StepResult {
  readonly outcome: StepOutcome;
  readonly retryAfterSeconds: number;
  /** Retries in this execution so far. */
  readonly loops: number;
}

/** What a step's body decides. */
export type Verdict = { readonly kind: 'done' | 'stop' | 'blocked' } | { readonly kind: 'wait'; readonly seconds: number };
export const DONE: Verdict = { kind: 'done' };
export const STOP: Verdict = { kind: 'stop' };
/** Not there yet (booting, waiting for the agent): look again soon. */
export const waitFor = (seconds = 5): Verdict => ({ kind: 'wait', seconds });

/** Retries one execution makes before it continues as a new one (Standard executions end at 25,000 history events). */
const maxLoops = () => Number(process.env.WORKFLOW_MAX_LOOPS ?? 500);

/** A subject's conditions and events, as a step context records them. */
export interface StepContext {
  /** The condition a cloud error is charged to. */
  charge?: string;
  /** Where the subject lives, for remedies that name a region. */
  readonly region: string;
  condition(type: string): Promise<Condition | undefined>;
  conditions(): Promise<Condition[]>;
  set(...updates: ConditionUpdate[]): Promise<Condition[]>;
  mark(type: string, status: ConditionStatus, reason: string, message: string, attempted?: boolean): Promise<Condition[]>;
  event(type: 'Normal' | 'Warning', reason: string, message: string, subject?: string, once?: string): Promise<unknown>;
}

/** How to open a subject for a step; undefined when it is gone or superseded (the execution ends). */
export type SubjectOpener<I, C extends StepContext> = (input: I) => Promise<C | undefined>;

/** Whether a subject made progress (a condition turned True) recently: a cloud then may not show it everywhere yet. */
async function settling(ctx: StepContext, now: number): Promise<boolean> {
  const latest = Math.max(0, ...(await ctx.conditions()).filter((c) => c.status === 'True').map((c) => Date.parse(c.lastTransitionTime)));
  return now - latest < CONSISTENCY_WINDOW_MS;
}

/** A cloud error charged to the step's condition: back off, or block when no retry can fix it. */
async function failed(ctx: StepContext, err: CloudError): Promise<Verdict> {
  const type = ctx.charge!;
  const now = clock.now();
  const prev = await ctx.condition(type);
  const attempts = (prev?.attempts ?? 0) + 1;
  const remedy = remedyFor(err.code, ctx.region);
  const said = remedy ? `${err.message} (${remedy})` : err.message;
  // The provider's own words, the same every attempt: repeated attempts fold into one event.
  await ctx.event('Warning', err.code, `${type} failed: ${said}`, type);
  // An error about something made minutes ago may be the cloud not showing it everywhere yet.
  if (!err.retryable && !(await settling(ctx, now))) {
    await ctx.mark(type, 'False', err.code, `${said}; retrying cannot fix this: change the cluster and a new attempt starts`, true);
    logger.warn('step blocked', { condition: type, code: err.code, attempts });
    return { kind: 'blocked' };
  }
  const failingFor = prev?.status === 'False' ? now - Date.parse(prev.lastTransitionTime) : 0;
  const wait = backoffSeconds(attempts, failingFor);
  const next = new Date(now + wait * 1000).toISOString().slice(0, 19);
  const settlingNote = err.retryable ? '' : ' (something was made moments ago; the cloud may not show it everywhere yet)';
  await ctx.mark(type, 'False', err.code, `${said}${settlingNote}; attempt ${attempts}, next at ${next}Z (in ${wait} s)`, true);
  logger.warn('step failed; backing off', { condition: type, code: err.code, attempts, wait });
  return waitFor(wait);
}

function answer(verdict: Verdict, loops: number): StepResult {
  switch (verdict.kind) {
    case 'done':
    case 'stop':
    case 'blocked':
      return { outcome: verdict.kind, retryAfterSeconds: 0, loops };
    case 'wait':
      if (loops + 1 >= maxLoops()) return { outcome: 'continue', retryAfterSeconds: 0, loops };
      return { outcome: 'retry', retryAfterSeconds: Math.max(1, Math.round(verdict.seconds)), loops: loops + 1 };
  }
}

/** A workflow task: `open` loads the subject, `run` is the step. */
export function workflowStep<I extends StepState, C extends StepContext>(open: SubjectOpener<I, C>, run: (ctx: C) => Promise<Verdict>) {
  const handler = async (input: I): Promise<StepResult> => {
    const loops = input.step?.loops ?? 0;
    const ctx = await open(input);
    if (!ctx) return answer(STOP, loops);
    try {
      return answer(await run(ctx), loops);
    } catch (err) {
      if (!(err instanceof CloudError) || !ctx.charge) throw err;
      return answer(await failed(ctx, err), loops);
    }
  };
  return middy(handler).use(injectLambdaContext(logger, { resetKeys: true }));
}
