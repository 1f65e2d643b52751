import { createHash } from 'node:crypto';
import { statusOf } from './kubernetes-source.js';
import { hostname } from 'node:os';
import { BatchV1Api, CoreV1Api, type KubeConfig, type V1Job } from '@kubernetes/client-node';
import { parseAgentArgs } from '../core/agent-commands.js';
import { COMPLIANCE_MAX_REPORT_BYTES } from '../core/compliance.js';
import type { Clock, Logger } from './agent.js';
import { DEADLINE_MARGIN_MS, type CommandContext } from './commands.js';
import { claimCommand, type AgentApi, type CommandLeases } from './logs.js';
import { errorMessage } from './packs.js';

/**
 * CIS scans: kube-bench as a Job on a control-plane node (its own job manifests' host paths,
 * read-only, in the host's PID namespace), its --json output read from the pod's log and posted as
 * it is to POST /agent/v1/compliance. On a command (runCisScan) and on a schedule: every agent
 * of the cluster tries each period's Job under one deterministic name, so one of them runs it.
 */

/** aquasecurity/kube-bench's release image (its job.yaml at v0.15.6). */
export const KUBE_BENCH_IMAGE = 'docker.io/aquasec/kube-bench:v0.15.6';
export const KUBE_BENCH_NAMESPACE = 'kube-system';
/** Hours between scheduled scans (STRATA_CIS_INTERVAL_HOURS); 0 turns them off. */
export const DEFAULT_CIS_INTERVAL_HOURS = 168;
/** Longest a kube-bench run may take (the Job's activeDeadlineSeconds): it takes seconds on a normal node. */
export const KUBE_BENCH_JOB_SECONDS = 600;
/** How often the Job is looked at. */
export const KUBE_BENCH_POLL_MS = 5_000;
/** How long a command's finished Job is kept if the agent could not delete it. */
export const KUBE_BENCH_TTL_SECONDS = 3_600;
export const KUBE_BENCH_CONTAINER = 'kube-bench';
const JOB_LABEL = 'strata.io/kube-bench';

/** What kube-bench's job.yaml mounts from the host, read-only: name, host path, where kube-bench looks. */
export const KUBE_BENCH_HOST_PATHS: readonly (readonly [name: string, hostPath: string, mountPath: string])[] = [
  ['var-lib-cni', '/var/lib/cni', '/var/lib/cni'],
  ['var-lib-etcd', '/var/lib/etcd', '/var/lib/etcd'],
  ['var-lib-kubelet', '/var/lib/kubelet', '/var/lib/kubelet'],
  ['var-lib-kube-scheduler', '/var/lib/kube-scheduler', '/var/lib/kube-scheduler'],
  ['var-lib-kube-controller-manager', '/var/lib/kube-controller-manager', '/var/lib/kube-controller-manager'],
  ['etc-systemd', '/etc/systemd', '/etc/systemd'],
  ['lib-systemd', '/lib/systemd', '/lib/systemd'],
  ['srv-kubernetes', '/srv/kubernetes', '/srv/kubernetes'],
  ['etc-kubernetes', '/etc/kubernetes', '/etc/kubernetes'],
  // kubectl and kubelet of the host, for kube-bench to detect the Kubernetes version.
  ['usr-bin', '/usr/bin', '/usr/local/mount-from-host/bin'],
  ['etc-cni-netd', '/etc/cni/net.d', '/etc/cni/net.d'],
  ['opt-cni-bin', '/opt/cni/bin', '/opt/cni/bin'],
];

export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';

/** A Job name (at most 63 characters: the Job controller copies it into a label) for a scan. */
export function scanJobName(scanId: string): string {
  const slug = scanId.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const hash = createHash('sha256').update(scanId).digest('hex').slice(0, 8);
  return `strata-kube-bench-${slug.slice(0, 30)}-${hash}`.replace(/--+/g, '-');
}

/**
 * The scheduled scan's period at `now`: periods of `intervalHours`, shifted per cluster (so a
 * fleet's clusters do not all scan at the same moment). Every agent of a cluster computes the same.
 */
export function cisPeriod(now: number, intervalHours: number, clusterId: string): { number: number; endsAt: number } {
  const length = intervalHours * 3_600_000;
  const offset = parseInt(createHash('sha256').update(clusterId).digest('hex').slice(0, 8), 16) % length;
  const number = Math.floor((now + offset) / length);
  return { number, endsAt: (number + 1) * length - offset };
}

/** The Job of a scheduled period: its name says it is taken (AlreadyExists) to every other agent. */
export const scheduledJobName = (period: number) => `strata-kube-bench-${period}`;

