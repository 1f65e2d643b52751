import { describe, expect, it } from 'vitest';
import { OsPatchSettings, PutOsPatchInput } from '../../../core/os-patch.js';
import { localTime, nextRuns, schedulerExpression, schedulerExpressionProblem, userCronProblem } from '../../../core/patch-schedule.js';

const settings = (s: Record<string, unknown>) => OsPatchSettings.parse(s);
const expressionOf = (s: Record<string, unknown>) => schedulerExpression(settings(s));
/** The next starts as the cluster's people read them. */
const local = (expression: string, timeZone: string, after: string, count: number) => nextRuns(expression, timeZone, new Date(after), count).map((d) => localTime(d, timeZone));
const iso = (expression: string, timeZone: string, after: string, count: number) => nextRuns(expression, timeZone, new Date(after), count).map((d) => d.toISOString());

describe('schedulerExpression', () => {
  it('writes daily, weekly and monthly settings as six-field Scheduler cron', () => {
    expect(expressionOf({ frequency: 'none' })).toBeUndefined();
    expect(expressionOf({ frequency: 'daily', timeOfDay: '03:00' })).toBe('cron(0 3 * * ? *)');
    expect(expressionOf({ frequency: 'daily', timeOfDay: '23:45' })).toBe('cron(45 23 * * ? *)');
    expect(expressionOf({ frequency: 'weekly', timeOfDay: '02:30', dayOfWeek: 'SUN' })).toBe('cron(30 2 ? * SUN *)');
    expect(expressionOf({ frequency: 'monthly', timeOfDay: '04:05', dayOfMonth: 15 })).toBe('cron(5 4 15 * ? *)');
    expect(expressionOf({ frequency: 'monthly', timeOfDay: '04:00', dayOfMonth: 'last' })).toBe('cron(0 4 L * ? *)');
  });

  it.each([
    ['0 3 * * *', 'cron(0 3 * * ? *)'],
    ['0 3 * * 0', 'cron(0 3 ? * 1 *)'],
    ['0 3 * * 7', 'cron(0 3 ? * 1 *)'],
    ['0 3 * * 1-5', 'cron(0 3 ? * 2-6 *)'],
    ['0 3 * * 0,6', 'cron(0 3 ? * 1,7 *)'],
    ['0 3 * * 5-7', 'cron(0 3 ? * 1,6-7 *)'],
    ['0 3 * * */2', 'cron(0 3 ? * 1,3,5,7 *)'],
    ['0 3 * * mon-fri', 'cron(0 3 ? * MON-FRI *)'],
    ['0 3 * * SAT,SUN', 'cron(0 3 ? * SAT,SUN *)'],
    ['0 3 1 * *', 'cron(0 3 1 * ? *)'],
    ['0 3 1,15 * ?', 'cron(0 3 1,15 * ? *)'],
    ['*/15 2 * * *', 'cron(0/15 2 * * ? *)'],
    ['0 */6 * * *', 'cron(0 0/6 * * ? *)'],
    ['30 2 1-10/3 */2 *', 'cron(30 2 1,4,7,10 1/2 ? *)'],
    ['0 3 * jan-mar SUN', 'cron(0 3 ? JAN-MAR SUN *)'],
  ])('converts the user cron %s to %s', (cron, expression) => {
    expect(expressionOf({ frequency: 'cron', cron })).toBe(expression);
  });

  it('gives expressions Scheduler reads, and refuses what it would not', () => {
    for (const cron of ['0 3 * * 1-5', '*/15 2 * * *', '0 3 28 * *']) {
      expect(schedulerExpressionProblem(expressionOf({ frequency: 'cron', cron })!, 'Europe/Berlin')).toBeUndefined();
    }
    expect(schedulerExpressionProblem('cron(0 3 * * * *)', 'UTC')).toMatch(/\?/);
    expect(schedulerExpressionProblem('cron(0 3 1 * MON *)', 'UTC')).toMatch(/\?/);
    expect(schedulerExpressionProblem('cron(0 3 * * ?)', 'UTC')).toMatch(/six fields/);
    expect(schedulerExpressionProblem('cron(0 3 ? * 1/2 *)', 'UTC')).toMatch(/step/);
    expect(schedulerExpressionProblem('cron(0 3 * * ? *)', 'Mars/Olympus')).toMatch(/time zone/);
    expect(schedulerExpressionProblem('0 3 * * *', 'UTC')).toMatch(/cron\(/);
  });
});

describe('userCronProblem', () => {
  it('accepts Unix cron', () => {
    for (const cron of ['0 3 * * *', '0 3 * * SUN', '*/5 1-4 * * 1-5', '0 0 29 2 *', '0 12 31 * *']) expect(userCronProblem(cron)).toBeUndefined();
  });

  it.each([
    ['0 3 * *', /5 fields/],
    ['0 3 * * * *', /5 fields/],
    ['60 3 * * *', /minute "60"/],
    ['0 24 * * *', /hour "24"/],
    ['0 3 0 * *', /day-of-month "0"/],
    ['0 3 * 13 *', /month "13"/],
    ['0 3 * * 8', /day-of-week "8"/],
    ['0 3 * * FUN', /day-of-week "FUN"/],
    ['0 5-1 * * *', /backwards/],
    ['5/10 3 * * *', /range/],
    ['0 3 L * *', /day-of-month "L"/],
    ['0 3 1 * MON', /both day-of-month \(1\) and day-of-week \(MON\)/],
    ['0 3 */2 * 1-5', /both/],
    ['0 3 30 2 *', /never runs/],
  ])('refuses %s', (cron, problem) => {
    expect(userCronProblem(cron)).toMatch(problem);
  });
});

describe('OsPatchSettings validation', () => {
  const paths = (input: Record<string, unknown>) => OsPatchSettings.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('asks for the field the frequency needs', () => {
    expect(paths({ frequency: 'weekly' })).toEqual(['dayOfWeek: required when frequency is weekly']);
    expect(paths({ frequency: 'monthly' })).toEqual(['dayOfMonth: required when frequency is monthly']);
    expect(paths({ frequency: 'cron' })).toEqual(['cron: required when frequency is cron']);
  });

  it('refuses a field the frequency does not use, naming it', () => {
    expect(paths({ frequency: 'daily', dayOfWeek: 'MON' })).toEqual(['dayOfWeek: not used when frequency is daily']);
    expect(paths({ frequency: 'weekly', dayOfWeek: 'MON', cron: '0 3 * * *' })).toEqual(['cron: not used when frequency is weekly']);
    expect(paths({ frequency: 'none', dayOfMonth: 3 })).toEqual(['dayOfMonth: not used when frequency is none']);
    expect(paths({ frequency: 'cron', cron: '0 3 * * *', dayOfMonth: 'last' })).toEqual(['dayOfMonth: not used when frequency is cron']);
  });

  it('refuses a cron Scheduler cannot run, on the cron field', () => {
    expect(paths({ frequency: 'cron', cron: '0 3 1 * MON' })).toEqual([expect.stringMatching(/^cron: sets both day-of-month/)]);
    expect(paths({ frequency: 'cron', cron: 'every day' })).toEqual([expect.stringMatching(/^cron: /)]);
  });

  it('keeps the rules in the PUT input', () => {
    expect(PutOsPatchInput.safeParse({ frequency: 'weekly', version: 3 }).error?.issues.map((i) => i.path)).toEqual([['dayOfWeek']]);
    expect(PutOsPatchInput.parse({ frequency: 'weekly', dayOfWeek: 'SUN', timeZone: 'Europe/Berlin', version: 3 })).toMatchObject({ dayOfWeek: 'SUN', version: 3 });
  });
});

describe('nextRuns', () => {
  it('runs daily at the time of day in the cluster time zone', () => {
    const daily = expressionOf({ frequency: 'daily', timeOfDay: '03:00' })!;
    expect(iso(daily, 'Europe/Berlin', '2026-12-01T00:00:00Z', 2)).toEqual(['2026-12-01T02:00:00.000Z', '2026-12-02T02:00:00.000Z']);
    expect(iso(daily, 'Europe/Berlin', '2026-07-01T00:00:00Z', 1)).toEqual(['2026-07-01T01:00:00.000Z']);
    expect(iso(daily, 'Asia/Kolkata', '2026-12-01T00:00:00Z', 2)).toEqual(['2026-12-01T21:30:00.000Z', '2026-12-02T21:30:00.000Z']);
  });

  it('starts strictly after the time given', () => {
    expect(iso('cron(0 3 * * ? *)', 'UTC', '2026-12-01T03:00:00Z', 1)).toEqual(['2026-12-02T03:00:00.000Z']);
    expect(iso('cron(0 3 * * ? *)', 'UTC', '2026-12-01T02:59:59.999Z', 1)).toEqual(['2026-12-01T03:00:00.000Z']);
  });

  it('runs weekly on the day, with Scheduler day numbers read as 1 = Sunday', () => {
    expect(local('cron(0 3 ? * SUN *)', 'Europe/Berlin', '2026-12-01T00:00:00Z', 2)).toEqual(['2026-12-06 03:00 (Europe/Berlin)', '2026-12-13 03:00 (Europe/Berlin)']);
    expect(local('cron(0 3 ? * 1 *)', 'Europe/Berlin', '2026-12-01T00:00:00Z', 1)).toEqual(['2026-12-06 03:00 (Europe/Berlin)']);
    // Monday to Friday as a user writes it (1-5) and as Scheduler runs it (2-6): 2026-12-04 is a Friday.
    const weekdays = expressionOf({ frequency: 'cron', cron: '0 3 * * 1-5' })!;
    expect(local(weekdays, 'America/New_York', '2026-12-04T00:00:00Z', 3)).toEqual([
      '2026-12-04 03:00 (America/New_York)',
      '2026-12-07 03:00 (America/New_York)',
      '2026-12-08 03:00 (America/New_York)',
    ]);
    const weekend = expressionOf({ frequency: 'cron', cron: '30 22 * * 0,6' })!;
    expect(local(weekend, 'Asia/Kolkata', '2026-12-01T00:00:00Z', 3)).toEqual(['2026-12-05 22:30 (Asia/Kolkata)', '2026-12-06 22:30 (Asia/Kolkata)', '2026-12-12 22:30 (Asia/Kolkata)']);
  });

  it('runs monthly on the day, and on the last day of each month', () => {
    expect(local(expressionOf({ frequency: 'monthly', timeOfDay: '04:00', dayOfMonth: 15 })!, 'America/New_York', '2026-12-20T00:00:00Z', 2)).toEqual([
      '2027-01-15 04:00 (America/New_York)',
      '2027-02-15 04:00 (America/New_York)',
    ]);
    expect(local(expressionOf({ frequency: 'monthly', timeOfDay: '04:00', dayOfMonth: 'last' })!, 'Europe/Berlin', '2027-01-01T00:00:00Z', 3)).toEqual([
      '2027-01-31 04:00 (Europe/Berlin)',
      '2027-02-28 04:00 (Europe/Berlin)',
      '2027-03-31 04:00 (Europe/Berlin)',
    ]);
    expect(local('cron(0 4 L * ? *)', 'UTC', '2028-02-01T00:00:00Z', 1)).toEqual(['2028-02-29 04:00 (UTC)']);
  });

  it('runs custom crons with steps and lists', () => {
    const quarterHours = expressionOf({ frequency: 'cron', cron: '*/15 2 * * *' })!;
    expect(local(quarterHours, 'Europe/Berlin', '2026-12-01T00:00:00Z', 5)).toEqual([
      '2026-12-01 02:00 (Europe/Berlin)',
      '2026-12-01 02:15 (Europe/Berlin)',
      '2026-12-01 02:30 (Europe/Berlin)',
      '2026-12-01 02:45 (Europe/Berlin)',
      '2026-12-02 02:00 (Europe/Berlin)',
    ]);
    expect(local('cron(0 3 ? * 6L *)', 'UTC', '2026-12-01T00:00:00Z', 2)).toEqual(['2026-12-25 03:00 (UTC)', '2027-01-29 03:00 (UTC)']);
    expect(local('cron(0 3 * * ? 2027)', 'UTC', '2026-12-31T00:00:00Z', 1)).toEqual(['2027-01-01 03:00 (UTC)']);
    expect(nextRuns('cron(0 3 * * ? 2020)', 'UTC', new Date('2026-01-01T00:00:00Z'), 3)).toEqual([]);
  });

  describe('daylight saving (America/New_York: 2026-03-08 02:00 → 03:00, 2026-11-01 02:00 → 01:00)', () => {
    it('skips a start that falls in the spring-forward gap', () => {
      expect(local('cron(30 2 * * ? *)', 'America/New_York', '2026-03-07T00:00:00Z', 3)).toEqual([
        '2026-03-07 02:30 (America/New_York)',
        '2026-03-09 02:30 (America/New_York)',
        '2026-03-10 02:30 (America/New_York)',
      ]);
      // A list in the gap: 02:00 and 02:30 do not exist that day, 03:00 does.
      expect(local('cron(0,30 2,3 * * ? *)', 'America/New_York', '2026-03-08T00:00:00Z', 3)).toEqual([
        '2026-03-08 03:00 (America/New_York)',
        '2026-03-08 03:30 (America/New_York)',
        '2026-03-09 02:00 (America/New_York)',
      ]);
    });

    it('runs a start in the fall-back overlap once, at its first pass', () => {
      expect(iso('cron(30 1 * * ? *)', 'America/New_York', '2026-10-31T12:00:00Z', 2)).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
      // Asked between the two passes: the second is not a run.
      expect(iso('cron(30 1 * * ? *)', 'America/New_York', '2026-11-01T05:45:00Z', 1)).toEqual(['2026-11-02T06:30:00.000Z']);
      // Lists and ranges too (croner runs those on both passes).
      expect(iso('cron(0,30 1 * * ? *)', 'America/New_York', '2026-10-31T12:00:00Z', 3)).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:00:00.000Z']);
      expect(iso('cron(30 1-2 * * ? *)', 'America/New_York', '2026-10-31T12:00:00Z', 3)).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-01T07:30:00.000Z', '2026-11-02T06:30:00.000Z']);
    });

    it('handles half-hour shifts (Australia/Lord_Howe: 2026-10-04 02:00 → 02:30, 2026-04-05 02:00 → 01:30)', () => {
      expect(local('cron(15 2 * * ? *)', 'Australia/Lord_Howe', '2026-10-03T00:00:00Z', 2)).toEqual(['2026-10-05 02:15 (Australia/Lord_Howe)', '2026-10-06 02:15 (Australia/Lord_Howe)']);
      expect(iso('cron(0/20 1 * * ? *)', 'Australia/Lord_Howe', '2026-04-04T12:00:00Z', 4)).toEqual([
        '2026-04-04T14:00:00.000Z',
        '2026-04-04T14:20:00.000Z',
        '2026-04-04T14:40:00.000Z',
        '2026-04-05T14:30:00.000Z',
      ]);
    });
  });

  it('refuses an expression it cannot read', () => {
    expect(() => nextRuns('rate(1 day)', 'UTC', new Date(), 1)).toThrow(/cron/);
    expect(() => nextRuns('cron(0 3 * * * *)', 'UTC', new Date(), 1)).toThrow(/\?/);
  });
});

describe('localTime', () => {
  it('shows a start in the cluster time zone', () => {
    expect(localTime(new Date('2026-12-06T02:00:00Z'), 'Europe/Berlin')).toBe('2026-12-06 03:00 (Europe/Berlin)');
    expect(localTime(new Date('2026-12-05T23:00:00Z'), 'Europe/Berlin')).toBe('2026-12-06 00:00 (Europe/Berlin)');
    expect(localTime(new Date('2026-12-05T21:30:00Z'), 'Asia/Kolkata')).toBe('2026-12-06 03:00 (Asia/Kolkata)');
  });
});
