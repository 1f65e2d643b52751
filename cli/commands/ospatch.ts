import { Command, InvalidArgumentError, Option } from 'commander';
import type { ApiClient } from '../api-client.js';
import type { Cluster, OsPatchSettings, OsPatchView, PatchRun } from '../api-types.js';
import { palette, type Palette } from '../colour.js';
import { clusterVerb, namedCluster } from '../context.js';
import { sameValue } from '../equal.js';
import { ApiError, Failure, UsageError } from '../errors.js';
import { outputOption, print, say, serialize, type Format } from '../output.js';
import { nodeCounts, nodeFinished, nodeResultLine, osPatchText, runEnded, runStateColour, scheduleSection, settingsText } from '../ospatch-view.js';
import { formatDuration, parseCount, parseDuration, sleep } from '../time.js';

const POLL_MS = 1000;
/** Past the window's end a run still finishes the node it is on (drain, upgrade, reboot, Ready again). */
const PAST_WINDOW_MS = 60 * 60_000;

type Frequency = OsPatchSettings['frequency'];
type Weekday = NonNullable<OsPatchSettings['dayOfWeek']>;
/** Every frequency and weekday the API knows: one it gains fails the type check here. */
const FREQUENCIES: Record<Frequency, true> = { none: true, daily: true, weekly: true, monthly: true, cron: true };
const WEEKDAYS: Record<Weekday, true> = { MON: true, TUE: true, WED: true, THU: true, FRI: true, SAT: true, SUN: true };

/** The flag that sets each field, to name it beside the API's own words. */
const FLAG_OF: Readonly<Record<string, string>> = {
  frequency: '--frequency',
  timeOfDay: '--time',
  dayOfWeek: '--day',
  dayOfMonth: '--day-of-month',
  cron: '--cron',
  timeZone: '--time-zone',
  windowMinutes: '--window',
  patchOnBoot: '--patch-on-boot',
  rebootIfRequired: '--reboot',
};

const ospatchPath = (id: string) => `/v1/clusters/${encodeURIComponent(id)}/ospatch`;
const readView = (api: ApiClient, id: string) => api.get<OsPatchView>(ospatchPath(id));

function parseWeekday(text: string): Weekday {
  const day = text.toUpperCase().slice(0, 3);
  if (!(day in WEEKDAYS) || !/^[a-z]{3}/i.test(text)) throw new InvalidArgumentError(`a day of the week: ${Object.keys(WEEKDAYS).join(', ')}`);
  return day as Weekday;
}

function parseDayOfMonth(text: string): number | 'last' {
  if (text === 'last') return 'last';
  if (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 28) return Number(text);
  throw new InvalidArgumentError('1 to 28 (every month has it), or last');
}

interface SetOptions {
  readonly frequency?: Frequency;
  readonly day?: Weekday;
  readonly dayOfMonth?: number | 'last';
  readonly time?: string;
  readonly timeZone?: string;
  readonly window?: number;
  readonly cron?: string;
  readonly patchOnBoot?: boolean;
  readonly reboot?: boolean;
  readonly dryRun?: boolean;
  readonly output: Format;
}

/**
 * The current settings with what the command line gives; only the fields its frequency reads are
 * kept (a weekly day is not sent with a daily schedule). --cron alone means frequency cron.
 */
export function changedSettings(current: OsPatchSettings, o: SetOptions): OsPatchSettings {
  const frequency = o.frequency ?? (o.cron !== undefined ? 'cron' : current.frequency);
  const misplaced = [o.day !== undefined && frequency !== 'weekly' && '--day goes with --frequency weekly', o.dayOfMonth !== undefined && frequency !== 'monthly' && '--day-of-month goes with --frequency monthly', o.cron !== undefined && frequency !== 'cron' && '--cron goes with --frequency cron'].filter(Boolean);
  if (misplaced.length) throw new UsageError(`${misplaced.join('; ')} (the schedule is ${frequency})`);
  const { dayOfWeek, dayOfMonth, cron, ...common } = current;
  const next: OsPatchSettings = {
    ...common,
    frequency,
    timeOfDay: o.time ?? current.timeOfDay,
    timeZone: o.timeZone ?? current.timeZone,
    windowMinutes: o.window ?? current.windowMinutes,
    patchOnBoot: o.patchOnBoot ?? current.patchOnBoot,
    rebootIfRequired: o.reboot ?? current.rebootIfRequired,
  };
  if (frequency === 'weekly' && (o.day ?? dayOfWeek)) next.dayOfWeek = o.day ?? dayOfWeek;
  if (frequency === 'monthly' && (o.dayOfMonth ?? dayOfMonth) !== undefined) next.dayOfMonth = o.dayOfMonth ?? dayOfMonth;
  if (frequency === 'cron' && (o.cron ?? cron) !== undefined) next.cron = o.cron ?? cron;
  return next;
}