/** kube-bench's Job, as its job-master.yaml and job.yaml make it: on a control-plane node, every target it detects, JSON out. */
export function kubeBenchJob(name: string, options: { image?: string; namespace?: string; activeDeadlineSeconds: number; ttlSecondsAfterFinished: number; scanId?: string }): V1Job {
  const labels = { 'app.kubernetes.io/managed-by': 'strata', 'app.kubernetes.io/name': 'kube-bench', [JOB_LABEL]: name };
  const namespace = options.namespace ?? KUBE_BENCH_NAMESPACE;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels, ...(options.scanId ? { annotations: { 'strata.io/scan-id': options.scanId } } : {}) },
    spec: {
      // A scan that failed is reported, not run again behind the agent's back.
      backoffLimit: 0,
      activeDeadlineSeconds: options.activeDeadlineSeconds,
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          hostPID: true,
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          nodeSelector: { [CONTROL_PLANE_LABEL]: '' },
          tolerations: [
            { key: CONTROL_PLANE_LABEL, operator: 'Exists', effect: 'NoSchedule' },
            { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
          ],
          containers: [
            {
              name: KUBE_BENCH_CONTAINER,
              image: options.image ?? KUBE_BENCH_IMAGE,
              command: ['kube-bench', 'run', '--json'],
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              volumeMounts: KUBE_BENCH_HOST_PATHS.map(([n, , mountPath]) => ({ name: n, mountPath, readOnly: true })),
            },
          ],
          volumes: KUBE_BENCH_HOST_PATHS.map(([n, path]) => ({ name: n, hostPath: { path } })),
        },
      },
    },
  };
}

/** A kube-bench Job as the agent follows it. */
export type BenchJobState = { readonly phase: 'running' } | { readonly phase: 'succeeded' } | { readonly phase: 'failed'; readonly reason: string };

/** What a scan does in the cluster; the real one is {@link KubernetesBenchOperations}. */
export interface BenchOperations extends CommandLeases {
  /** Creates the Job: 'exists' when one of that name is there already (AlreadyExists, 409). */
  createJob(job: V1Job): Promise<'created' | 'exists'>;
  /** undefined when there is no such Job. */
  jobState(name: string): Promise<BenchJobState | undefined>;
  /** The Job's pod: its name, the node it ran on, why its container waits (an image that cannot be pulled). */
  jobPod(name: string): Promise<{ readonly name: string; readonly node?: string; readonly waiting?: string } | undefined>;
  /** The container's log (at most maxBytes, its end). */
  podLog(pod: string, maxBytes: number): Promise<string>;
  /** Deletes the Job and its pod; one gone already is fine. */
  deleteJob(name: string): Promise<void>;
}

/** kube-bench Jobs through @kubernetes/client-node; leases through the host operations' claim. */
export class KubernetesBenchOperations implements BenchOperations {
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;

  constructor(
    kc: KubeConfig,
    private readonly leases: CommandLeases,
    private readonly namespace: string = KUBE_BENCH_NAMESPACE,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
  }

  claim(name: string, holder: string, durationSeconds: number) {
    return this.leases.claim(name, holder, durationSeconds);
  }

  async createJob(job: V1Job): Promise<'created' | 'exists'> {
    try {
      await this.batch.createNamespacedJob({ namespace: this.namespace, body: job });
      return 'created';
    } catch (err) {
      if (statusOf(err) === 409) return 'exists';
      throw err;
    }
  }

  async jobState(name: string): Promise<BenchJobState | undefined> {
    try {
      const job = await this.batch.readNamespacedJob({ name, namespace: this.namespace });
      const conditions = job.status?.conditions ?? [];
      const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
      if (failed) return { phase: 'failed', reason: [failed.reason, failed.message].filter(Boolean).join(': ') || 'the Job failed' };
      if (conditions.some((c) => c.type === 'Complete' && c.status === 'True') || (job.status?.succeeded ?? 0) > 0) return { phase: 'succeeded' };
      return { phase: 'running' };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async jobPod(name: string) {
    const pod = (await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `${JOB_LABEL}=${name}` })).items[0];
    if (!pod) return undefined;
    const waiting = pod.status?.containerStatuses?.find((c) => c.name === KUBE_BENCH_CONTAINER)?.state?.waiting;
    return {
      name: pod.metadata?.name ?? '',
      ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
      ...(waiting?.reason ? { waiting: `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}` } : {}),
    };
  }

  async podLog(pod: string, maxBytes: number): Promise<string> {
    return this.core.readNamespacedPodLog({ name: pod, namespace: this.namespace, container: KUBE_BENCH_CONTAINER, limitBytes: maxBytes });
  }

