import { Cron } from 'croner';
import type { LocalClock } from './clock.js';
import { lambdaContext } from './lambda-context.js';

/** Milliseconds of an EventBridge `rate(N unit)` expression. */
export function rateMs(expression: string): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!m) return undefined;
  const unit = m[2]!.startsWith('minute') ? 60_000 : m[2]!.startsWith('hour') ? 3_600_000 : 86_400_000;
  return Number(m[1]) * unit;
}

/** EventBridge `cron(min hour dom month dow year)` → a 5-field cron croner runs (UTC). */
export function cronPattern(expression: string): string | undefined {
  const m = /^cron\((.+)\)$/.exec(expression.trim());
  if (!m) return undefined;
  const f = m[1]!.trim().split(/\s+/);
  if (f.length !== 6) return undefined;
  return f.slice(0, 5).map((x) => (x === '?' ? '*' : x)).join(' ');
}

export interface LocalSchedule {
  readonly name: string;
  readonly expression: string;
  readonly run: () => Promise<{ handler: unknown }>;
  /** Run this often instead (tests, demos); the expression still decides in normal use. */
  readonly everyMs?: number;
}

/** Runs scheduled handlers as EventBridge would, honouring the same schedule expressions, on the runtime's clock. */
export class LocalScheduler {
  private readonly stopping = new AbortController();
  /** Schedules turned off (EventBridge DisableRule): they keep their slots and skip them. */
  private readonly disabled = new Set<string>();
  runs = 0;

  constructor(private readonly clock: LocalClock) {}

  private readonly names = new Set<string>();

  add(s: LocalSchedule): void {
    this.names.add(s.name);
    const fire = async () => {
      if (this.disabled.has(s.name)) return;
      this.runs++;
      const { handler } = await s.run();
      await (handler as (e: unknown, c: unknown) => Promise<unknown>)({ source: 'aws.scheduler', 'detail-type': 'Scheduled Event', resources: [s.name] }, lambdaContext(s.name)).catch((err: Error) => {
        // A run cut short by the runtime stopping is not a failure of the schedule.
        if (!this.stopping.signal.aborted) console.error(`scheduled ${s.name} failed:`, err.message);
      });
    };
    const every = s.everyMs ?? rateMs(s.expression);
    const pattern = every ? undefined : cronPattern(s.expression);
    if (!every && !pattern) throw new Error(`unsupported schedule expression ${s.expression}`);
    const cron = pattern ? new Cron(pattern, { timezone: 'UTC', paused: true }) : undefined;
    const signal = this.stopping.signal;
    void (async () => {
      let next = every ? this.clock.now() + every : cron!.nextRun(new Date(this.clock.now()))!.getTime();
      while (!signal.aborted) {
        await this.clock.until(next, signal);
        if (signal.aborted) break;
        await fire();
        next = every ? next + every : cron!.nextRun(new Date(this.clock.now()))!.getTime();
        if (next < this.clock.now()) next = this.clock.now() + (every ?? 1000); // a jump forward runs it once, not once per missed slot
      }
    })();
  }

  /** Whether a schedule fires; an unknown name is an error, as EventBridge answers it. */
  setEnabled(name: string, enabled: boolean): void {
    if (!this.names.has(name)) throw new Error(`Rule ${name} does not exist`);
    if (enabled) this.disabled.delete(name);
    else this.disabled.add(name);
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  isEnabled(name: string): boolean {
    return this.names.has(name) && !this.disabled.has(name);
  }

  stop(): void {
    this.stopping.abort();
  }
}
