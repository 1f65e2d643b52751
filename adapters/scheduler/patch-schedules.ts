import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  FlexibleTimeWindowMode,
  GetScheduleCommand,
  ResourceNotFoundException,
  ScheduleState,
  SchedulerClient,
  UpdateScheduleCommand,
  paginateListSchedules,
} from '@aws-sdk/client-scheduler';

/**
 * A cluster's patch schedule in EventBridge Scheduler: one schedule per cluster, named after it, in
 * the patch schedule group, targeting the patch-os state machine through the role CDK made for it,
 * with the cluster's time zone and FlexibleTimeWindow OFF (a flexible window only delays the start;
 * it is not a maintenance window). The input carries <aws.scheduler.scheduled-time>, which names the
 * run (Scheduler delivers at least once) and sets when its window ends.
 *
 * Environment: PATCH_SCHEDULE_GROUP, PATCH_STATE_MACHINE_ARN, PATCH_SCHEDULER_ROLE_ARN; the endpoint
 * from the SDK's own AWS_ENDPOINT_URL_SCHEDULER when set (the local runtime's Scheduler).
 */
export interface PatchScheduleSpec {
  readonly tenantId: string;
  readonly clusterId: string;
  /** cron(...) in Scheduler's six-field form (core/patch-schedule.ts schedulerExpression). */
  readonly expression: string;
  readonly timeZone: string;
}

export interface PatchScheduleInfo {
  readonly name: string;
  readonly clusterId: string;
  readonly expression: string;
  readonly timeZone: string;
  readonly state: string;
}

export const patchScheduleName = (clusterId: string) => `patch-${clusterId}`;
const NAME_PREFIX = patchScheduleName('');

let client: SchedulerClient | undefined;
const scheduler = () => (client ??= new SchedulerClient({ maxAttempts: 5 }));

function env(name: 'PATCH_SCHEDULE_GROUP' | 'PATCH_STATE_MACHINE_ARN' | 'PATCH_SCHEDULER_ROLE_ARN'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** The patch-os execution's input; Scheduler puts the run's time in for the placeholder. */
export const patchScheduleInput = (tenantId: string, clusterId: string) =>
  JSON.stringify({ tenantId, clusterId, trigger: 'schedule', scheduledTime: '<aws.scheduler.scheduled-time>' });

function scheduleInput(spec: PatchScheduleSpec) {
  return {
    Name: patchScheduleName(spec.clusterId),
    GroupName: env('PATCH_SCHEDULE_GROUP'),
    Description: `OS patch runs of cluster ${spec.clusterId} (tenant ${spec.tenantId})`,
    ScheduleExpression: spec.expression,
    ScheduleExpressionTimezone: spec.timeZone,
    FlexibleTimeWindow: { Mode: FlexibleTimeWindowMode.OFF },
    State: ScheduleState.ENABLED,
    Target: {
      Arn: env('PATCH_STATE_MACHINE_ARN'),
      RoleArn: env('PATCH_SCHEDULER_ROLE_ARN'),
      Input: patchScheduleInput(spec.tenantId, spec.clusterId),
      // A start that keeps failing for an hour is left to the next run: the window would be mostly gone.
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
    },
  };
}

/** Create the cluster's schedule, or replace it (UpdateSchedule replaces the whole schedule). */
export async function putPatchSchedule(spec: PatchScheduleSpec): Promise<void> {
  const input = scheduleInput(spec);
  try {
    await scheduler().send(new CreateScheduleCommand(input));
  } catch (err) {
    if (!(err instanceof ConflictException)) throw err;
    await scheduler().send(new UpdateScheduleCommand(input));
  }
}

/** Delete the cluster's schedule; one already gone is fine. */
export async function deletePatchSchedule(clusterId: string): Promise<void> {
  try {
    await scheduler().send(new DeleteScheduleCommand({ Name: patchScheduleName(clusterId), GroupName: env('PATCH_SCHEDULE_GROUP') }));
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
}

export async function getPatchSchedule(clusterId: string): Promise<PatchScheduleInfo | undefined> {
  return scheduleInfo(patchScheduleName(clusterId));
}

async function scheduleInfo(name: string): Promise<PatchScheduleInfo | undefined> {
  try {
    const out = await scheduler().send(new GetScheduleCommand({ Name: name, GroupName: env('PATCH_SCHEDULE_GROUP') }));
    return {
      name,
      clusterId: name.slice(NAME_PREFIX.length),
      expression: out.ScheduleExpression ?? '',
      timeZone: out.ScheduleExpressionTimezone ?? 'UTC',
      state: out.State ?? 'ENABLED',
    };
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

/** Every schedule in the group (a deleted cluster must leave none). */
export async function listPatchSchedules(): Promise<PatchScheduleInfo[]> {
  const names: string[] = [];
  for await (const page of paginateListSchedules({ client: scheduler() }, { GroupName: env('PATCH_SCHEDULE_GROUP'), NamePrefix: NAME_PREFIX })) {
    for (const s of page.Schedules ?? []) if (s.Name) names.push(s.Name);
  }
  // The summaries carry no expression or time zone: each is read, a few at a time.
  const infos: PatchScheduleInfo[] = [];
  for (let i = 0; i < names.length; i += 10) {
    const batch = await Promise.all(names.slice(i, i + 10).map(scheduleInfo));
    for (const info of batch) if (info) infos.push(info);
  }
  return infos.sort((a, b) => a.name.localeCompare(b.name));
}
