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

/** The health sweep runs once a minute (functions/health/schedule.ts builds its rate from this). */
export const SWEEP_PERIOD_SECONDS = 60;
/** How late an agent's heartbeat may come before the sweep reads a live cluster's deadline entry (a read, never a verdict). */
const LATE_HEARTBEAT_SECONDS = 15;
/** The longest a silent cluster may go unnoticed past its threshold (product decision). */
const MAX_ALLOWANCE_SECONDS = 120;

type Timing = Pick<HealthSettings, 'missingAfterSeconds' | 'heartbeatIntervalSeconds'>;

/**
 * How far ahead of a deadline the sweep reads an entry, and waits for it: the sweep runs once a
 * minute, and this spares a silent cluster most of a minute's wait. A live cluster's entry is
 * always further off than this, at least the threshold less one interval (and some lateness);
 * and the wait ends before the next run starts.
 */
export function lookaheadMs(s: Timing): number {
  return Math.max(0, Math.min(SWEEP_PERIOD_SECONDS - LATE_HEARTBEAT_SECONDS, s.missingAfterSeconds - s.heartbeatIntervalSeconds - LATE_HEARTBEAT_SECONDS)) * 1000;
}

/**
 * How long after its threshold a silent cluster may be found: two minutes, or 4/3 of the
 * threshold when that is shorter (a short threshold is not stretched by two whole minutes),
 * and never less than the sweep's period allows.
 */
export function allowanceMs(s: Timing): number {
  const wanted = Math.min(MAX_ALLOWANCE_SECONDS * 1000, (s.missingAfterSeconds * 4000) / 3);
  return Math.max(wanted, SWEEP_PERIOD_SECONDS * 1000 - lookaheadMs(s));
}

/**
 * Until when a heartbeat recorded at `recordedAt` (ms) stands for the agent's later ones: they
 * write nothing for it. As long as the allowance leaves once the sweep's own lateness is taken
 * off; and no later than the end of the minute after its own, so with the defaults the record
 * moves every other minute on the minute's first heartbeat, which writes the usage sample anyway.
 */
export function recordedUntil(recordedAt: number, s: Timing): number {
  const stands = allowanceMs(s) - (SWEEP_PERIOD_SECONDS * 1000 - lookaheadMs(s));
  return Math.min(recordedAt + stands, (Math.floor(recordedAt / 60_000) + 2) * 60_000);
}

/**
 * When a cluster whose last recorded heartbeat is `recordedAt` is missing: the threshold after
 * the latest heartbeat it may have sent unrecorded, so never before the threshold has passed
 * since its real last heartbeat. The sweep reads its entry up to lookaheadMs before and waits
 * for it, or finds it at its next run: within threshold + allowanceMs of the last heartbeat
 * (210 s with the defaults).
 */
export function missingAt(recordedAt: number, s: Timing): number {
  return recordedUntil(recordedAt, s) + s.missingAfterSeconds * 1000;
}

/** HeartbeatHealthy: has the agent reported within the threshold? */
export function heartbeatCondition(lastHeartbeatAt: string | undefined, now: Date, s: HealthSettings): ConditionUpdate {
  if (!lastHeartbeatAt) return { type: 'HeartbeatHealthy', status: 'Unknown', reason: 'NoHeartbeatYet', message: 'the cluster agent has not reported yet' };
  const ageMs = now.getTime() - Date.parse(lastHeartbeatAt);
  const age = Math.round(ageMs / 1000);
  // The same instant the deadline index uses: missing once no unrecorded heartbeat can be younger than the threshold.
  if (now.getTime() >= missingAt(Date.parse(lastHeartbeatAt), s)) {
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
