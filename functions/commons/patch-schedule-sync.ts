import type { Cluster } from '../../core/clusters.js';
import { schedulerExpression } from '../../core/patch-schedule.js';
import { patchSettingsOf } from '../../core/patch-run.js';

/** Make the cluster's patch schedule in EventBridge Scheduler what its settings say: one schedule, or none. */
export async function syncPatchSchedule(tenantId: string, cluster: Pick<Cluster, 'id' | 'osPatch'>): Promise<void> {
  const settings = patchSettingsOf(cluster.osPatch);
  const expression = schedulerExpression(settings);
  // The Scheduler client loads with the first change of a schedule, not with every handler that may make one.
  const { deletePatchSchedule, putPatchSchedule } = await import('../../adapters/scheduler/patch-schedules.js');
  if (expression) await putPatchSchedule({ tenantId, clusterId: cluster.id, expression, timeZone: settings.timeZone });
  else await deletePatchSchedule(cluster.id);
}
