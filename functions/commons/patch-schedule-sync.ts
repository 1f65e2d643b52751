import type { Cluster } from '../../core/clusters.js';
import { schedulerExpression } from '../../core/patch-schedule.js';
import { patchSettingsOf } from '../../core/patch-run.js';
import { deletePatchSchedule, putPatchSchedule } from '../../adapters/scheduler/patch-schedules.js';

/** Make the cluster's patch schedule in EventBridge Scheduler what its settings say: one schedule, or none. */
export async function syncPatchSchedule(tenantId: string, cluster: Pick<Cluster, 'id' | 'osPatch'>): Promise<void> {
  const settings = patchSettingsOf(cluster.osPatch);
  const expression = schedulerExpression(settings);
  if (expression) await putPatchSchedule({ tenantId, clusterId: cluster.id, expression, timeZone: settings.timeZone });
  else await deletePatchSchedule(cluster.id);
}
