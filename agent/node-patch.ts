import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { BatchV1Api, CoordinationV1Api, CoreV1Api, V1MicroTime, type KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { parseAgentArgs } from '../core/agent-commands.js';
import { osPatchScript, parseOsPatchOutput } from '../core/os-patch-script.js';
import type { NodePatchResult } from '../core/os-patch.js';
import { patchPoolLoop } from '../core/patch-run.js';
import type { Clock } from './agent.js';
import { CommandDeclined, CommandFailure, DEADLINE_MARGIN_MS, drain, type CommandContext } from './commands.js';
import { statusOf, type NodeOperations } from './kubernetes-source.js';
import { errorMessage } from './packs.js';

/** Where the agent keeps a patch run's lease and runs its Jobs on the nodes' hosts. */
export const PATCH_NAMESPACE = 'kube-system';
/** The image of the Jobs that enter a node's host: nsenter is all it needs (util-linux). */
export const DEFAULT_HOST_IMAGE = 'ubuntu:24.04';
/** Longest a node's patch may run (the Job's activeDeadlineSeconds): apt on a node that missed months of updates. */
export const PATCH_JOB_TIMEOUT_SECONDS = 1800;
/** How often a Job and a rebooting node are looked at. */
export const HOST_JOB_POLL_MS = 5_000;
export const READY_POLL_MS = 5_000;
/** Lines of a Job's log read back: the result lines come last. */
const LOG_TAIL_LINES = 5000;
const CONTAINER = 'host';

/** The lease a patch run's pool is claimed with: one agent of the cluster runs it. */
export const patchLeaseName = (runId: string, pool: string) => `strata-patch-${runId}-${pool}`.slice(0, 253);

/** A node as the patch sees it: cordoned or not, Ready or not, and which boot this is. */
export interface NodeHostState {
  readonly unschedulable: boolean;
  readonly ready: boolean;
  /** status.nodeInfo.bootID: it changes when the node has rebooted. */
  readonly bootId?: string;
}

/** What a finished host Job came to: its exit code and its log. */
export interface HostJobOutcome {
  readonly exitCode: number;
  readonly log: string;
  /** Why it ended without an exit code (DeadlineExceeded, an image that cannot be pulled). */
  readonly reason?: string;
}

/** What patching needs besides cordon and drain; the real one is {@link KubernetesHostOperations}. */
export interface HostOperations {
  /**
   * Claims a lease for `holder`: true when it created it, or when `holder` holds it already (its
   * agent started again); false when another holds it (409).
   */
  claim(name: string, holder: string, durationSeconds: number): Promise<boolean>;
  nodeState(node: string): Promise<NodeHostState | undefined>;
  /** Runs `script` on the node's host and waits until it ends (or `timeoutMs`); the Job is deleted after. */
  run(node: string, job: string, script: string, options: { readonly signal: AbortSignal; readonly timeoutMs: number }): Promise<HostJobOutcome>;
  /** Starts `script` on the node's host without waiting for it (a reboot, which its pod does not outlive). */
  start(node: string, job: string, script: string): Promise<void>;
  /** Deletes a Job and its pod; one gone already is fine. */
  remove(job: string): Promise<void>;
}

export interface HostJobOptions {
  /** @default DEFAULT_HOST_IMAGE */
  readonly image?: string;
  /** @default PATCH_NAMESPACE */
  readonly namespace?: string;
  readonly clock?: Pick<Clock, 'now' | 'sleep'>;
}

/** STRATA_HOST_IMAGE: the image of the host Jobs, for clusters that pull from their own registry. */
export function hostJobOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): HostJobOptions {
  return env.STRATA_HOST_IMAGE?.trim() ? { image: env.STRATA_HOST_IMAGE.trim() } : {};
}

const JOB_LABEL = 'strata.io/host-job';

const SYSTEM_CLOCK: Pick<Clock, 'now' | 'sleep'> = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
};

/**
 * Host commands through Kubernetes: a Job per command, pinned to the node (nodeName: no scheduler,
 * so neither the cordon nor any taint keeps it off), in the host's PID namespace, whose privileged
 * container enters PID 1's namespaces with nsenter and runs the script there as on the node itself.
 */