  async deleteJob(name: string): Promise<void> {
    try {
      await this.batch.deleteNamespacedJob({ name, namespace: this.namespace, propagationPolicy: 'Background' });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
}

/**
 * kube-bench's JSON from its pod's log: the whole log when it is JSON, else the JSON that starts at
 * a line of its own (anything kube-bench says besides goes to stderr, which the log interleaves
 * before or after it). Returned as printed.
 */
export function kubeBenchOutput(log: string): string {
  const isReport = (text: string) => {
    if (!text.startsWith('{') && !text.startsWith('[')) return false;
    try {
      const v: unknown = JSON.parse(text);
      return typeof v === 'object' && v !== null;
    } catch {
      return false;
    }
  };
  const whole = log.trim();
  if (isReport(whole)) return whole;
  const lines = whole.split('\n');
  // A document starts and ends at the start of a line (kube-bench prints it on one line; indented, it closes unindented).
  const starts = lines.flatMap((l, i) => (/^[{[]/.test(l) ? [i] : []));
  const ends = lines.flatMap((l, i) => (/[}\]]\s*$/.test(l) && (/^[}\]]/.test(l) || starts.includes(i)) ? [i] : []));
  // A handful of candidates each way: parsing every pair of a 4 MiB log would take quadratic time.
  for (const i of starts.slice(0, 8)) {
    for (const j of ends.filter((e) => e >= i).reverse().slice(0, 8)) {
      const candidate = lines.slice(i, j + 1).join('\n').trim();
      if (isReport(candidate)) return candidate;
    }
  }
  const tail = lines.slice(-3).join(' | ').slice(0, 500);
  throw new Error(`kube-bench printed no JSON report${tail ? `: ${tail}` : ' (its log is empty)'}`);
}

export interface BenchDeps {
  readonly bench: BenchOperations;
  readonly api: AgentApi;
  readonly clock: Pick<Clock, 'now' | 'sleep'>;
  /** @default KUBE_BENCH_IMAGE */
  readonly image?: string;
  /** @default os.hostname() */
  readonly holder?: string;
}

/**
 * Runs (or, when `adopt`, follows one already there under the name) a kube-bench Job until it ends
 * or `until` (clock ms) passes: its JSON and the node it ran on. 'exists' when the name is taken and
 * not adopted.
 */
export async function runKubeBench(deps: BenchDeps, name: string, options: { until: number; signal: AbortSignal; adopt: boolean; ttlSecondsAfterFinished: number; scanId?: string }): Promise<{ json: string; node: string } | 'exists'> {
  const { bench, clock } = deps;
  const activeDeadlineSeconds = Math.max(60, Math.min(KUBE_BENCH_JOB_SECONDS, Math.floor((options.until - clock.now()) / 1000)));
  const job = kubeBenchJob(name, { ...(deps.image ? { image: deps.image } : {}), activeDeadlineSeconds, ttlSecondsAfterFinished: options.ttlSecondsAfterFinished, ...(options.scanId ? { scanId: options.scanId } : {}) });
  if ((await bench.createJob(job)) === 'exists' && !options.adopt) return 'exists';
  for (;;) {
    const state = await bench.jobState(name);
    if (!state) throw new Error(`kube-bench Job ${KUBE_BENCH_NAMESPACE}/${name} is gone before it finished`);
    if (state.phase === 'succeeded') {
      const pod = await bench.jobPod(name);
      if (!pod?.node) throw new Error(`kube-bench Job ${name} succeeded but its pod is gone: nothing to read`);
      return { json: kubeBenchOutput(await bench.podLog(pod.name, COMPLIANCE_MAX_REPORT_BYTES)), node: pod.node };
    }
    if (state.phase === 'failed') {
      const pod = await bench.jobPod(name).catch(() => undefined);
      const log = pod ? await bench.podLog(pod.name, 4096).catch(() => '') : '';
      const tail = log.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
      throw new Error(`kube-bench Job ${name} failed: ${state.reason}${pod?.waiting ? `; container ${pod.waiting}` : ''}${tail ? `; ${tail}` : ''}`);
    }
    const now = clock.now();
    if (options.signal.aborted) throw new Error('the agent stopped while kube-bench ran');
    if (now >= options.until) {
      const pod = await bench.jobPod(name).catch(() => undefined);
      throw new Error(`kube-bench Job ${name} did not finish in time${pod?.waiting ? `: container ${pod.waiting}` : pod ? '' : ': no pod was scheduled (no control-plane node it could run on?)'}`);
    }
    await clock.sleep(Math.min(KUBE_BENCH_POLL_MS, options.until - now), options.signal);
  }
}

