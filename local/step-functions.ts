import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';
import { substitutionKey } from '../functions/workflows/definition.js';
import { WORKFLOWS, aslFile, type WorkflowId } from '../functions/workflows/registry.js';
import { TASKS, type TaskName } from '../functions/workflows/tasks.js';
import { loadHandler } from './handlers.js';
import type { LocalClock } from './clock.js';
import { lambdaContext } from './lambda-context.js';
import { clock } from '../core/clock.js';

type WorkflowName = WorkflowId;
type TaskHandler = (input: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const stateMachineArn = (name: WorkflowName) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:strata-${name}`;
const functionArn = (task: TaskName) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:strata-${task}`;

export interface LocalExecution {
  readonly executionArn: string;
  readonly workflow: WorkflowName;
  readonly name: string;
  readonly input: string;
  readonly startDate: Date;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  stopDate?: Date;
  output?: string;
  error?: string;
  /** States entered: what Standard workflows are billed by. */
  transitions: number;
  /** When the Wait the execution is in ends, on the runtime's clock. */
  dueAt: number;
  /** The last task's answer (a backoff Wait reads its retryAfterSeconds). */
  lastAnswer?: { retryAfterSeconds?: number };
  readonly signal: AbortSignal;
  done: Promise<void>;
  abort(): void;
}

export interface StepFunctionsOptions {
  /** The runtime's clock: Wait states last their seconds on it (an advance ends them early). */
  readonly clock: LocalClock;
  /**
   * Shorten every Wait state to at most this long (ms), for tests that do not care about time;
   * the backoff the steps choose and the messages that say so are unchanged.
   * @default none: waits last what they say
   */
  readonly waitMs?: number;
}

interface Definition {
  States: Record<string, { Type: string; Resource?: string; Retry?: unknown[] }>;
}

/**
 * A Step Functions API endpoint (the awsJson1_0 protocol the real SFN client speaks) that runs
 * the ASL files from statemachines/ with aws-local-stepfunctions, Task resources mapped to the
 * same task handlers. StartExecution is idempotent by name, as on AWS.
 */
export class LocalStepFunctions {
  readonly executions = new Map<string, LocalExecution>();
  private readonly machines = new Map<WorkflowName, { sm: StateMachine; def: Definition }>();
  private server?: Server;
  endpoint = '';

  constructor(readonly options: StepFunctionsOptions) {
    for (const name of Object.keys(WORKFLOWS) as WorkflowName[]) {
      let text = readFileSync(`${REPO_ROOT}${aslFile(name)}`, 'utf8');
      for (const task of Object.keys(TASKS) as TaskName[]) text = text.replaceAll(`\${${substitutionKey(task)}}`, functionArn(task));
      const def = JSON.parse(text) as Definition;
      this.machines.set(name, { sm: new StateMachine(def as never, { validationOptions: { checkPaths: true, checkArn: true } }), def });
    }
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '').replace('AWSStepFunctions.', '');
        let body: Record<string, string> = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        } catch {
          // answered below as a validation error
        }
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify(payload));
        };
        const fail = (type: string, message: string) => reply(400, { __type: `com.amazonaws.swf.service.v2.model#${type}`, message });
        try {
          if (target === 'StartExecution') {
            const r = this.startExecution(body.stateMachineArn ?? '', body.name ?? randomUUID(), body.input ?? '{}');
            if ('refused' in r) return fail(r.refused, r.message);
            return reply(200, { executionArn: r.executionArn, startDate: r.startDate.getTime() / 1000 });
          }
          const exec = this.executions.get(body.executionArn ?? '');
          if (target === 'StopExecution') {
            if (!exec) return fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
            exec.abort();
            return reply(200, { stopDate: clock.now() / 1000 });
          }
          if (target === 'DescribeExecution') {
            if (!exec) return fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
            return reply(200, {
              executionArn: exec.executionArn,
              stateMachineArn: stateMachineArn(exec.workflow),
              name: exec.name,
              status: exec.status,
              startDate: exec.startDate.getTime() / 1000,
              stopDate: exec.stopDate ? exec.stopDate.getTime() / 1000 : undefined,
              input: exec.input,
              output: exec.output,
              error: exec.error,
            });
          }
          return fail('UnknownOperationException', `${target} is not supported by the local Step Functions endpoint`);
        } catch (err) {
          return reply(500, { __type: 'InternalFailure', message: (err as Error).message });
        }
      });
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    const addr = this.server.address();
    this.endpoint = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return this.endpoint;
  }

  startExecution(machineArn: string, name: string, input: string): LocalExecution | { refused: string; message: string } {
    const workflow = (Object.keys(WORKFLOWS) as WorkflowName[]).find((w) => stateMachineArn(w) === machineArn);
    if (!workflow) return { refused: 'StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${machineArn}'` };
    const executionArn = machineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // Same name and input: the existing execution (idempotent); other input: refused, as on AWS.
      return existing.input === input ? existing : { refused: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${executionArn}'` };
    }
    const { sm, def } = this.machines.get(workflow)!;
    const taskStates = Object.entries(def.States).filter(([, s]) => s.Type === 'Task');
    const waitStates = Object.entries(def.States).filter(([, s]) => s.Type === 'Wait');
    const startDate = clock.date();
    const stopping = new AbortController();
    // Declared before the run starts: its handlers read and write it.
    // eslint-disable-next-line prefer-const
    let exec: LocalExecution;
    const run = sm.run(JSON.parse(input), {
      noThrowOnAbort: true,
      context: { Execution: { Id: executionArn, Name: name, Input: JSON.parse(input), StartTime: startDate.toISOString() } },
      overrides: {
        // A Task runs once the clock reaches the end of the Wait before it: the Wait itself passes at once.
        taskResourceLocalHandlers: Object.fromEntries(
          taskStates.map(([state, s]) => [
            state,
            async (event: unknown) => {
              await this.options.clock.until(exec.dueAt, exec.signal);
              const result = await this.invoke(s.Resource!, event);
              exec.lastAnswer = result as { retryAfterSeconds?: number };
              return result as never;
            },
          ]),
        ),
        waitTimeOverrides: new Proxy({} as Record<string, number>, {
          get: (_target, state) => {
            const def = waitStates.find(([name]) => name === state)?.[1] as { Seconds?: number } | undefined;
            const seconds = def?.Seconds ?? exec.lastAnswer?.retryAfterSeconds ?? 0;
            const ms = Math.min(seconds * 1000, this.options.waitMs ?? Infinity);
            exec.dueAt = this.options.clock.now() + ms;
            return 0;
          },
        }),
        retryIntervalOverrides: Object.fromEntries(taskStates.map(([state]) => [state, Math.min(2000, this.options.waitMs ?? 2000)])),
      },
    });
    exec = {
      executionArn,
      workflow,
      name,
      input,
      startDate,
      status: 'RUNNING',
      transitions: 0,
      dueAt: 0,
      signal: stopping.signal,
      abort: () => {
        if (exec.status !== 'RUNNING') return;
        exec.status = 'ABORTED';
        exec.stopDate = clock.date();
        stopping.abort();
        run.abort();
      },
      done: Promise.resolve(),
    };
    exec.done = (async () => {
        const counting = (async () => {
          for await (const e of run.eventLogs) if (e.type === 'StateEntered') exec.transitions++;
        })().catch(() => undefined);
        try {
          const output = await run.result;
          if (exec.status === 'RUNNING') {
            exec.status = 'SUCCEEDED';
            exec.output = JSON.stringify(output);
          }
        } catch (err) {
          if (exec.status === 'RUNNING') {
            exec.status = 'FAILED';
            exec.error = (err as Error).message;
            console.error(`workflow ${name} failed:`, err);
          }
        }
        exec.stopDate ??= clock.date();
        await counting;
      })();
    this.executions.set(executionArn, exec);
    return exec;
  }

  private async invoke(resource: string, event: unknown): Promise<unknown> {
    const task = (Object.keys(TASKS) as TaskName[]).find((t) => functionArn(t) === resource);
    if (!task) throw new Error(`no local handler for ${resource}`);
    const fn = await loadHandler<TaskHandler>(TASKS[task].entry);
    return fn(event, lambdaContext(`strata-${task}`, 900_000));
  }

  /** Wait for every running execution (or the given ones) to end. */
  async settle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }

  async stop(): Promise<void> {
    for (const e of this.executions.values()) e.abort();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }
}