export class KubernetesHostOperations implements HostOperations {
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly image: string;
  private readonly namespace: string;
  private readonly clock: Pick<Clock, 'now' | 'sleep'>;

  constructor(kc: KubeConfig, options: HostJobOptions = {}) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.image = options.image ?? DEFAULT_HOST_IMAGE;
    this.namespace = options.namespace ?? PATCH_NAMESPACE;
    this.clock = options.clock ?? SYSTEM_CLOCK;
  }

  async claim(name: string, holder: string, durationSeconds: number): Promise<boolean> {
    const now = new V1MicroTime(this.clock.now());
    try {
      await this.coordination.createNamespacedLease({
        namespace: this.namespace,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace: this.namespace, labels: { 'app.kubernetes.io/managed-by': 'strata' } },
          spec: { holderIdentity: holder, acquireTime: now, renewTime: now, leaseDurationSeconds: durationSeconds },
        },
      });
      return true;
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
    }
    const lease = await this.coordination.readNamespacedLease({ name, namespace: this.namespace });
    return lease.spec?.holderIdentity === holder;
  }

  async nodeState(node: string): Promise<NodeHostState | undefined> {
    try {
      const n = await this.core.readNode({ name: node });
      const ready = (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      const bootId = n.status?.nodeInfo?.bootID;
      return { unschedulable: n.spec?.unschedulable === true, ready, ...(bootId ? { bootId } : {}) };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private job(node: string, name: string, script: string, activeDeadlineSeconds: number): V1Job {
    const labels = { 'app.kubernetes.io/managed-by': 'strata', [JOB_LABEL]: name };
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: this.namespace, labels },
      spec: {
        // Never again on its own: a patch or a reboot run twice is not what was asked.
        backoffLimit: 0,
        activeDeadlineSeconds,
        ttlSecondsAfterFinished: 3600,
        template: {
          metadata: { labels },
          spec: {
            nodeName: node,
            hostPID: true,
            restartPolicy: 'Never',
            // Whatever the node's taints (its cordon, NotReady, the control plane's).
            tolerations: [{ operator: 'Exists' }],
            priorityClassName: 'system-node-critical',
            automountServiceAccountToken: false,
            containers: [
              {
                name: CONTAINER,
                image: this.image,
                command: ['nsenter', '-t', '1', '-m', '-u', '-i', '-n', '--', 'sh', '-c', script],
                securityContext: { privileged: true },
              },
            ],
          },
        },
      },
    };
  }

  async run(node: string, job: string, script: string, options: { signal: AbortSignal; timeoutMs: number }): Promise<HostJobOutcome> {
    await this.batch.createNamespacedJob({ namespace: this.namespace, body: this.job(node, job, script, Math.max(1, Math.ceil(options.timeoutMs / 1000))) });
    try {
      // A minute beyond the Job's own deadline, for the Job controller to say so.
      const end = this.clock.now() + options.timeoutMs + 60_000;
      for (;;) {
        const pod = (await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `${JOB_LABEL}=${job}` })).items[0];
        const ended = pod && this.ended(pod);
        if (pod && ended) return { exitCode: ended.exitCode, log: await this.log(pod), ...(ended.reason ? { reason: ended.reason } : {}) };
        const failed = (await this.batch.readNamespacedJob({ name: job, namespace: this.namespace })).status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
        if (failed) {
          const waiting = pod?.status?.containerStatuses?.[0]?.state?.waiting;
          const why = [failed.reason, failed.message, waiting ? `container ${waiting.reason ?? 'waiting'}${waiting.message ? `: ${waiting.message}` : ''}` : undefined].filter(Boolean).join(': ');
          return { exitCode: -1, log: pod ? await this.log(pod) : '', reason: why || 'the Job failed' };
        }
        if (options.signal.aborted) return { exitCode: -1, log: '', reason: 'the agent stopped' };
        if (this.clock.now() >= end) return { exitCode: -1, log: pod ? await this.log(pod) : '', reason: `no outcome after ${Math.round(options.timeoutMs / 1000)} s` };
        await this.clock.sleep(HOST_JOB_POLL_MS, options.signal);
      }
    } finally {
      await this.remove(job).catch(() => undefined);
    }
  }

  /** The container's exit code once it has ended. */
  private ended(pod: V1Pod): { exitCode: number; reason?: string } | undefined {
    const terminated = pod.status?.containerStatuses?.find((c) => c.name === CONTAINER)?.state?.terminated;
    if (terminated) return { exitCode: terminated.exitCode, ...(terminated.exitCode !== 0 && terminated.reason ? { reason: terminated.reason } : {}) };
    if (pod.status?.phase === 'Succeeded') return { exitCode: 0 };
    return undefined;
  }

  private async log(pod: V1Pod): Promise<string> {
    try {
      return await this.core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: this.namespace, container: CONTAINER, tailLines: LOG_TAIL_LINES });
    } catch {
      return '';
    }
  }

  async start(node: string, job: string, script: string): Promise<void> {
    await this.batch.createNamespacedJob({ namespace: this.namespace, body: this.job(node, job, script, 600) });
  }

  async remove(job: string): Promise<void> {
    try {
      await this.batch.deleteNamespacedJob({ name: job, namespace: this.namespace, propagationPolicy: 'Background' });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
}

/** A reboot that lets the Job's own process end first; systemd takes the node down right after. */
export const REBOOT_SCRIPT = 'systemctl --no-block reboot';

/** A Job name (at most 63 characters: it becomes a label value) for a run's node, unique per attempt. */
const jobName = (kind: 'patch' | 'reboot', runId: string, node: string) =>
  `strata-${kind}-${createHash('sha256').update(`${runId}/${node}`).digest('hex').slice(0, 12)}-${randomBytes(3).toString('hex')}`;

/** The last lines of a log, for a failure's message. */
const tail = (log: string, lines = 5) =>
  log
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-lines)
    .join(' | ');