/** POST /agent/v1/compliance: kube-bench's JSON as it printed it, with the node and, for a command, the scan. */
export async function postComplianceReport(api: AgentApi, json: string, node: string, scanId?: string, signal?: AbortSignal): Promise<unknown> {
  const query = new URLSearchParams({ node, ...(scanId ? { scanId } : {}) });
  const res = await api.post(`/agent/v1/compliance?${query}`, json, signal ? { signal } : {});
  const text = await res.text().catch(() => '');
  if (!res.ok) {
    let detail = text.trim().slice(0, 500);
    try {
      const m = (JSON.parse(text) as { message?: unknown }).message;
      if (typeof m === 'string') detail = m;
    } catch {
      // not JSON
    }
    throw new Error(`posting the kube-bench report: HTTP ${res.status}${detail ? `: ${detail}` : ''}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * runCisScan: the agent that takes the command's Lease runs kube-bench (a Job named after the
 * scan: delivered again, it follows the one it made), posts the report with the scan id, deletes
 * the Job, and answers with the node kube-bench ran on.
 */
export async function runCisScan(deps: BenchDeps, args: Record<string, unknown>, context: CommandContext) {
  const { scanId } = parseAgentArgs('runCisScan', args);
  await claimCommand(deps.bench, 'runCisScan', scanId, deps.holder ?? hostname(), deps.clock, context);
  const until = context.deadline !== undefined ? context.deadline - DEADLINE_MARGIN_MS - 30_000 : deps.clock.now() + KUBE_BENCH_JOB_SECONDS * 1000;
  const name = scanJobName(scanId);
  context.progress?.(10, `running kube-bench (Job ${KUBE_BENCH_NAMESPACE}/${name})`);
  try {
    const run = await runKubeBench(deps, name, { until, signal: context.signal, adopt: true, ttlSecondsAfterFinished: KUBE_BENCH_TTL_SECONDS, scanId });
    if (run === 'exists') throw new Error(`kube-bench Job ${name} exists`);
    context.progress?.(80, `kube-bench ran on ${run.node}; posting its report`);
    await postComplianceReport(deps.api, run.json, run.node, scanId, context.signal);
    return { scanId, node: run.node };
  } finally {
    await deps.bench.deleteJob(name).catch(() => undefined);
  }
}

/**
 * The scheduled scans: each period (intervalHours, shifted per cluster) one Job named after the
 * period. Every agent tries to create it; the one that does runs it and posts the report (no scan
 * id), the others find it there (AlreadyExists) and leave it. The Job stays until its period ends
 * (its TTL), so an agent that restarts within the period finds it too.
 */
export class CisSchedule {
  private attempted?: number;
  private running?: Promise<void>;

  constructor(
    private readonly deps: BenchDeps & { readonly logger: Logger; readonly clusterId: string },
    readonly intervalHours: number,
  ) {}

  /** Starts this period's scan when no agent has yet (in the background); resolves at once. */
  tick(signal: AbortSignal): void {
    if (this.intervalHours <= 0 || this.running || signal.aborted) return;
    const period = cisPeriod(this.deps.clock.now(), this.intervalHours, this.deps.clusterId);
    if (this.attempted === period.number) return;
    this.attempted = period.number;
    this.running = this.scan(period, signal).finally(() => {
      this.running = undefined;
    });
  }

  /** The scan in flight, if any. */
  get pending(): Promise<void> | undefined {
    return this.running;
  }

  private async scan(period: { number: number; endsAt: number }, signal: AbortSignal) {
    const { logger, clock } = this.deps;
    const name = scheduledJobName(period.number);
    const ttl = Math.max(KUBE_BENCH_TTL_SECONDS, Math.ceil((period.endsAt - clock.now()) / 1000));
    try {
      const run = await runKubeBench(this.deps, name, { until: clock.now() + KUBE_BENCH_JOB_SECONDS * 1000 + 60_000, signal, adopt: false, ttlSecondsAfterFinished: ttl });
      if (run === 'exists') return logger.debug('scheduled CIS scan taken by another agent', { job: name });
      await postComplianceReport(this.deps.api, run.json, run.node, undefined, signal);
      logger.info('scheduled CIS scan posted', { job: name, node: run.node });
    } catch (err) {
      logger.warn('scheduled CIS scan failed', { job: name, error: errorMessage(err) });
    }
  }
}

/**
 * STRATA_CIS_INTERVAL_HOURS (hours between scheduled scans, 0 for none; default 168) and
 * STRATA_KUBE_BENCH_IMAGE (for clusters that pull from their own registry). Throws on a bad interval.
 */
export function cisOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): { cisIntervalHours: number; benchImage?: string } {
  const raw = env.STRATA_CIS_INTERVAL_HOURS?.trim();
  const hours = raw ? Number(raw) : DEFAULT_CIS_INTERVAL_HOURS;
  if (!Number.isFinite(hours) || hours < 0 || hours > 24 * 366) throw new Error(`STRATA_CIS_INTERVAL_HOURS must be a number of hours from 0 (no scheduled scans) to ${24 * 366}, got ${JSON.stringify(raw)}`);
  const image = env.STRATA_KUBE_BENCH_IMAGE?.trim();
  return { cisIntervalHours: hours, ...(image ? { benchImage: image } : {}) };
}
