import type { Cluster } from '../../core/clusters.js';
import { DEFAULT_HEALTH, heartbeatCondition, metricsCondition, nodesCondition, overallHealth, type UsagePoint } from '../../core/health.js';
import { samplePoint } from '../../core/usage.js';
import { getCluster } from '../../adapters/dynamodb/clusters-store.js';
import { applyConditions, listConditions } from '../../adapters/dynamodb/conditions-store.js';
import { appendEvent } from '../../adapters/dynamodb/events-store.js';
import { getSnapshot, latestSample, samplesSince } from '../../adapters/dynamodb/telemetry-store.js';
import { repairNodes } from './repair.js';
import { clock } from '../../core/clock.js';

/**
 * Score one cluster: HeartbeatHealthy, NodesHealthy, MetricsHealthy, and the overall health.
 * Each condition transition is an event (applyConditions reports them), and so is a change of
 * the overall health.
 */
export async function scoreCluster(tenantId: string, clusterId: string, now = clock.date()): Promise<{ health: string; changed: string[] } | undefined> {
  const cluster: Cluster | undefined = await getCluster(tenantId, clusterId).catch(() => undefined);
  if (!cluster || cluster.phase === 'Deleting' || cluster.phase === 'Deleted' || cluster.phase === 'Pending') return undefined;
  const settings = cluster.healthChecks ?? DEFAULT_HEALTH;
  const since = new Date(now.getTime() - (settings.usageWindowMinutes + 1) * 60_000).toISOString().slice(0, 16);
  const [snapshot, last, samples, before] = await Promise.all([getSnapshot(clusterId), latestSample(clusterId), samplesSince(clusterId, '1m', since), listConditions(clusterId)]);

  const points: UsagePoint[] = samples.map((s) => {
    const p = samplePoint(s, false);
    const disks = s.per.split(';').map((r) => Number(r.split(',')[2])).filter((d) => !Number.isNaN(d) && d > 0);
    return { t: `${s.t}:00.000Z`, cpuPercent: p.cpuUsagePercent, memoryPercent: p.memoryUsagePercent, diskPercent: disks.length ? Math.max(...disks) : undefined };
  });
  const updates = [heartbeatCondition(last?.hb, now, settings), snapshot ? nodesCondition(snapshot.report.nodes) : nodesCondition([]), metricsCondition(points, now, settings)];
  const { all, changed } = await applyConditions(clusterId, cluster.generation, updates);
  // Only a cluster that is reporting has current node conditions to repair on.
  if (snapshot && updates[0]!.status === 'True') await repairNodes(tenantId, cluster, snapshot.report.nodes, now);
  for (const c of changed.filter((c) => updates.some((u) => u.type === c.type))) {
    await appendEvent({ clusterId, clusterName: cluster.name, tenantId, type: c.status === 'False' ? 'Warning' : 'Normal', reason: c.reason, message: `${c.type} is ${c.status}: ${c.message}`, subject: c.type });
  }
  const was = overallHealth(before).health;
  const now_ = overallHealth(all);
  if (was !== now_.health) {
    await appendEvent({
      clusterId,
      clusterName: cluster.name,
      tenantId,
      type: now_.health === 'Unhealthy' ? 'Warning' : 'Normal',
      reason: `Health${now_.health}`,
      message: now_.health === 'Healthy' ? 'cluster is Healthy' : `cluster is ${now_.health}: ${now_.reasons.join('; ')}`,
      subject: 'Health',
    });
  }
  return { health: now_.health, changed: changed.map((c) => c.type) };
}
