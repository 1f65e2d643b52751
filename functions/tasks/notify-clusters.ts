import type { Condition, ConditionStatus, ConditionUpdate } from '../../core/conditions.js';
import type { ClusterEvent } from '../../core/events.js';
import { diffLayers } from '../../core/profile-diff.js';
import { contentHashOf, type Profile, type ProfileRevision } from '../../core/profiles.js';
import { analyzeUpdate } from '../../core/updates.js';
import { clock } from '../../core/clock.js';
import { listClustersOfProfile, type ProfileMember } from '../../adapters/dynamodb/clusters-store.js';
import { applyConditions, getCondition, listConditions } from '../../adapters/dynamodb/conditions-store.js';
import { appendEvent, putEventsOnce } from '../../adapters/dynamodb/events-store.js';
import { getNotifyProgress, getProfile, getRevision, saveNotifyProgress, type NotifyProgress } from '../../adapters/dynamodb/profiles-store.js';
import { logger } from '../commons/powertools.js';
import { DONE, workflowStep, waitFor, type StepContext, type StepState, type Verdict } from './step.js';

/** The input of the notify workflow: the revision just published. */
export interface NotifyInput extends StepState {
  readonly tenantId: string;
  readonly profileId: string;
  readonly revision: number;
}

/** Clusters read per query of the by-profile index. */
const PAGE = 200;
/** Work of one invocation before it saves where it got to and runs again: well inside a Lambda's timeout. */
const BUDGET_MS = 20_000;

/** A step on one profile: its record and the revision being announced; its own conditions and events, under its id. */
class ProfileStepContext implements StepContext {
  readonly region = '';
  constructor(
    readonly input: NotifyInput,
    readonly profile: Profile,
  ) {}
  condition(type: string): Promise<Condition | undefined> {
    return getCondition(this.profile.id, type);
  }
  conditions(): Promise<Condition[]> {
    return listConditions(this.profile.id);
  }
  async set(...updates: ConditionUpdate[]): Promise<Condition[]> {
    return (await applyConditions(this.profile.id, this.input.revision, updates, [], false)).all;
  }
  mark(type: string, status: ConditionStatus, reason: string, message: string, attempted = false): Promise<Condition[]> {
    return this.set({ type, status, reason, message, attempted });
  }
  event(type: ClusterEvent['type'], reason: string, message: string, subject?: string, once?: string): Promise<ClusterEvent | undefined> {
    return appendEvent({ clusterId: this.profile.id, type, reason, message, subject }, once);
  }
}

/** One line of what changed, for the event each cluster gets. */
function changeSummary(from: ProfileRevision, to: ProfileRevision): string {
  const changes = diffLayers(from.layers, to.layers);
  const shown = changes.slice(0, 6).map((c) => (c.change === 'values' ? `${c.name} values` : c.change === 'added' || c.change === 'removed' ? `${c.name} ${c.change}` : `${c.name} ${c.fromVersion} → ${c.toVersion}`));
  return `${changes.length} pack change(s): ${shown.join(', ')}${changes.length > shown.length ? ', …' : ''}`;
}

/**
 * Tell every cluster on the profile that revision N is out: an UpdateAvailable event on each one
 * it changes something for (with what, and how many of its overrides conflict), an UpdateWithdrawn
 * event on each one the revision returns to what it runs (a reverted change). Pages of the
 * by-profile index, events in batches; where it got to is saved, so a retry or a new invocation
 * goes on from there. A newer revision ends it: that one's run tells every cluster.
 */
export const handler = workflowStep<NotifyInput, ProfileStepContext>(
  async (input) => {
    logger.appendKeys({ profileId: input.profileId, tenantId: input.tenantId, correlationId: `${input.profileId}-r${input.revision}` });
    const profile = await getProfile(input.tenantId, input.profileId).catch(() => undefined);
    if (!profile || profile.latestRevision !== input.revision) return undefined;
    return new ProfileStepContext(input, profile);
  },
  async (ctx): Promise<Verdict> => {
    const { tenantId, profileId, revision } = ctx.input;
    const started = clock.now();
    let progress: NotifyProgress = (await getNotifyProgress(tenantId, profileId, revision)) ?? { profileId, revision, startedAt: clock.date().toISOString(), done: false, notified: 0, withdrawn: 0, upToDate: 0 };
    if (progress.done) return DONE;
    const target = await getRevision(tenantId, profileId, revision);
    const targetHash = contentHashOf(target);
    const previous = revision > 1 ? await getRevision(tenantId, profileId, revision - 1).catch(() => undefined) : undefined;
    const bases = new Map<number, Promise<ProfileRevision>>();
    const base = (n: number) => bases.get(n) ?? bases.set(n, getRevision(tenantId, profileId, n)).get(n)!;

    const noticeFor = async (c: ProfileMember): Promise<ClusterEvent | undefined> => {
      if (c.phase === 'Deleting' || c.phase === 'Deleted' || c.profileRevision >= revision) return undefined;
      const runs = await base(c.profileRevision);
      const runsHash = c.revisionHash ?? contentHashOf(runs);
      const at = progress.startedAt;
      const event = (reason: string, message: string): ClusterEvent & { tenantId: string } => ({ id: `${at}#${reason}-r${revision}`, clusterId: c.id, clusterName: c.name, tenantId, type: 'Normal', reason, message, subject: `profile/${profileId}`, at, count: 1, firstSeen: at, lastSeen: at });
      if (runsHash === targetHash) {
        // It had an update pending until now only if the revision before this one differed from what it runs.
        const hadUpdate = previous !== undefined && previous.revision > c.profileRevision && contentHashOf(previous) !== runsHash;
        return hadUpdate ? event('UpdateWithdrawn', `revision ${revision} of profile ${ctx.profile.name} has the same packs and values as revision ${c.profileRevision}, which this cluster runs: no update is pending any more`) : undefined;
      }
      const overrides = c.overrides ?? {};
      const conflicts = Object.keys(overrides).length ? analyzeUpdate(runs.layers, target.layers, overrides).conflicts.length : 0;
      return event(
        'UpdateAvailable',
        `revision ${revision} of profile ${ctx.profile.name} is available (this cluster runs ${c.profileRevision}): ${changeSummary(runs, target)}${conflicts ? `; ${conflicts} value(s) this cluster overrides conflict and need a resolution` : ''}`,
      );
    };

    while (clock.now() - started < BUDGET_MS) {
      const page = await listClustersOfProfile(tenantId, profileId, { limit: PAGE, cursor: progress.cursor });
      const events = (await Promise.all(page.items.map(noticeFor))).filter((e): e is ClusterEvent & { tenantId: string } => e !== undefined);
      await putEventsOnce(events);
      const withdrawn = events.filter((e) => e.reason === 'UpdateWithdrawn').length;
      progress = {
        ...progress,
        cursor: page.nextCursor,
        done: !page.nextCursor,
        notified: progress.notified + events.length - withdrawn,
        withdrawn: progress.withdrawn + withdrawn,
        upToDate: progress.upToDate + page.items.length - events.length,
      };
      await saveNotifyProgress(tenantId, progress);
      if (progress.done) {
        logger.info('clusters notified', { revision, notified: progress.notified, withdrawn: progress.withdrawn, unaffected: progress.upToDate });
        return DONE;
      }
    }
    return waitFor(1);
  },
);
