import {
  ConflictException,
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePatchSchedule, getPatchSchedule, listPatchSchedules, patchScheduleName, putPatchSchedule } from '../../../adapters/scheduler/patch-schedules.js';
import { startMoto, type Moto } from '../../moto.js';

/**
 * A cluster's patch schedule against moto's Scheduler (create, replace, read, list, delete), and,
 * since moto takes any expression and input, the exact requests against a mocked client.
 */
const GROUP = 'strata-patch';
const MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:strata-patch';
const ROLE = 'arn:aws:iam::000000000000:role/strata-patch-scheduler';

let moto: Moto;
const saved = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SCHEDULER: moto.endpoint,
    PATCH_SCHEDULE_GROUP: GROUP,
    PATCH_STATE_MACHINE_ARN: MACHINE,
    PATCH_SCHEDULER_ROLE_ARN: ROLE,
  });
  // The group is the stack's; Scheduler refuses schedules in a group that does not exist.
  await new SchedulerClient({ endpoint: moto.endpoint }).send(new CreateScheduleGroupCommand({ Name: GROUP }));
}, 60_000);
afterAll(async () => {
  await moto?.stop();
  process.env = saved;
});

const direct = () => new SchedulerClient({ endpoint: moto.endpoint });

describe('patch schedules on moto', () => {
  it('creates a schedule that targets the patch state machine in the cluster time zone', async () => {
    await putPatchSchedule({ tenantId: 't-1', clusterId: 'cl-a', expression: 'cron(0 3 ? * SUN *)', timeZone: 'Europe/Berlin' });
    const raw = await direct().send(new GetScheduleCommand({ Name: patchScheduleName('cl-a'), GroupName: GROUP }));
    expect(raw).toMatchObject({
      Name: 'patch-cl-a',
      GroupName: GROUP,
      ScheduleExpression: 'cron(0 3 ? * SUN *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: MACHINE, RoleArn: ROLE },
    });
    expect(JSON.parse(raw.Target!.Input!)).toEqual({ tenantId: 't-1', clusterId: 'cl-a', trigger: 'schedule', scheduledTime: '<aws.scheduler.scheduled-time>' });
    expect(await getPatchSchedule('cl-a')).toEqual({ name: 'patch-cl-a', clusterId: 'cl-a', expression: 'cron(0 3 ? * SUN *)', timeZone: 'Europe/Berlin', state: 'ENABLED' });
  });

  it('replaces the schedule when it is put again', async () => {
    await putPatchSchedule({ tenantId: 't-1', clusterId: 'cl-b', expression: 'cron(0 3 * * ? *)', timeZone: 'UTC' });
    await putPatchSchedule({ tenantId: 't-1', clusterId: 'cl-b', expression: 'cron(30 1 L * ? *)', timeZone: 'America/New_York' });
    expect(await getPatchSchedule('cl-b')).toMatchObject({ expression: 'cron(30 1 L * ? *)', timeZone: 'America/New_York' });
  });

  it('lists the group schedules page by page and deletes, also when already gone', async () => {
    for (let i = 0; i < 5; i++) await putPatchSchedule({ tenantId: 't-2', clusterId: `cl-l${i}`, expression: `cron(${i} 4 * * ? *)`, timeZone: 'Asia/Kolkata' });
    // One outside the group is not the platform's and is not listed.
    await direct().send(
      new CreateScheduleCommand({ Name: 'patch-elsewhere', ScheduleExpression: 'rate(1 day)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: MACHINE, RoleArn: ROLE } }),
    );
    const listed = await listPatchSchedules();
    expect(listed.map((s) => s.clusterId)).toEqual(expect.arrayContaining(['cl-l0', 'cl-l1', 'cl-l2', 'cl-l3', 'cl-l4']));
    expect(listed.find((s) => s.clusterId === 'cl-l3')).toEqual({ name: 'patch-cl-l3', clusterId: 'cl-l3', expression: 'cron(3 4 * * ? *)', timeZone: 'Asia/Kolkata', state: 'ENABLED' });
    expect(listed.some((s) => s.name === 'patch-elsewhere')).toBe(false);

    await deletePatchSchedule('cl-l3');
    expect(await getPatchSchedule('cl-l3')).toBeUndefined();
    await expect(deletePatchSchedule('cl-l3')).resolves.toBeUndefined();
    expect((await listPatchSchedules()).map((s) => s.clusterId)).not.toContain('cl-l3');
  });
});

describe('patch schedule requests (mocked Scheduler)', () => {
  // Made when these tests start: made at collection, it would stand in for moto above too.
  let mock: AwsClientStub<SchedulerClient>;
  beforeAll(() => {
    mock = mockClient(SchedulerClient);
  });
  afterAll(() => mock.restore());

  const expected = {
    Name: 'patch-cl-m',
    GroupName: GROUP,
    ScheduleExpression: 'cron(0 3 ? * 2-6 *)',
    ScheduleExpressionTimezone: 'America/New_York',
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: 'ENABLED',
    Target: {
      Arn: MACHINE,
      RoleArn: ROLE,
      Input: '{"tenantId":"t-9","clusterId":"cl-m","trigger":"schedule","scheduledTime":"<aws.scheduler.scheduled-time>"}',
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
    },
  };

  it('creates with the expression, time zone, FlexibleTimeWindow OFF and the scheduled-time placeholder', async () => {
    mock.reset();
    mock.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:us-east-1:000000000000:schedule/strata-patch/patch-cl-m' });
    await putPatchSchedule({ tenantId: 't-9', clusterId: 'cl-m', expression: 'cron(0 3 ? * 2-6 *)', timeZone: 'America/New_York' });
    const calls = mock.commandCalls(CreateScheduleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ ...expected, Description: expect.stringContaining('cl-m') });
    expect(mock.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });

  it('replaces the whole schedule with UpdateSchedule when it exists', async () => {
    mock.reset();
    mock.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'Schedule patch-cl-m already exists.', Message: 'Schedule patch-cl-m already exists.', $metadata: {} }));
    mock.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    await putPatchSchedule({ tenantId: 't-9', clusterId: 'cl-m', expression: 'cron(0 3 ? * 2-6 *)', timeZone: 'America/New_York' });
    const update = mock.commandCalls(UpdateScheduleCommand);
    expect(update).toHaveLength(1);
    expect(update[0]!.args[0].input).toEqual({ ...expected, Description: expect.stringContaining('cl-m') });
  });

  it('passes other errors on, and reads a missing schedule as none', async () => {
    mock.reset();
    mock.on(CreateScheduleCommand).rejects(new ResourceNotFoundException({ message: 'Schedule group strata-patch does not exist.', Message: 'Schedule group strata-patch does not exist.', $metadata: {} }));
    await expect(putPatchSchedule({ tenantId: 't-9', clusterId: 'cl-m', expression: 'cron(0 3 * * ? *)', timeZone: 'UTC' })).rejects.toThrow(/does not exist/);
    mock.on(GetScheduleCommand).rejects(new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: {} }));
    expect(await getPatchSchedule('cl-m')).toBeUndefined();
    mock.on(DeleteScheduleCommand).rejects(new ConflictException({ message: 'busy', Message: 'busy', $metadata: {} }));
    await expect(deletePatchSchedule('cl-m')).rejects.toThrow('busy');
  });

  it('follows NextToken through every page of the group', async () => {
    mock.reset();
    // The paginator reuses its input object: each request is copied as it is sent.
    const requests: Record<string, unknown>[] = [];
    const pages = [{ Schedules: [{ Name: 'patch-cl-1' }], NextToken: 'n1' }, { Schedules: [{ Name: 'patch-cl-2' }] }];
    mock.on(ListSchedulesCommand).callsFake((input: Record<string, unknown>) => {
      requests.push(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
      return pages.shift();
    });
    mock.on(GetScheduleCommand).callsFake((input: { Name: string }) => ({ Name: input.Name, ScheduleExpression: 'cron(0 3 * * ? *)', ScheduleExpressionTimezone: 'UTC', State: 'ENABLED' }));
    expect((await listPatchSchedules()).map((s) => s.clusterId)).toEqual(['cl-1', 'cl-2']);
    expect(requests).toEqual([
      { GroupName: GROUP, NamePrefix: 'patch-' },
      { GroupName: GROUP, NamePrefix: 'patch-', NextToken: 'n1' },
    ]);
  });
});
