import { h } from '../dom';
import type { CommandStatus, HealthState, NodePatchStatus, PatchRunState, Phase, Status } from '../types';

/** Status words as badges: the word is always there, colour only repeats it. */

const PHASE_TONE: Record<Phase, string> = {
  Pending: 'neutral',
  Provisioning: 'progress',
  Running: 'good',
  Deleting: 'progress',
  Deleted: 'neutral',
  Failed: 'bad',
};

export const phaseBadge = (phase: Phase) => h('span', { class: `badge ${PHASE_TONE[phase]}`, 'data-phase': phase }, phase);

const HEALTH_TONE: Record<HealthState, string> = { Healthy: 'good', Unhealthy: 'bad', Unknown: 'neutral' };

export const healthBadge = (health: HealthState) => h('span', { class: `badge ${HEALTH_TONE[health]}`, 'data-health': health }, health);

const STATUS_TONE: Record<Status, string> = { True: 'good', False: 'bad', Unknown: 'neutral' };

export const statusBadge = (status: Status, label: string = status) => h('span', { class: `badge ${STATUS_TONE[status]}` }, label);

export const readyBadge = (ready: boolean) => h('span', { class: `badge ${ready ? 'good' : 'bad'}` }, ready ? 'Ready' : 'NotReady');

const COMMAND_TONE: Record<CommandStatus, string> = { Pending: 'neutral', Delivered: 'progress', Running: 'progress', Succeeded: 'good', Failed: 'bad', Expired: 'bad' };

export const commandBadge = (status: CommandStatus) => h('span', { class: `badge ${COMMAND_TONE[status]}`, 'data-status': status }, status);

/** A cluster behind its profile: the revision it could move to and how far behind it is. */
export const updateBadge = (pending: { latestRevision: number; revisionsBehind: number }) =>
  h('span', { class: 'badge progress', 'data-update': pending.latestRevision, title: `Revision ${pending.latestRevision} of its profile is available` }, `Update: rev ${pending.latestRevision} (${pending.revisionsBehind} behind)`);

const RUN_TONE: Record<PatchRunState, string> = { Waiting: 'neutral', Running: 'progress', Succeeded: 'good', Failed: 'bad', Paused: 'progress' };

export const runStateBadge = (state: PatchRunState) => h('span', { class: `badge ${RUN_TONE[state]}`, 'data-state': state }, state);

const NODE_PATCH_TONE: Record<NodePatchStatus, string> = { pending: 'neutral', patching: 'progress', patched: 'good', failed: 'bad', notReady: 'bad', skipped: 'neutral' };

export const nodePatchBadge = (status: NodePatchStatus) => h('span', { class: `badge ${NODE_PATCH_TONE[status]}`, 'data-status': status }, status);