/** A 400 names the API's field; the flag that sets it is said beside it. */
function withFlags(err: unknown): unknown {
  if (!(err instanceof ApiError) || err.status !== 400) return err;
  const details = err.details.map((d) => {
    const flag = FLAG_OF[d.path.replace(/^body\./, '')];
    return flag ? { path: d.path, message: `${d.message} (${flag})` } : d;
  });
  return new ApiError(err.status, err.code, err.message, details);
}

async function setSettings(self: Command, name: string, o: SetOptions): Promise<void> {
  const given = [o.frequency, o.day, o.dayOfMonth, o.time, o.timeZone, o.window, o.cron, o.patchOnBoot, o.reboot].some((v) => v !== undefined);
  if (!given) throw new UsageError('nothing to change: give --frequency, --day, --day-of-month, --time, --time-zone, --window, --cron, --[no-]patch-on-boot or --[no-]reboot');
  const { resolver, cluster } = await namedCluster(self, name);
  const current = await readView(resolver.api, cluster.id);
  const settings = changedSettings(current.settings, o);
  const p = palette();
  if (sameValue(settings, current.settings) && !o.dryRun) {
    return print(o.output, current, () => `cluster/${cluster.name} OS patching unchanged: ${settingsText(settings)}\n${scheduleSection(current, p)}`);
  }
  let answer: OsPatchView;
  try {
    answer = await resolver.api.request<OsPatchView>('PUT', ospatchPath(cluster.id), { query: o.dryRun ? { dryRun: 'true' } : {}, body: { ...settings, version: cluster.version } });
  } catch (err) {
    throw withFlags(err);
  }
  print(o.output, answer, () => `cluster/${cluster.name} OS patching ${o.dryRun ? 'would be' : 'set'}: ${settingsText(answer.settings)}\n${scheduleSection(answer, p)}`);
  if (o.dryRun) say(o.output, 'Dry run: nothing was changed.');
}

/** The run as the latest view has it: the active one, or among the past ones once it ended. */
const runIn = (v: OsPatchView, id: string) => (v.activeRun?.id === id ? v.activeRun : v.runs.find((r) => r.id === id));

/** Follow a run until it ends, each node said once it is done with. */
async function follow(api: ApiClient, cluster: Cluster, started: PatchRun, timeout: number | undefined, format: Format, p: Palette): Promise<PatchRun> {
  const deadline = timeout === undefined ? Date.parse(started.windowEndsAt) + PAST_WINDOW_MS : Date.now() + timeout;
  const said = new Set<string>();
  let run = started;
  let last = '';
  for (;;) {
    for (const n of run.nodes) {
      if (!nodeFinished(n) || said.has(n.node)) continue;
      said.add(n.node);
      say(format, nodeResultLine(n, p));
    }
    if (runEnded(run)) return run;
    const state = `${run.state}; ${nodeCounts(run.nodes)}${run.message ? `: ${run.message}` : ''}`;
    if (state !== last) process.stderr.write(`run/${run.id}: ${state}\n`);
    last = state;
    if (Date.now() >= deadline) {
      const waited = timeout === undefined ? `past its window's end (${started.windowEndsAt}) and an hour more` : `after ${formatDuration(timeout)}`;
      throw new Failure(`gave up ${waited} waiting for patch run ${run.id} of cluster ${cluster.name}: it is ${state}; strata ospatch cluster ${cluster.name} shows it`);
    }
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    run = runIn(await readView(api, cluster.id), run.id) ?? run;
  }
}

