import { task, type WorkflowDefinition } from './definition.js';
import type { TaskName } from './tasks.js';

/** Announce a new profile revision to every cluster on the profile. Input: {tenantId, profileId, revision}. */
export const notifyUpdates: WorkflowDefinition<TaskName> = {
  id: 'notify',
  file: 'notify-updates',
  comment: 'Announce a published profile revision to every cluster on the profile: an UpdateAvailable event on each it changes, UpdateWithdrawn where it reverts a pending change. Input: {tenantId, profileId, revision}.',
  steps: [task('NotifyClusters', 'NotifyClusters', 'pages of the clusters on the profile, events in batches; where it got to is saved, so it goes on from there')],
  succeed: 'Notified',
  stopped: 'the profile is gone, or a newer revision took over (its own run tells every cluster)',
};