export interface PatchDeps {
  readonly nodes: NodeOperations;
  readonly host: HostOperations;
  readonly clock: Clock;
  /** Who this agent is, in the lease: its node's name. @default os.hostname() */
  readonly holder?: string;
}

/**
 * patchNodes (core/agent-commands.ts): one pool's nodes, in the order given, at most maxUnavailable
 * of them out at once. Each: cordon (startedAt), drain, the OS patch on its host, a reboot when the
 * patch asks for one and the run allows it, Ready again (after a reboot: on a new boot ID), uncordon
 * (finishedAt). One agent of the cluster runs it: the one that creates the run's Lease; the others
 * decline (no report). A node whose drain or patch fails is uncordoned and the others go on; a node
 * that does not come back Ready stays cordoned and no further node starts. Past stopAt no node
 * starts: the rest stay pending for the next window. Every change of a node's state is reported as
 * it happens, with the whole list.
 */
export async function patchNodes(deps: PatchDeps, args: Record<string, unknown>, context: CommandContext) {
  const a = parseAgentArgs('patchNodes', args);
  const { clock, nodes: ops, host } = deps;
  const lease = patchLeaseName(a.runId, a.pool);
  const deadline = context.deadline !== undefined ? context.deadline - DEADLINE_MARGIN_MS : Infinity;
  const leaseSeconds = Math.max(60, Math.ceil(((Number.isFinite(deadline) ? deadline : clock.now() + 12 * 3_600_000) - clock.now()) / 1000));
  if (!(await host.claim(lease, deps.holder ?? hostname(), leaseSeconds))) {
    throw new CommandDeclined(`another agent holds lease ${PATCH_NAMESPACE}/${lease}: it patches pool ${a.pool}`);
  }
  const stopAt = Math.min(Date.parse(a.stopAt), deadline);
  let results: readonly NodePatchResult[] = [];
  const iso = () => new Date(clock.now()).toISOString();
  const report = (message: string) => {
    const done = results.filter((r) => r.status !== 'pending' && r.status !== 'patching').length;
    context.progress?.((100 * done) / results.length, message, { nodes: structuredClone(results), stoppedAtWindowEnd: false });
  };

  /** Ready again, on another boot than `bootBefore` when given; false at the timeout. */
  const backReady = async (node: string, bootBefore: string | undefined) => {
    const end = clock.now() + a.readyTimeoutSeconds * 1000;
    for (;;) {
      // The API server may be down while a control-plane node reboots: not an answer, ask again.
      const s = await host.nodeState(node).catch(() => undefined);
      if (s?.ready && (bootBefore === undefined || (s.bootId !== undefined && s.bootId !== bootBefore))) return true;
      const now = clock.now();
      if (now >= end || context.signal.aborted) return false;
      await clock.sleep(Math.min(READY_POLL_MS, end - now), context.signal);
    }
  };

  const patchOne = async (r: NodePatchResult) => {
    const state = await host.nodeState(r.node).catch((err: unknown) => new Error(errorMessage(err)));
    if (!state || state instanceof Error) {
      Object.assign(r, { status: 'failed', startedAt: iso(), finishedAt: iso(), message: state ? `reading node ${r.node}: ${state.message}` : `node ${r.node} not found` });
      return report(`${r.node}: ${r.message}`);
    }
    // A node cordoned before the run stays cordoned after it: that was someone's decision.
    const cordonedBefore = state.unschedulable;
    if (!cordonedBefore) await ops.setUnschedulable(r.node, true);
    Object.assign(r, { status: 'patching', startedAt: iso() });
    report(`patching ${r.node}`);
    try {
      await drain(ops, clock, { node: r.node, timeoutSeconds: a.drainTimeoutSeconds }, { signal: context.signal, ...(context.deadline !== undefined ? { deadline: context.deadline } : {}) });
      const timeoutMs = Math.max(60_000, Math.min(PATCH_JOB_TIMEOUT_SECONDS * 1000, deadline - clock.now()));
      const out = await host.run(r.node, jobName('patch', a.runId, r.node), osPatchScript(), { signal: context.signal, timeoutMs });
      const parsed = out.exitCode === 0 ? parseOsPatchOutput(out.log) : undefined;
      if (!parsed) {
        const why = out.exitCode === 0 ? 'it printed no result' : out.reason && out.exitCode < 0 ? out.reason : `exit code ${out.exitCode}${out.reason ? ` (${out.reason})` : ''}`;
        throw new Error(`the OS patch on ${r.node} failed: ${why}${tail(out.log) ? `: ${tail(out.log)}` : ''}`);
      }
      Object.assign(r, { packages: parsed.packages, rebootRequired: parsed.rebootRequired });
      let rebootJob: string | undefined;
      if (parsed.rebootRequired && a.rebootIfRequired) {
        rebootJob = jobName('reboot', a.runId, r.node);
        await host.start(r.node, rebootJob, REBOOT_SCRIPT);
        r.rebooted = true;
      }
      const back = await backReady(r.node, rebootJob ? state.bootId : undefined);
      if (rebootJob) await host.remove(rebootJob).catch(() => undefined);
      if (!back) {
        Object.assign(r, { status: 'notReady', finishedAt: iso(), message: `${r.node} was not Ready${r.rebooted ? ' on a new boot' : ''} within ${a.readyTimeoutSeconds} s after its patch; it stays cordoned` });
        return report(r.message!);
      }
      if (!cordonedBefore) await ops.setUnschedulable(r.node, false);
      Object.assign(r, { status: 'patched', finishedAt: iso() });
      report(`patched ${r.node}: ${r.packages.length} package(s)${r.rebooted ? ', rebooted' : ''}`);
    } catch (err) {
      let message = errorMessage(err).slice(0, 1800);
      if (!cordonedBefore) await ops.setUnschedulable(r.node, false).catch((e: unknown) => (message += `; uncordoning failed: ${errorMessage(e)}`));
      Object.assign(r, { status: 'failed', finishedAt: iso(), message: message.slice(0, 2000) });
      report(`${r.node} failed: ${message}`);
    }
  };

  const { outcome, failure } = await patchPoolLoop(a.nodes, { pool: a.pool, maxUnavailable: a.maxUnavailable, stopAt, now: () => clock.now(), stopped: () => context.signal.aborted }, (r, all) => {
    results = all;
    return patchOne(r);
  });
  if (failure) throw new CommandFailure(failure, outcome);
  return outcome;
}
