import { z } from 'zod';
import { userCronProblem } from './patch-schedule.js';

/**
 * OS patching of a cluster's nodes: when (a schedule in the cluster's time zone, with a maintenance
 * window), and how (patch at first boot, reboot when a package asks for it). The schedule rules
 * (Scheduler expression, next runs, daylight saving) are in core/patch-schedule.ts; the rollout of
 * one run is the patch-os workflow's.
 */
export const PATCH_FREQUENCIES = ['none', 'daily', 'weekly', 'monthly', 'cron'] as const;
export type PatchFrequency = (typeof PATCH_FREQUENCIES)[number];
export const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;

/** An IANA time zone the runtime knows (Intl), e.g. Europe/Berlin or UTC. */
export const TimeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return /^[A-Za-z][A-Za-z0-9_+/-]*$/.test(tz);
    } catch {
      return false;
    }
  }, 'an IANA time zone such as Europe/Berlin, America/New_York or UTC');

export const OsPatchSettings = z
  .strictObject({
    /** none: patched only at boot (patchOnBoot) and when asked (POST …/ospatch/run). */
    frequency: z.enum(PATCH_FREQUENCIES).default('none'),
    /** When a daily, weekly or monthly run starts, in timeZone: HH:MM, 24 h. */
    timeOfDay: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (24 h), e.g. 03:00').default('03:00'),
    /** Weekly: the day. */
    dayOfWeek: z.enum(WEEKDAYS).optional(),
    /** Monthly: 1–28 (every month has it) or last. */
    dayOfMonth: z.union([z.int().min(1).max(28), z.literal('last')]).optional(),
    /** frequency cron: a 5-field cron expression (minute hour day-of-month month day-of-week), in timeZone. */
    cron: z.string().max(100).optional(),
    timeZone: TimeZone.default('UTC'),
    /** How long a run may take from its start: it stops at a node boundary past it and goes on in the next window. */
    windowMinutes: z.int().min(30).max(720).default(180),
    /** Patch the OS when a node first boots, before it joins. */
    patchOnBoot: z.boolean().default(false),
    /** Reboot a node when a package asks for it (/var/run/reboot-required); otherwise it is reported, not done. */
    rebootIfRequired: z.boolean().default(false),
  })
  .superRefine((s, ctx) => {
    const needs = (path: 'dayOfWeek' | 'dayOfMonth' | 'cron', used: boolean) => {
      if (used && s[path] === undefined) ctx.addIssue({ code: 'custom', path: [path], message: `required when frequency is ${s.frequency}` });
      // A field the frequency ignores would look like it counts: refused rather than kept unused.
      if (!used && s[path] !== undefined) ctx.addIssue({ code: 'custom', path: [path], message: `not used when frequency is ${s.frequency}` });
    };
    needs('dayOfWeek', s.frequency === 'weekly');
    needs('dayOfMonth', s.frequency === 'monthly');
    needs('cron', s.frequency === 'cron');
    if (s.frequency === 'cron' && s.cron !== undefined) {
      const problem = userCronProblem(s.cron);
      if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: problem });
    }
  })
  .meta({ id: 'OsPatchSettings' });
export type OsPatchSettings = z.infer<typeof OsPatchSettings>;

export const DEFAULT_OS_PATCH: OsPatchSettings = { frequency: 'none', timeOfDay: '03:00', timeZone: 'UTC', windowMinutes: 180, patchOnBoot: false, rebootIfRequired: false };

/** PUT /v1/clusters/{id}/ospatch: the settings and the cluster version read. */
export const PutOsPatchInput = OsPatchSettings.extend({
  /** The cluster version you read; when given, a stale one is refused with 409. */
  version: z.int().positive().optional(),
}).meta({ id: 'PutOsPatchInput' });

/** One node's part of a patch run, as the agent reports it. */
export const NODE_PATCH_STATUSES = ['pending', 'patching', 'patched', 'failed', 'notReady', 'skipped'] as const;
export type NodePatchStatus = (typeof NODE_PATCH_STATUSES)[number];

export const PatchedPackage = z.strictObject({
  name: z.string().max(200),
  from: z.string().max(200).optional(),
  to: z.string().max(200),
});

export const NodePatchResult = z.strictObject({
  node: z.string().max(253),
  status: z.enum(NODE_PATCH_STATUSES),
  packages: z.array(PatchedPackage).max(2000).default([]),
  rebootRequired: z.boolean().default(false),
  rebooted: z.boolean().default(false),
  startedAt: z.iso.datetime().optional(),
  finishedAt: z.iso.datetime().optional(),
  message: z.string().max(2000).optional(),
});
export type NodePatchResult = z.infer<typeof NodePatchResult>;

export const PATCH_RUN_STATES = ['Waiting', 'Running', 'Succeeded', 'Failed', 'Paused'] as const;
export type PatchRunState = (typeof PATCH_RUN_STATES)[number];

/** A run of the patch-os workflow: what started it, its window, and each node's part. */
export interface PatchRun {
  readonly id: string;
  readonly clusterId: string;
  readonly trigger: 'schedule' | 'manual';
  /** The Scheduler's <aws.scheduler.scheduled-time> (schedule), or when it was asked for (manual). */
  readonly scheduledTime: string;
  /** Past this, the run stops at a node boundary; the nodes left go first in the next window. */
  readonly windowEndsAt: string;
  readonly state: PatchRunState;
  /** Why it waits, stopped or failed, in words. */
  readonly message?: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly requestedBy?: string;
  readonly nodes: readonly NodePatchResult[];
}
