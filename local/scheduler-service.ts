import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { bearerKey } from '../core/api-keys.js';
import { nextRuns, schedulerExpressionProblem } from '../core/patch-schedule.js';
import type { LocalClock } from './clock.js';
import { rateMs } from './scheduler.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const DAY_MS = 86_400_000;

export interface ScheduleTarget {
  readonly Arn: string;
  readonly RoleArn: string;
  readonly Input?: string;
  readonly RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
  readonly DeadLetterConfig?: { Arn?: string };
}

export interface StoredSchedule {
  readonly Name: string;
  readonly GroupName: string;
  readonly Arn: string;
  readonly ScheduleExpression: string;
  readonly ScheduleExpressionTimezone: string;
  readonly State: 'ENABLED' | 'DISABLED';
  readonly FlexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  readonly Target: ScheduleTarget;
  readonly Description?: string;
  readonly StartDate?: number;
  readonly EndDate?: number;
  readonly KmsKeyArn?: string;
  readonly ActionAfterCompletion?: string;
  /** Epoch seconds, as the REST-JSON protocol carries timestamps. */
  readonly CreationDate: number;
  readonly LastModificationDate: number;
}

/** One start of a schedule's target: what it was given, and what came of it. */
export interface ScheduleFire {
  readonly schedule: string;
  readonly group: string;
  readonly scheduledTime: string;
  readonly targetArn: string;
  readonly input: string;
  readonly executionArn?: string;
  readonly error?: string;
}

export type StartExecution = (stateMachineArn: string, name: string, input: string) => { executionArn: string } | { refused: string; message: string };

export interface SchedulerServiceOptions {
  /** The runtime's one clock: schedules fire when it reaches their times (tests advance it). */
  readonly clock: LocalClock;
  /** Starts a state machine execution in-process (LocalStepFunctions.startExecution). */
  readonly startExecution: StartExecution;
  /** Schedule groups that exist besides `default` (the stack makes them on AWS). */
  readonly groups?: readonly string[];
  /** Keep the schedules here (JSON) so a runtime that keeps its data keeps them too. */
  readonly file?: string;
}

class SchedulerError extends Error {
  constructor(
    readonly type: 'ConflictException' | 'ResourceNotFoundException' | 'ValidationException',
    message: string,
  ) {
    super(message);
  }
  get status(): number {
    return this.type === 'ConflictException' ? 409 : this.type === 'ResourceNotFoundException' ? 404 : 400;
  }
}

