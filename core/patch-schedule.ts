import { Cron } from 'croner';
import type { OsPatchSettings } from './os-patch.js';

/**
 * The schedule of a cluster's patch runs, as EventBridge Scheduler runs it: the settings as a
 * Scheduler expression (six-field cron, day-of-week 1 = Sunday, `?` in day-of-month or day-of-week),
 * evaluated in the cluster's IANA time zone, with Scheduler's daylight-saving rules: a start that
 * falls in a spring-forward gap is skipped, one in a fall-back overlap runs once.
 *
 * Checked against the Scheduler and EventBridge cron reference (docs.aws.amazon.com, "Cron
 * expressions reference" and Scheduler "Schedule types"): six fields, minutes hours day-of-month
 * month day-of-week year; day-of-week 1-7 or SUN-SAT (1 = Sunday) with `, - * ? L #` and no `/`;
 * month 1-12 or JAN-DEC with `, - * /`; `*` may not be in both day fields, one of them must be `?`;
 * steps are written start/step (`0/15`). Daylight saving: a start on a time that does not exist
 * (spring forward) is skipped, a time that repeats (fall back) runs once.
 */

interface FieldSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Unix cron's fields: day-of-week 0-7, 0 and 7 both Sunday. */
const UNIX_FIELDS: readonly FieldSpec[] = [
  { label: 'minute', min: 0, max: 59 },
  { label: 'hour', min: 0, max: 23 },
  { label: 'day-of-month', min: 1, max: 31 },
  { label: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { label: 'day-of-week', min: 0, max: 7, names: DAY_NAMES },
];
const MINUTE = UNIX_FIELDS[0]!;
const HOUR = UNIX_FIELDS[1]!;
/** The longest each month can be (February in a leap year). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

type Parsed = { readonly values: Set<number> } | { readonly problem: string };

function fieldValue(text: string, spec: FieldSpec): number | undefined {
  if (/^\d{1,2}$/.test(text)) {
    const n = Number(text);
    return n >= spec.min && n <= spec.max ? n : undefined;
  }
  const i = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  // Month names count from 1, day names from 0 (SUN), as Unix cron numbers them.
  return i < 0 ? undefined : i + (spec.names === MONTH_NAMES ? 1 : 0);
}

/** The values a Unix cron field (`*`, `5`, `1-5`, `*\/2`, `1-10/3`, lists of them, names) stands for. */
function parseField(text: string, spec: FieldSpec): Parsed {
  const values = new Set<number>();
  const range = spec.names ? `${spec.min}-${spec.max} or ${spec.names[0]}-${spec.names.at(-1)}` : `${spec.min}-${spec.max}`;
  for (const part of text.split(',')) {
    const m = /^(\*|([0-9A-Za-z]+)(?:-([0-9A-Za-z]+))?)(?:\/(\d{1,2}))?$/.exec(part);
    if (!m) return { problem: `${spec.label} "${part}" is not a value, range, list or step (${range})` };
    const step = m[4] === undefined ? 1 : Number(m[4]);
    if (step < 1) return { problem: `${spec.label} "${part}" has a step of 0` };
    let from = spec.min;
    let to = spec.max;
    if (m[1] !== '*') {
      const a = fieldValue(m[2]!, spec);
      const b = m[3] === undefined ? a : fieldValue(m[3], spec);
      if (a === undefined || b === undefined) return { problem: `${spec.label} "${part}" is outside ${range}` };
      if (b < a) return { problem: `${spec.label} range "${part}" runs backwards` };
      // `5/10` (a start with a step) is not Unix cron: write 5-59/10.
      if (m[3] === undefined && m[4] !== undefined) return { problem: `${spec.label} "${part}": write a step over a range, e.g. ${a}-${spec.max}/${step}` };
      from = a;
      to = b;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return { values };
}

const isAny = (field: string) => field === '*' || field === '?';

function splitUserCron(cron: string): { fields: string[]; parsed: Set<number>[] } | { problem: string } {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return { problem: `a cron expression has 5 fields (minute hour day-of-month month day-of-week), e.g. "0 3 * * SUN"; this one has ${fields.length}` };
  const parsed: Set<number>[] = [];
  for (const [i, spec] of UNIX_FIELDS.entries()) {
    const field = fields[i]!;
    // `?` (any) is only meaningful in the day fields, as in Scheduler's own syntax.
    const result = (i === 2 || i === 4) && field === '?' ? parseField('*', spec) : parseField(field, spec);
    if ('problem' in result) return result;
    parsed.push(result.values);
  }
  return { fields, parsed };
}

/** Why a 5-field cron expression cannot be a patch schedule (undefined when it can). Both day-of-month and day-of-week set is refused, as Scheduler refuses it. */
export function userCronProblem(cron: string): string | undefined {
  const split = splitUserCron(cron);
  if ('problem' in split) return split.problem;
  const [, , dom, month, dow] = split.fields as [string, string, string, string, string];
  if (!isAny(dom) && !isAny(dow)) {
    return `sets both day-of-month (${dom}) and day-of-week (${dow}): EventBridge Scheduler takes one of them, so make the other *`;
  }
  const days = split.parsed[2]!;
  const months = split.parsed[3]!;
  if (![...months].some((m) => [...days].some((d) => d <= MONTH_DAYS[m - 1]!))) {
    return `never runs: day-of-month ${dom} does not occur in month ${month}`;
  }
  return undefined;
}

/** Ascending numbers as Scheduler reads them, consecutive ones as a range: 2,3,4,5,6 → 2-6. */
function compact(values: readonly number[]): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * A Unix minute, hour, day-of-month or month field in Scheduler's form: `*\/n` becomes `start/n`
 * (the documented step form), a step over a range becomes the list it stands for, names are kept.
 */
function schedulerField(field: string, spec: FieldSpec): string {
  return field
    .split(',')
    .map((part) => {
      const star = /^\*\/(\d+)$/.exec(part);
      if (star) return `${spec.min}/${Number(star[1])}`;
      if (part.includes('/')) {
        const parsed = parseField(part, spec);
        return 'values' in parsed ? compact([...parsed.values]) : part;
      }
      return part.replace(/\d+/g, (n) => String(Number(n))).toUpperCase();
    })
    .join(',');
}

/**
 * Unix day-of-week (0-7, 0 and 7 Sunday) in Scheduler's numbering (1-7, 1 Sunday). Names mean the
 * same in both and are kept; anything with a number or a step (Scheduler has no `/` in this
 * field) becomes the days it stands for, renumbered.
 */
function schedulerDayOfWeek(field: string): string {
  if (/^[A-Za-z]{3}(-[A-Za-z]{3})?(,[A-Za-z]{3}(-[A-Za-z]{3})?)*$/.test(field)) return field.toUpperCase();
  const parsed = parseField(field, UNIX_FIELDS[4]!);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return compact([...parsed.values].map((d) => (d % 7) + 1));
}

/** A user's 5-field Unix cron as Scheduler's six fields (no `cron(...)` around them). */
function schedulerCronFields(cron: string): string {
  const problem = userCronProblem(cron);
  if (problem) throw new Error(`cron "${cron}": ${problem}`);
  const [minute, hour, dom, month, dow] = cron.trim().split(/\s+/) as [string, string, string, string, string];
  // One day field must be `?`: the one left open; with both open, every day by day-of-month.
  const days = isAny(dow) ? [isAny(dom) ? '*' : schedulerField(dom, UNIX_FIELDS[2]!), '?'] : ['?', schedulerDayOfWeek(dow)];
  return [schedulerField(minute, MINUTE), schedulerField(hour, HOUR), days[0], schedulerField(month, UNIX_FIELDS[3]!), days[1], '*'].join(' ');
}

/** The Scheduler expression of the settings: cron(min hour dom month dow year); undefined for frequency none. */
export function schedulerExpression(settings: OsPatchSettings): string | undefined {
  const [h, m] = settings.timeOfDay.split(':').map(Number) as [number, number];
  switch (settings.frequency) {
    case 'none':
      return undefined;
    case 'daily':
      return `cron(${m} ${h} * * ? *)`;
    case 'weekly':
      if (!settings.dayOfWeek) throw new Error('a weekly schedule needs dayOfWeek');
      return `cron(${m} ${h} ? * ${settings.dayOfWeek} *)`;
    case 'monthly':
      if (settings.dayOfMonth === undefined) throw new Error('a monthly schedule needs dayOfMonth');
      return `cron(${m} ${h} ${settings.dayOfMonth === 'last' ? 'L' : settings.dayOfMonth} * ? *)`;
    case 'cron':
      if (!settings.cron) throw new Error('a cron schedule needs cron');
      return `cron(${schedulerCronFields(settings.cron)})`;
  }
}

/** The values of a Scheduler minute or hour field: `*`, `5`, `1-5`, `0/15`, `*\/15`, `1-30/5`, lists. */
function schedulerTimeValues(field: string, spec: FieldSpec): Set<number> | undefined {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|(\d{1,2})(?:-(\d{1,2}))?)(?:\/(\d{1,2}))?$/.exec(part);
    if (!m) return undefined;
    const step = m[4] === undefined ? 1 : Number(m[4]);
    const from = m[1] === '*' ? spec.min : Number(m[2]);
    // `a/n` runs from a to the end of the field, as in Quartz.
    const to = m[1] === '*' || (m[3] === undefined && m[4] !== undefined) ? spec.max : Number(m[3] ?? m[2]);
    if (step < 1 || from < spec.min || to > spec.max || to < from) return undefined;
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

interface CompiledSchedule {
  readonly cron: Cron;
  readonly minutes: Set<number>;
  readonly hours: Set<number>;
}

function compile(expression: string, timeZone: string): CompiledSchedule | string {
  const m = /^cron\((.*)\)$/.exec(expression.trim());
  if (!m) return `"${expression}" is not a cron(...) expression`;
  const fields = m[1]!.trim().split(/\s+/);
  if (fields.length !== 6) return `cron(...) has six fields (minutes hours day-of-month month day-of-week year); "${expression}" has ${fields.length}`;
  const [minute, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) return `one of day-of-month and day-of-week must be ? (and only one): "${expression}"`;
  const minutes = schedulerTimeValues(minute, MINUTE);
  const hours = schedulerTimeValues(hour, HOUR);
  if (!minutes) return `minutes "${minute}" cannot be read`;
  if (!hours) return `hours "${hour}" cannot be read`;
  if (dow.includes('/')) return `day-of-week "${dow}" cannot have a step`;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    return `"${timeZone}" is not a time zone`;
  }
  // croner reads the Quartz forms with alternativeWeekdays (1 = Sunday); the last Friday is 6#L there, 6L in Scheduler.
  const croner = ['0', minute, hour, dom, month, dow.replace(/^([1-7]|[A-Za-z]{3})L$/, '$1#L'), year].map((f) => (f === '?' ? '*' : f)).join(' ');
  try {
    const cron = new Cron(croner, { timezone: timeZone, paused: true, mode: '7-part', alternativeWeekdays: true, sloppyRanges: true });
    return { cron, minutes, hours };
  } catch (err) {
    return `"${expression}" cannot be read: ${(err as Error).message}`;
  }
}

/** Why Scheduler would not take a cron(...) expression in this time zone (undefined when it would). */
export function schedulerExpressionProblem(expression: string, timeZone: string): string | undefined {
  const compiled = compile(expression, timeZone);
  return typeof compiled === 'string' ? compiled : undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function wallClock(at: Date, timeZone: string): { date: string; hour: number; minute: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour), minute: Number(p.minute) };
}

const wallText = (at: Date, timeZone: string) => {
  const w = wallClock(at, timeZone);
  return `${w.date} ${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
};

/** Daylight-saving shifts in use: 30 minutes (Lord Howe), an hour, two hours (Troll). */
const DST_SHIFTS_MS = [30, 60, 120].map((m) => m * 60_000);

/**
 * The next `count` starts of a Scheduler cron expression in a time zone, strictly after `after`, as Scheduler fires them.
 *
 * croner follows Vixie cron around daylight saving, Scheduler does not, so its candidates are
 * corrected: in a spring-forward gap croner moves a fixed time (one minute, one hour) to the first
 * time after the gap on the same day, which Scheduler skips (so a candidate whose wall-clock hour
 * and minute the expression does not name is dropped); in a fall-back overlap croner runs lists,
 * ranges and steps on both passes, Scheduler once (so a wall-clock time already seen 30, 60 or
 * 120 minutes earlier is dropped).
 */
export function nextRuns(expression: string, timeZone: string, after: Date, count: number): Date[] {
  const compiled = compile(expression, timeZone);
  if (typeof compiled === 'string') throw new Error(compiled);
  const { cron, minutes, hours } = compiled;
  const runs: Date[] = [];
  let from = after;
  // Bounded: only daylight-saving corrections drop candidates.
  for (let tries = 0; runs.length < count && tries < count + 1000; tries++) {
    const candidate = cron.nextRun(from);
    if (!candidate) break;
    from = candidate;
    const wall = wallClock(candidate, timeZone);
    if (!minutes.has(wall.minute) || !hours.has(wall.hour)) continue;
    const text = wallText(candidate, timeZone);
    if (DST_SHIFTS_MS.some((shift) => wallText(new Date(candidate.getTime() - shift), timeZone) === text)) continue;
    runs.push(candidate);
  }
  return runs;
}

/** A start as the cluster's people read it: 2026-12-06 03:00 (Europe/Berlin). */
export function localTime(at: Date, timeZone: string): string {
  return `${wallText(at, timeZone)} (${timeZone})`;
}
