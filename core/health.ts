import { z } from 'zod';
import type { ReportedNode } from './agent-protocol.js';
import { typeOf, CONDITION_TYPES, type ConditionType, type ConditionUpdate } from './conditions.js';

/** Per-cluster health settings, changeable; defaults from the platform's SLOs. */
export const HealthSettings = z.strictObject({
  heartbeatIntervalSeconds: z.int().min(1).max(3600).default(30),
  missingAfterSeconds: z.int().min(3).max(86400).default(90),
  usageThresholdPercent: z.number().min(1).max(100).default(90),
  usageWindowMinutes: z.int().min(1).max(1440).default(10),
});
export type HealthSettings = z.infer<typeof HealthSettings>;
export const DEFAULT_HEALTH: HealthSettings = HealthSettings.parse({});

/** The health checks: the conditions of group health in the registry. */
export const HEALTH_CONDITIONS = (Object.keys(CONDITION_TYPES) as ConditionType[]).filter((t) => CONDITION_TYPES[t].group === 'health' && !('per' in CONDITION_TYPES[t]));
/** Health conditions of one pool or node, written only while they have something to say (NodeRepair/<pool> when repair is held). */
const isHealthCondition = (type: string) => {
  const t = typeOf(type);
  return t !== undefined && CONDITION_TYPES[t].group === 'health';
};
export type Health = 'Healthy' | 'Unhealthy' | 'Unknown';

const PRESSURES = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

/**
 * Until when a heartbeat recorded at `recordedAt` (ms) stands for the agent's later ones: they
 * write nothing for it. The end of its minute, as the minute's first heartbeat writes the usage
 * sample and records with it at no extra write; or half the threshold after it if that comes
 * first, so a short threshold is not stretched by up to a minute.
 */
export function recordedUntil(recordedAt: number, s: Pick<HealthSettings, 'missingAfterSeconds'>): number {
  return Math.min(recordedAt + (s.missingAfterSeconds * 1000) / 2, (Math.floor(recordedAt / 60_000) + 1) * 60_000);
}

/**
 * When a cluster whose last recorded heartbeat is `recordedAt` is missing: the threshold after
 * the latest heartbeat it may have sent unrecorded, so never before the threshold has passed
 * since its real last heartbeat. The sweep, once a minute, finds it at most a minute later:
 * within threshold + min(threshold / 2, 60 s) + 60 s of the last heartbeat (195 s with the defaults).
 */
export function missingAt(recordedAt: number, s: Pick<HealthSettings, 'missingAfterSeconds'>): number {
  return recordedUntil(recordedAt, s) + s.missingAfterSeconds * 1000;
}

/** HeartbeatHealthy: has the agent reported within the threshold? */
export function heartbeatCondition(lastHeartbeatAt: string | undefined, now: Date, s: HealthSettings): ConditionUpdate {
  if (!lastHeartbeatAt) return { type: 'HeartbeatHealthy', status: 'Unknown', reason: 'NoHeartbeatYet', message: 'the cluster agent has not reported yet' };
  const ageMs = now.getTime() - Date.parse(lastHeartbeatAt);
  const age = Math.round(ageMs / 1000);
  // The same instant the deadline index uses: missing once no unrecorded heartbeat can be younger than the threshold.
  if (now.getTime() > missingAt(Date.parse(lastHeartbeatAt), s)) {
    return { type: 'HeartbeatHealthy', status: 'False', reason: 'HeartbeatMissing', message: `no heartbeat for ${age} s (threshold ${s.missingAfterSeconds} s); last at ${lastHeartbeatAt}` };
  }
  return { type: 'HeartbeatHealthy', status: 'True', reason: 'HeartbeatReceived', message: `last heartbeat ${age} s ago` };
}

