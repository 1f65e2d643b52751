import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
  paginateListSchedules,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { deletePatchSchedule, getPatchSchedule, listPatchSchedules, putPatchSchedule } from '../../../adapters/scheduler/patch-schedules.js';
import { nextRuns } from '../../../core/patch-schedule.js';
import { LocalClock } from '../../../local/clock.js';
import { LocalSchedulerService, type StartExecution } from '../../../local/scheduler-service.js';

/**
 * The local EventBridge Scheduler through the real SchedulerClient (and the patch-schedule
 * adapter), and its schedules firing on the runtime's clock.
 */
const GROUP = 'strata-patch';
const MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:strata-patch';
const ROLE = 'arn:aws:iam::000000000000:role/strata-patch-scheduler';
const INPUT = '{"tenantId":"t-1","clusterId":"cl-1","trigger":"schedule","scheduledTime":"<aws.scheduler.scheduled-time>"}';

let clock: LocalClock;
let service: LocalSchedulerService;
let client: SchedulerClient;
const started: { arn: string; name: string; input: string }[] = [];
/** Records each start; a machine other than the patch one does not exist. */
const startExecution: StartExecution = (arn, name, input) => {
  if (arn !== MACHINE) return { refused: 'StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${arn}'` };
  started.push({ arn, name, input });
  return { executionArn: `${arn.replace(':stateMachine:', ':execution:')}:${name}` };
};
const saved = { ...process.env };

beforeAll(async () => {
  clock = new LocalClock();
  service = new LocalSchedulerService({ clock, startExecution, groups: [GROUP] });
  const endpoint = await service.start();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SCHEDULER: endpoint,
    PATCH_SCHEDULE_GROUP: GROUP,
    PATCH_STATE_MACHINE_ARN: MACHINE,
    PATCH_SCHEDULER_ROLE_ARN: ROLE,
  });
  client = new SchedulerClient({ endpoint, maxAttempts: 1 });
});
afterAll(async () => {
  await service.stop();
  process.env = saved;
});
afterEach(() => {
  started.length = 0;
});

const schedule = (name: string, over: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput => ({
  Name: name,
  GroupName: GROUP,
  ScheduleExpression: 'cron(0 3 * * ? *)',
  ScheduleExpressionTimezone: 'Europe/Berlin',
  FlexibleTimeWindow: { Mode: 'OFF' },
  State: 'ENABLED',
  Description: `schedule ${name}`,
  Target: { Arn: MACHINE, RoleArn: ROLE, Input: INPUT, RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 } },
  ...over,
});
/** Move the runtime's clock to just past `at`. */
const advanceTo = (at: Date) => clock.advance(Math.max(0, at.getTime() - clock.now() + 1000));

describe('the Scheduler API', () => {
  it('creates, reads, replaces and deletes a schedule with AWS errors', async () => {
    const created = await client.send(new CreateScheduleCommand(schedule('crud')));
    expect(created.ScheduleArn).toBe(`arn:aws:scheduler:us-east-1:000000000000:schedule/${GROUP}/crud`);
    await expect(client.send(new CreateScheduleCommand(schedule('crud')))).rejects.toBeInstanceOf(ConflictException);

    const got = await client.send(new GetScheduleCommand({ Name: 'crud', GroupName: GROUP }));
    expect(got).toMatchObject({
      Name: 'crud',
      GroupName: GROUP,
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      Description: 'schedule crud',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: MACHINE, RoleArn: ROLE, Input: INPUT, RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 } },
    });
    expect(got.CreationDate).toBeInstanceOf(Date);

    // UpdateSchedule replaces the whole schedule: the description it leaves out is gone.
    const { Description: _d, ...withoutDescription } = schedule('crud', { ScheduleExpression: 'cron(30 1 L * ? *)', ScheduleExpressionTimezone: 'America/New_York' });
    await client.send(new UpdateScheduleCommand(withoutDescription));
    const replaced = await client.send(new GetScheduleCommand({ Name: 'crud', GroupName: GROUP }));
    expect(replaced).toMatchObject({ ScheduleExpression: 'cron(30 1 L * ? *)', ScheduleExpressionTimezone: 'America/New_York' });
    expect(replaced.Description).toBeUndefined();
    expect(replaced.CreationDate).toEqual(got.CreationDate);

    await client.send(new DeleteScheduleCommand({ Name: 'crud', GroupName: GROUP }));
    await expect(client.send(new GetScheduleCommand({ Name: 'crud', GroupName: GROUP }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new DeleteScheduleCommand({ Name: 'crud', GroupName: GROUP }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new UpdateScheduleCommand(schedule('crud')))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses what Scheduler refuses', async () => {
    for (const ScheduleExpression of ['cron(0 3 * * * *)', 'cron(0 3 * * ?)', 'cron(0 3 1 * MON *)', 'every day', 'cron(61 3 * * ? *)']) {
      await expect(client.send(new CreateScheduleCommand(schedule('bad', { ScheduleExpression })))).rejects.toBeInstanceOf(ValidationException);
    }
    await expect(client.send(new CreateScheduleCommand(schedule('bad', { ScheduleExpressionTimezone: 'Mars/Olympus' })))).rejects.toBeInstanceOf(ValidationException);
    await expect(client.send(new CreateScheduleCommand(schedule('bad', { GroupName: 'no-such-group' })))).rejects.toThrow(/Schedule group no-such-group does not exist/);
    await expect(client.send(new GetScheduleCommand({ Name: 'bad', GroupName: GROUP }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('lists a group page by page, by name prefix', async () => {
    for (const n of ['list-a', 'list-b', 'list-c', 'list-d', 'list-e']) await client.send(new CreateScheduleCommand(schedule(n)));
    await client.send(new CreateScheduleCommand(schedule('list-default', { GroupName: undefined })));
    const pages: string[][] = [];
    for await (const page of paginateListSchedules({ client, pageSize: 2 }, { GroupName: GROUP, NamePrefix: 'list-' })) pages.push((page.Schedules ?? []).map((s) => s.Name!));
    expect(pages).toEqual([['list-a', 'list-b'], ['list-c', 'list-d'], ['list-e']]);
    for (const n of ['list-a', 'list-b', 'list-c', 'list-d', 'list-e']) await client.send(new DeleteScheduleCommand({ Name: n, GroupName: GROUP }));
    await client.send(new DeleteScheduleCommand({ Name: 'list-default' }));
  });

  it('serves the patch-schedule adapter', async () => {
    await putPatchSchedule({ tenantId: 't-1', clusterId: 'cl-adapter', expression: 'cron(0 3 ? * SUN *)', timeZone: 'Europe/Berlin' });
    await putPatchSchedule({ tenantId: 't-1', clusterId: 'cl-adapter', expression: 'cron(0 4 ? * SAT *)', timeZone: 'Europe/Berlin' });
    expect(await getPatchSchedule('cl-adapter')).toEqual({ name: 'patch-cl-adapter', clusterId: 'cl-adapter', expression: 'cron(0 4 ? * SAT *)', timeZone: 'Europe/Berlin', state: 'ENABLED' });
    expect((await listPatchSchedules()).map((s) => s.clusterId)).toEqual(['cl-adapter']);
    await deletePatchSchedule('cl-adapter');
    await deletePatchSchedule('cl-adapter');
    expect(await listPatchSchedules()).toEqual([]);
  });
});

describe('firing on the clock', () => {
  it('starts the target at each start with the scheduled time filled in', async () => {
    await client.send(new CreateScheduleCommand(schedule('fires', { ScheduleExpressionTimezone: 'Asia/Kolkata' })));
    const [first, second] = nextRuns('cron(0 3 * * ? *)', 'Asia/Kolkata', new Date(clock.now()), 2) as [Date, Date];
    expect(started).toEqual([]);

    advanceTo(first);
    await vi.waitFor(() => expect(started).toHaveLength(1));
    const text = first.toISOString().replace('.000Z', 'Z');
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT21:30:00Z$/);
    expect(started[0]).toEqual({ arn: MACHINE, name: `fires-${text.replace(/[-:]/g, '')}`, input: INPUT.replace('<aws.scheduler.scheduled-time>', text) });
    expect(JSON.parse(started[0]!.input)).toMatchObject({ trigger: 'schedule', scheduledTime: text });

    advanceTo(second);
    await vi.waitFor(() => expect(started).toHaveLength(2));
    expect(JSON.parse(started[1]!.input).scheduledTime).toBe(second.toISOString().replace('.000Z', 'Z'));
    expect(service.fires.filter((f) => f.schedule === 'fires').map((f) => f.executionArn)).toEqual(started.map((s) => `${MACHINE.replace(':stateMachine:', ':execution:')}:${s.name}`));
    await client.send(new DeleteScheduleCommand({ Name: 'fires', GroupName: GROUP }));
  });

  it('fires the replaced expression, and nothing once disabled or deleted', async () => {
    await client.send(new CreateScheduleCommand(schedule('changes', { ScheduleExpression: 'cron(0 3 * * ? *)', ScheduleExpressionTimezone: 'UTC' })));
    await client.send(new UpdateScheduleCommand(schedule('changes', { ScheduleExpression: 'cron(15 5 * * ? *)', ScheduleExpressionTimezone: 'UTC' })));
    const [at] = nextRuns('cron(15 5 * * ? *)', 'UTC', new Date(clock.now()), 1) as [Date];
    advanceTo(at);
    await vi.waitFor(() => expect(started).toHaveLength(1));
    expect(JSON.parse(started[0]!.input).scheduledTime).toMatch(/T05:15:00Z$/);

    await client.send(new UpdateScheduleCommand(schedule('changes', { State: 'DISABLED' })));
    clock.advance(2 * 86_400_000);
    await client.send(new DeleteScheduleCommand({ Name: 'changes', GroupName: GROUP }));
    await client.send(new CreateScheduleCommand(schedule('gone')));
    await client.send(new DeleteScheduleCommand({ Name: 'gone', GroupName: GROUP }));
    clock.advance(2 * 86_400_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(started).toHaveLength(1);
  });

  it('waits for a start months or years away', async () => {
    await client.send(new CreateScheduleCommand(schedule('far', { ScheduleExpression: 'cron(0 3 1 1 ? 2099)' })));
    clock.advance(86_400_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(started).toEqual([]);
    expect(service.list().find((s) => s.name === 'far')?.nextRun).toBe('2099-01-01T02:00:00.000Z');
    await client.send(new DeleteScheduleCommand({ Name: 'far', GroupName: GROUP }));
  });

  it('records a start whose state machine does not exist, and keeps firing', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const other = 'arn:aws:states:us-east-1:000000000000:stateMachine:strata-missing';
      await client.send(new CreateScheduleCommand(schedule('missing', { Target: { Arn: other, RoleArn: ROLE, Input: INPUT } })));
      const [at] = nextRuns('cron(0 3 * * ? *)', 'Europe/Berlin', new Date(clock.now()), 1) as [Date];
      advanceTo(at);
      await vi.waitFor(() => expect(service.fires.filter((f) => f.schedule === 'missing')).toHaveLength(1));
      expect(service.fires.find((f) => f.schedule === 'missing')).toMatchObject({ targetArn: other, error: expect.stringMatching(/StateMachineDoesNotExist/) });
      expect(spy).toHaveBeenCalledWith(expect.stringMatching(/strata-missing/));
      await client.send(new DeleteScheduleCommand({ Name: 'missing', GroupName: GROUP }));
    } finally {
      spy.mockRestore();
    }
  });
});

describe('GET /local/schedules', () => {
  const request = (authorization?: string) => ({ url: '/local/schedules', method: 'GET', headers: authorization ? { authorization } : {} }) as IncomingMessage;

  it('lists the schedules with their next run, for the operator key only', async () => {
    await client.send(new CreateScheduleCommand(schedule('shown', { ScheduleExpression: 'cron(0 3 ? * SUN *)' })));
    const answer = service.localControl(request('Bearer op-key'), 'op-key')!;
    expect(answer.statusCode).toBe(200);
    const { items } = JSON.parse(answer.body) as { items: Record<string, string>[] };
    const next = nextRuns('cron(0 3 ? * SUN *)', 'Europe/Berlin', new Date(clock.now()), 1)[0]!;
    expect(items).toEqual([{ name: 'shown', group: GROUP, expression: 'cron(0 3 ? * SUN *)', timeZone: 'Europe/Berlin', state: 'ENABLED', nextRun: next.toISOString() }]);
    expect(service.localControl(request('Bearer wrong'), 'op-key')!.statusCode).toBe(401);
    expect(service.localControl({ ...request('Bearer op-key'), url: '/local/cloud' } as IncomingMessage, 'op-key')).toBeUndefined();
    await client.send(new DeleteScheduleCommand({ Name: 'shown', GroupName: GROUP }));
  });

  it('keeps its schedules in a file when the runtime keeps its data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-schedules-'));
    try {
      const file = join(dir, 'schedules.json');
      const first = new LocalSchedulerService({ clock, startExecution, groups: [GROUP], file });
      const endpoint = await first.start();
      await new SchedulerClient({ endpoint }).send(new CreateScheduleCommand(schedule('kept')));
      await first.stop();
      const again = new LocalSchedulerService({ clock, startExecution, groups: [GROUP], file });
      expect(again.list().map((s) => s.name)).toEqual(['kept']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