/** Scheduler's time as Step Functions and the run read it: ISO 8601 UTC to the second. */
export const scheduledTimeText = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * EventBridge Scheduler on loopback, its REST-JSON API as the real SchedulerClient speaks it
 * (through AWS_ENDPOINT_URL_SCHEDULER): CreateSchedule POST /schedules/{Name}, UpdateSchedule PUT,
 * GetSchedule GET and DeleteSchedule DELETE /schedules/{Name}?groupName=, ListSchedules GET
 * /schedules?ScheduleGroup=&NamePrefix=&State=&NextToken=&MaxResults=. Errors as Scheduler answers
 * them (x-amzn-errortype, {Message}). Each enabled schedule fires on the runtime's clock at the times
 * core/patch-schedule.ts nextRuns gives (Scheduler's daylight-saving rules), starting its target
 * state machine with the Input's <aws.scheduler.*> placeholders filled in. A clock jump over several
 * starts fires the first one only, as the platform's own scheduler does.
 */
export class LocalSchedulerService {
  readonly fires: ScheduleFire[] = [];
  private readonly schedules = new Map<string, StoredSchedule>();
  private readonly running = new Map<string, AbortController>();
  private readonly groups: Set<string>;
  private server?: Server;
  endpoint = '';

  constructor(private readonly options: SchedulerServiceOptions) {
    this.groups = new Set(['default', ...(options.groups ?? [])]);
    if (options.file && existsSync(options.file)) {
      for (const s of JSON.parse(readFileSync(options.file, 'utf8')) as StoredSchedule[]) this.schedules.set(key(s.GroupName, s.Name), s);
    }
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        };
        try {
          reply(200, this.handle(req.method ?? 'GET', new URL(req.url ?? '/', 'http://localhost'), Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          if (err instanceof SchedulerError) return reply(err.status, { Message: err.message }, { 'x-amzn-errortype': err.type });
          reply(500, { Message: (err as Error).message }, { 'x-amzn-errortype': 'InternalServerException' });
        }
      });
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    const addr = this.server.address();
    this.endpoint = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    for (const s of this.schedules.values()) this.arm(s);
    return this.endpoint;
  }

  async stop(): Promise<void> {
    for (const c of this.running.values()) c.abort();
    this.running.clear();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }

  /** The schedules held, with when each fires next: GET /local/schedules. */
  list(): { name: string; group: string; expression: string; timeZone: string; state: string; nextRun?: string; lastRun?: string }[] {
    return [...this.schedules.values()]
      .sort((a, b) => key(a.GroupName, a.Name).localeCompare(key(b.GroupName, b.Name)))
      .map((s) => {
        const next = s.State === 'ENABLED' ? this.nextFire(s, new Date(this.options.clock.now())) : undefined;
        const last = this.fires.findLast((f) => f.group === s.GroupName && f.schedule === s.Name);
        return {
          name: s.Name,
          group: s.GroupName,
          expression: s.ScheduleExpression,
          timeZone: s.ScheduleExpressionTimezone,
          state: s.State,
          ...(next ? { nextRun: next.toISOString() } : {}),
          ...(last ? { lastRun: last.scheduledTime } : {}),
        };
      });
  }

  /** GET /local/schedules for the operator key, next to the runtime's other /local controls; undefined for any other request. */
  localControl(req: IncomingMessage, operatorKey: string): APIGatewayProxyResult | undefined {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/local/schedules' || req.method !== 'GET') return undefined;
    const json = (statusCode: number, body: unknown) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (bearerKey(req.headers.authorization) !== operatorKey) {
      return json(401, { error: 'Unauthorized', message: 'the local controls need the operator key', details: [{ path: 'headers.authorization', message: 'operator key required' }] });
    }
    return json(200, { items: this.list() });
  }

  private handle(method: string, url: URL, body: string): unknown {
    const one = /^\/schedules\/([^/]+)$/.exec(url.pathname);
    if (url.pathname === '/schedules' && method === 'GET') return this.listSchedules(url.searchParams);
    if (!one) throw new SchedulerError('ValidationException', `${method} ${url.pathname} is not supported by the local Scheduler`);
    const name = decodeURIComponent(one[1]!);
    if (method === 'POST' || method === 'PUT') {
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(body || '{}') as Record<string, unknown>;
      } catch {
        throw new SchedulerError('ValidationException', 'the request body is not JSON');
      }
      return this.put(name, input, method === 'POST');
    }
    const group = this.group(url.searchParams.get('groupName'));
    const found = this.schedules.get(key(group, name));
    if (!found) throw new SchedulerError('ResourceNotFoundException', `Schedule ${name} does not exist.`);
    if (method === 'GET') return found;
    if (method === 'DELETE') {
      this.schedules.delete(key(group, name));
      this.running.get(key(group, name))?.abort();
      this.running.delete(key(group, name));
      this.save();
      return {};
    }
    throw new SchedulerError('ValidationException', `${method} /schedules/{Name} is not supported`);
  }

  private group(name: string | null | undefined): string {
    const group = name || 'default';
    if (!this.groups.has(group)) throw new SchedulerError('ResourceNotFoundException', `Schedule group ${group} does not exist.`);
    return group;
  }

  private put(name: string, input: Record<string, unknown>, create: boolean): { ScheduleArn: string } {
    if (!/^[0-9a-zA-Z\-_.]{1,64}$/.test(name)) throw new SchedulerError('ValidationException', `Name "${name}" must be 1-64 letters, digits, - _ or .`);
    const group = this.group(input.GroupName as string | undefined);
    const existing = this.schedules.get(key(group, name));
    if (create && existing) throw new SchedulerError('ConflictException', `Schedule ${name} already exists.`);
    if (!create && !existing) throw new SchedulerError('ResourceNotFoundException', `Schedule ${name} does not exist.`);
    const expression = String(input.ScheduleExpression ?? '');
    const timeZone = String(input.ScheduleExpressionTimezone ?? 'UTC');
    const problem = expression.startsWith('rate(') ? (rateMs(expression) ? undefined : `Invalid Schedule Expression ${expression}.`) : schedulerExpressionProblem(expression, timeZone);
    if (problem) throw new SchedulerError('ValidationException', `Invalid Schedule Expression ${expression}: ${problem}`);
    const target = input.Target as ScheduleTarget | undefined;
    if (!target?.Arn || !target.RoleArn) throw new SchedulerError('ValidationException', 'Target needs Arn and RoleArn.');
    const window = input.FlexibleTimeWindow as StoredSchedule['FlexibleTimeWindow'] | undefined;
    if (window?.Mode !== 'OFF' && window?.Mode !== 'FLEXIBLE') throw new SchedulerError('ValidationException', 'FlexibleTimeWindow.Mode must be OFF or FLEXIBLE.');
    if (window.Mode === 'FLEXIBLE' && !(Number(window.MaximumWindowInMinutes) >= 1 && Number(window.MaximumWindowInMinutes) <= 1440)) {
      throw new SchedulerError('ValidationException', 'FlexibleTimeWindow FLEXIBLE needs MaximumWindowInMinutes 1-1440.');
    }
    const state = input.State ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED') throw new SchedulerError('ValidationException', 'State must be ENABLED or DISABLED.');
    const now = this.options.clock.now() / 1000;
    // UpdateSchedule replaces the whole schedule: what it leaves out is gone.
    const schedule: StoredSchedule = {
      Name: name,
      GroupName: group,
      Arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${group}/${name}`,
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: timeZone,
      State: state,
      FlexibleTimeWindow: window,
      Target: target,
      ...(typeof input.Description === 'string' ? { Description: input.Description } : {}),
      ...(typeof input.StartDate === 'number' ? { StartDate: input.StartDate } : {}),
      ...(typeof input.EndDate === 'number' ? { EndDate: input.EndDate } : {}),
      ...(typeof input.KmsKeyArn === 'string' ? { KmsKeyArn: input.KmsKeyArn } : {}),
      ...(typeof input.ActionAfterCompletion === 'string' ? { ActionAfterCompletion: input.ActionAfterCompletion } : {}),
      CreationDate: existing?.CreationDate ?? now,
      LastModificationDate: now,
    };
    this.schedules.set(key(group, name), schedule);
    this.save();
    this.arm(schedule);
    return { ScheduleArn: schedule.Arn };
  }

  private listSchedules(query: URLSearchParams): { Schedules: unknown[]; NextToken?: string } {
    const group = query.get('ScheduleGroup');
    const prefix = query.get('NamePrefix') ?? '';
    const state = query.get('State');
    const max = Math.min(Math.max(Number(query.get('MaxResults') ?? 100) || 100, 1), 100);
    const matching = [...this.schedules.values()]
      .filter((s) => (!group || s.GroupName === group) && s.Name.startsWith(prefix) && (!state || s.State === state))
      .sort((a, b) => key(a.GroupName, a.Name).localeCompare(key(b.GroupName, b.Name)));
    // The token is where the next page starts: the key of its first schedule.
    const token = query.get('NextToken');
    const from = token ? matching.findIndex((s) => key(s.GroupName, s.Name) >= Buffer.from(token, 'base64url').toString('utf8')) : 0;
    const page = from < 0 ? [] : matching.slice(from, from + max);
    const after = from < 0 ? undefined : matching[from + max];
    return {
      Schedules: page.map((s) => ({ Arn: s.Arn, Name: s.Name, GroupName: s.GroupName, State: s.State, CreationDate: s.CreationDate, LastModificationDate: s.LastModificationDate, Target: { Arn: s.Target.Arn } })),
      ...(after ? { NextToken: Buffer.from(key(after.GroupName, after.Name)).toString('base64url') } : {}),
    };
  }

  /** The first start strictly after `after`, within StartDate and EndDate. */
  private nextFire(s: StoredSchedule, after: Date): Date | undefined {
    const start = s.StartDate === undefined ? undefined : s.StartDate * 1000;
    const from = start !== undefined && start - 1 > after.getTime() ? new Date(start - 1) : after;
    let next: Date | undefined;
    const every = rateMs(s.ScheduleExpression);
    if (every) {
      const origin = start ?? s.CreationDate * 1000;
      next = new Date(origin + (Math.floor((from.getTime() - origin) / every) + 1) * every);
    } else {
      next = nextRuns(s.ScheduleExpression, s.ScheduleExpressionTimezone, from, 1)[0];
    }
    return next && (s.EndDate === undefined || next.getTime() <= s.EndDate * 1000) ? next : undefined;
  }

  /** (Re)start the schedule's loop on the clock; a replaced or deleted schedule's loop ends. */
  private arm(s: StoredSchedule): void {
    const id = key(s.GroupName, s.Name);
    this.running.get(id)?.abort();
    this.running.delete(id);
    if (s.State !== 'ENABLED' || !this.server) return;
    const stopping = new AbortController();
    this.running.set(id, stopping);
    const { clock } = this.options;
    void (async () => {
      let after = new Date(clock.now());
      while (!stopping.signal.aborted) {
        const next = this.nextFire(s, after);
        if (!next) return;
        // A day at a time: Node's timers cannot wait past 24.8 days (they fire at once instead).
        while (!stopping.signal.aborted && clock.now() < next.getTime()) await clock.until(Math.min(next.getTime(), clock.now() + DAY_MS), stopping.signal);
        if (stopping.signal.aborted) return;
        this.fire(s, next);
        after = new Date(Math.max(next.getTime(), clock.now()));
      }
    })();
  }

  private fire(s: StoredSchedule, at: Date): void {
    const scheduledTime = scheduledTimeText(at);
    const input = (s.Target.Input ?? '{}')
      .replaceAll('<aws.scheduler.scheduled-time>', scheduledTime)
      .replaceAll('<aws.scheduler.schedule-arn>', s.Arn)
      .replaceAll('<aws.scheduler.attempt-number>', '0')
      .replaceAll('<aws.scheduler.execution-id>', `${s.Name}-${scheduledTime}`);
    // Named after the schedule and its time: a fire that is repeated starts one execution.
    const name = `${s.Name.slice(0, 60)}-${scheduledTime.replace(/[-:]/g, '')}`;
    const base = { schedule: s.Name, group: s.GroupName, scheduledTime, targetArn: s.Target.Arn, input };
    let started: ReturnType<StartExecution>;
    try {
      started = this.options.startExecution(s.Target.Arn, name, input);
    } catch (err) {
      started = { refused: 'ValidationException', message: (err as Error).message };
    }
    if ('refused' in started) {
      console.error(`schedule ${s.GroupName}/${s.Name} could not start ${s.Target.Arn}: ${started.refused}: ${started.message}`);
      this.fires.push({ ...base, error: `${started.refused}: ${started.message}` });
    } else {
      this.fires.push({ ...base, executionArn: started.executionArn });
    }
  }

  private save(): void {
    if (this.options.file) writeFileSync(this.options.file, JSON.stringify([...this.schedules.values()]), { mode: 0o600 });
  }
}

const key = (group: string, name: string) => `${group}/${name}`;