/** NodesHealthy: Ready not True, or a pressure / NetworkUnavailable True, on any node — each named. */
export function nodesCondition(nodes: readonly ReportedNode[]): ConditionUpdate {
  if (!nodes.length) return { type: 'NodesHealthy', status: 'Unknown', reason: 'NoNodes', message: 'the agent reports no nodes' };
  const problems: string[] = [];
  for (const n of nodes) {
    const ready = n.conditions.find((c) => c.type === 'Ready');
    if (!ready) problems.push(`${n.name}: Ready is missing`);
    else if (ready.status !== 'True') problems.push(`${n.name}: Ready is ${ready.status}${ready.reason ? ` (${ready.reason})` : ''}`);
    for (const c of n.conditions) if (PRESSURES.includes(c.type) && c.status === 'True') problems.push(`${n.name}: ${c.type} is True`);
  }
  if (problems.length) return { type: 'NodesHealthy', status: 'False', reason: 'NodeProblems', message: problems.join('; ') };
  return { type: 'NodesHealthy', status: 'True', reason: 'AllNodesReady', message: `${nodes.length} node(s) Ready, no pressure` };
}

export interface UsagePoint {
  readonly t: string;
  readonly cpuPercent: number;
  readonly memoryPercent: number;
  readonly diskPercent?: number;
}

/**
 * MetricsHealthy: False when CPU, memory or disk usage stayed above the threshold for the whole
 * window — every sample inside it, and samples covering it (a short spike is not an incident).
 */
export function metricsCondition(points: readonly UsagePoint[], now: Date, s: HealthSettings): ConditionUpdate {
  const since = now.getTime() - s.usageWindowMinutes * 60_000;
  const inWindow = points.filter((p) => Date.parse(p.t) >= since - 60_000).sort((a, b) => a.t.localeCompare(b.t));
  if (!inWindow.length) return { type: 'MetricsHealthy', status: 'Unknown', reason: 'NoMetrics', message: 'no usage samples in the window' };
  const covers = Date.parse(inWindow[0]!.t) <= since + 60_000;
  const over: string[] = [];
  for (const [key, label] of [['cpuPercent', 'CPU'], ['memoryPercent', 'memory'], ['diskPercent', 'disk']] as const) {
    const values = inWindow.map((p) => p[key]).filter((v): v is number => v !== undefined);
    if (covers && values.length === inWindow.length && values.every((v) => v > s.usageThresholdPercent)) {
      over.push(`${label} above ${s.usageThresholdPercent}% for ${s.usageWindowMinutes} min (min ${Math.min(...values)}%)`);
    }
  }
  if (over.length) return { type: 'MetricsHealthy', status: 'False', reason: 'SustainedHighUsage', message: over.join('; ') };
  const last = inWindow[inWindow.length - 1]!;
  return { type: 'MetricsHealthy', status: 'True', reason: 'UsageNormal', message: `CPU ${last.cpuPercent}%, memory ${last.memoryPercent}%` };
}

/** Overall health: the worst of the three, with the reasons of what is not True. */
export function overallHealth(conditions: readonly { type: string; status: string; message: string }[]): { health: Health; reasons: string[] } {
  const mine = conditions.filter((c) => isHealthCondition(c.type));
  const reasons = mine.filter((c) => c.status !== 'True').map((c) => `${c.type}: ${c.message}`);
  if (mine.some((c) => c.status === 'False')) return { health: 'Unhealthy', reasons };
  const fixed = mine.filter((c) => (HEALTH_CONDITIONS as readonly string[]).includes(c.type));
  if (fixed.length < HEALTH_CONDITIONS.length || mine.some((c) => c.status === 'Unknown')) return { health: 'Unknown', reasons };
  return { health: 'Healthy', reasons: [] };
}

/** What a heartbeat changed, as ingest saw it. */
export interface HeartbeatEffects {
  /** The node or service picture changed (a new snapshot was kept). */
  readonly snapshotWritten: boolean;
  /** The cluster came back after its deadline had passed. */
  readonly resumed: boolean;
  /** This heartbeat wrote the minute's usage sample. */
  readonly sampleWritten: boolean;
  /** Usage is above the threshold now (known only when a sample was written). */
  readonly overThreshold: boolean;
  /** Usage was above the threshold at the previous sample (undefined: not known here). */
  readonly wasOverThreshold: boolean | undefined;
}

/**
 * Does this heartbeat need a health score? Only when a verdict can change: the node state changed,
 * the cluster came back, or usage is (or was, a minute ago) above the threshold. A steady healthy
 * cluster costs nothing; a silent one is found by the sweep.
 */
export function needsHealthScore(e: HeartbeatEffects): boolean {
  return e.snapshotWritten || e.resumed || (e.sampleWritten && (e.overThreshold || e.wasOverThreshold !== false));
}