async function runNow(self: Command, name: string, o: { wait?: boolean; timeout?: number; output: Format }): Promise<void> {
  const { resolver, cluster } = await namedCluster(self, name);
  const p = palette();
  let run: PatchRun;
  try {
    run = await resolver.api.request<PatchRun>('POST', `${ospatchPath(cluster.id)}/run`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) throw new ApiError(409, err.code, `${err.message}; strata ospatch cluster ${cluster.name} shows the run in progress`, err.details);
    throw err;
  }
  if (!o.wait) {
    return print(o.output, run, () => `patch run ${run.id} of cluster/${cluster.name} started: ${run.nodes.length ? `${run.nodes.length} node(s), ` : ''}window ends ${run.windowEndsAt}; strata ospatch cluster ${cluster.name} shows how it goes\n`);
  }
  say(o.output, `patch run ${run.id} of cluster/${cluster.name} started; window ends ${run.windowEndsAt}`);
  const done = await follow(resolver.api, cluster, run, o.timeout, o.output, p);
  const machine = serialize(o.output, done);
  if (machine) process.stdout.write(machine);
  // The run's own words when it has them; else how many nodes are where.
  const outcome = done.message ?? nodeCounts(done.nodes);
  if (done.state === 'Paused') throw new Failure(`patch run ${done.id} Paused: the window ended; the nodes left go first in the next one: ${outcome}`);
  if (done.state !== 'Succeeded') throw new Failure(`patch run ${done.id} ${done.state}: ${outcome}`);
  say(o.output, `patch run ${done.id} ${runStateColour(p, done.state)(done.state)}: ${outcome}`);
}

export function ospatchCommand(): Command {
  const { verb, cluster } = clusterVerb('ospatch', "a cluster's OS patching: the schedule in words and as Scheduler runs it, the next runs in its time zone, the run in progress, the last runs with each node's packages");
  cluster.addOption(outputOption()).action(async (name: string, opts: { output: Format }, self: Command) => {
    const { resolver, cluster: found } = await namedCluster(self, name);
    const view = await readView(resolver.api, found.id);
    print(opts.output, view, () => osPatchText(view, found.name, palette()));
  });

  const set = clusterVerb('set', "change a cluster's OS patching: only what is given changes; prints the next runs");
  set.cluster
    .addOption(new Option('--frequency <frequency>', 'none (at boot and when asked only), daily, weekly, monthly or cron').choices(Object.keys(FREQUENCIES)))
    .option('--day <weekday>', 'weekly: the day (MON … SUN)', parseWeekday)
    .option('--day-of-month <n>', 'monthly: 1 to 28, or last', parseDayOfMonth)
    .option('--time <HH:MM>', 'when a daily, weekly or monthly run starts, 24 h, in the time zone')
    .option('--time-zone <zone>', 'an IANA time zone: Europe/Berlin, America/New_York, UTC')
    .option('--window <minutes>', 'how long a run may take from its start (30 to 720)', parseCount('--window', 1))
    .option('--cron <expression>', 'a 5-field cron (minute hour day-of-month month day-of-week) in the time zone; means --frequency cron')
    .option('--patch-on-boot', 'patch the OS when a node first boots, before it joins')
    .option('--no-patch-on-boot', 'do not patch at boot')
    .option('--reboot', 'reboot a node when a package asks for it')
    .option('--no-reboot', 'never reboot: a required reboot is reported only')
    .option('--dry-run', 'show the next runs the settings would make, and change nothing')
    .addOption(outputOption())
    .action((name: string, opts: SetOptions, self: Command) => setSettings(self, name, opts));

  const run = clusterVerb('run', "patch a cluster's nodes now: pool by pool, node by node; --wait follows the run to its end");
  run.cluster
    .option('--wait', 'follow the run until it ends, each node as it is done; exit code 1 unless it succeeds')
    .option('--timeout <duration>', "with --wait: give up after this long (default: an hour past the window's end)", parseDuration)
    .addOption(outputOption())
    .action((name: string, opts: { wait?: boolean; timeout?: number; output: Format }, self: Command) => runNow(self, name, opts));

  verb.addCommand(set.verb);
  verb.addCommand(run.verb);
  return verb.description("a cluster's OS patching: show it (ospatch cluster NAME), change it (ospatch set cluster NAME …), patch now (ospatch run cluster NAME)");
}
