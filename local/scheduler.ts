import { Cron } from 'croner';
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

/** Runs scheduled handlers as EventBridge would, honouring the same schedule expressions. */
export class LocalScheduler {
  private readonly timers: { stop(): void }[] = [];
  runs = 0;

  add(s: LocalSchedule): void {
    const fire = async () => {
      this.runs++;
      const { handler } = await s.run();
      await (handler as (e: unknown, c: unknown) => Promise<unknown>)({ source: 'aws.scheduler', 'detail-type': 'Scheduled Event', resources: [s.name] }, lambdaContext(s.name)).catch((err: Error) =>
        console.error(`scheduled ${s.name} failed:`, err.message),
      );
    };
    const every = s.everyMs ?? rateMs(s.expression);
    if (every) {
      let running = false;
      const t = setInterval(() => {
        if (running) return;
        running = true;
        void fire().finally(() => (running = false));
      }, every);
      t.unref();
      this.timers.push({ stop: () => clearInterval(t) });
      return;
    }
    const pattern = cronPattern(s.expression);
    if (!pattern) throw new Error(`unsupported schedule expression ${s.expression}`);
    const job = new Cron(pattern, { timezone: 'UTC', protect: true, unref: true }, () => void fire());
    this.timers.push({ stop: () => job.stop() });
  }

  stop(): void {
    for (const t of this.timers) t.stop();
  }
}
