import type { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { AGENT_PROTOCOL_VERSION, PACK_STATUSES, valuesDigest, type DesiredPack, type Heartbeat } from '../core/agent-protocol.js';
import { CommandDeclined, CommandFailure, commandHandlers, type CommandHandler } from './commands.js';
import { EtcdGateway, type EtcdMembers } from './etcd.js';
import { CisSchedule, DEFAULT_CIS_INTERVAL_HOURS, KubernetesBenchOperations, type BenchOperations } from './kube-bench.js';
import {
  KubernetesConfigMapOperations,
  KubernetesLogOperations,
  KubernetesNodeOperations,
  KubernetesSecretOperations,
  KubernetesSource,
  type ClusterSource,
  type ConfigMapOperations,
  type NodeOperations,
  type SecretOperations,
} from './kubernetes-source.js';
import { LogRing, type AgentApi, type LogOperations } from './logs.js';
import { KubernetesHostOperations, type HostOperations } from './node-patch.js';
import { errorMessage, KubernetesInstaller, packKey, type CommandRunner, type PackInstaller } from './packs.js';

/** The keys of /etc/strata/agent.env, which a control-plane node's bootstrap bundle holds (core/bootstrap.ts). */
export const ENV_KEYS = { apiUrl: 'STRATA_API_URL', clusterId: 'STRATA_CLUSTER_ID', token: 'STRATA_AGENT_TOKEN' } as const;

export const AGENT_VERSION: string = pkg.version;
export const DEFAULT_HEARTBEAT_INTERVAL_S = 30;
/** Backoff of the loop when the Strata API or the Kubernetes API cannot be reached. */
export const LOOP_BACKOFF = { baseMs: 1_000, capMs: 5 * 60_000 } as const;
/** Backoff before a failed pack is tried again. */
export const PACK_BACKOFF = { baseMs: 10_000, capMs: 5 * 60_000 } as const;

export interface AgentConfig {
  readonly apiUrl: string;
  readonly clusterId: string;
  readonly token: string;
}

/** Reads the agent's settings from the environment; throws naming every missing key. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const missing = Object.values(ENV_KEYS).filter((k) => !env[k]?.trim());
  if (missing.length > 0) throw new Error(`missing environment: ${missing.join(', ')} (see /etc/strata/agent.env)`);
  const apiUrl = env[ENV_KEYS.apiUrl]!.trim().replace(/\/+$/, '');
  if (!/^https?:\/\//.test(apiUrl)) throw new Error(`${ENV_KEYS.apiUrl} must be an http(s) URL, got ${JSON.stringify(apiUrl)}`);
  return { apiUrl, clusterId: env[ENV_KEYS.clusterId]!.trim(), token: env[ENV_KEYS.token]!.trim() };
}

/** Time, injectable: tests replace sleeping with recording. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    }),
};

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/** The agent's recent log lines, every level (debug too), for the platform logs of a log bundle. */
export const agentLog = new LogRing();

/** One JSON object a line (journald and kubectl logs both keep it whole), each also kept in `ring`. */
export function jsonLoggerWith(ring?: LogRing): Logger {
  return Object.fromEntries(
    (['debug', 'info', 'warn', 'error'] as const).map((level) => [
      level,
      (message: string, data?: Record<string, unknown>) => {
        const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...data });
        ring?.push(line);
        if (level === 'debug' && !process.env.STRATA_AGENT_DEBUG) return;
        (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
      },
    ]),
  ) as unknown as Logger;
}

export const jsonLogger: Logger = jsonLoggerWith(agentLog);

export const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Capped exponential backoff with jitter: attempt n waits between half and all of
 * min(cap, base·2^(n-1)) ("equal jitter": never zero, so a failing API is not hammered, and
 * agents that failed together spread out).
 */
export function backoffDelay(attempt: number, random: () => number = Math.random, baseMs: number = LOOP_BACKOFF.baseMs, capMs: number = LOOP_BACKOFF.capMs): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(exp / 2 + (exp / 2) * r);
}

/** An answer of the Strata API other than 2xx. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    let detail = body.trim();
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed?.message === 'string') detail = parsed.message;
    } catch {
      // not JSON
    }
    super(`HTTP ${status}${detail ? `: ${detail.slice(0, 500)}` : ''}`);
    this.name = 'HttpError';
  }
}

/** The heartbeat answer, checked (leniently: a newer control plane may add fields). */
const HeartbeatAnswer = z.looseObject({
  desiredGeneration: z.int().min(0),
  /** After a rotation: the token to use from now on. */
  agentToken: z.string().regex(/^sat\.[\w.-]{1,200}$/).optional(),
  packs: z
    .array(
      z.looseObject({
        name: z.string().min(1),
        layer: z.string().default(''),
        version: z.string().min(1),
        values: z.string().default(''),
        content: z.unknown().optional(),
      }),
    )
    .default([]),
  commands: z.array(z.looseObject({ id: z.string().min(1).max(100), kind: z.string(), args: z.record(z.string(), z.unknown()).default({}), deadline: z.string() })).default([]),
  heartbeatIntervalSeconds: z.number().positive().optional(),
});
type HeartbeatAnswer = z.infer<typeof HeartbeatAnswer>;

type PackStatus = (typeof PACK_STATUSES)[number];

interface PackState {
  /** packKey of the desired pack this state is about. */
  readonly key: string;
  readonly version: string;
  readonly status: PackStatus;
  readonly message?: string;
  readonly failures: number;
  /** Clock time before which a Failed pack is not tried again. */
  readonly retryAt: number;
}

export interface AgentDeps {
  readonly source: ClusterSource;
  readonly installer: PackInstaller;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default systemClock */
  readonly clock?: Clock;
  /** For backoff jitter. @default Math.random */
  readonly random?: () => number;
  /** @default jsonLogger */
  readonly logger?: Logger;
  /**
   * Keeps a rotated token where the agent's settings live, so a restart uses it.
   * @default nothing: the new token lives in memory only
   */
  readonly saveToken?: (token: string) => Promise<void>;
  /** @default the version in package.json */
  readonly agentVersion?: string;
  /** What the agent does per command kind. @default commandHandlers (agent/commands.ts) */
  readonly commands?: Record<string, CommandHandler>;
  /** What cordon and drain change, for the default handlers. @default none: they fail saying so */
  readonly nodes?: NodeOperations;
  /** Where createBootstrapToken makes its Secret, for the default handlers. @default none: it fails saying so */
  readonly secrets?: SecretOperations;
  /** The node's etcd, for removeEtcdMember. @default none: it fails saying so */
  readonly etcd?: EtcdMembers;
  /** Where setKubeadmVersion changes kubeadm's ClusterConfiguration, for the default handlers. @default none: it fails saying so */
  readonly configMaps?: ConfigMapOperations;
  /** Where patchNodes takes its lease and runs its Jobs on the nodes' hosts, for the default handlers. @default none: it fails saying so */
  readonly host?: HostOperations;
  /** Timeout of one heartbeat request. @default 30 s */
  readonly requestTimeoutMs?: number;
  /** Pod and node logs, for collectLogs. @default none: it fails saying so */
  readonly logs?: LogOperations;
  /** kube-bench Jobs, for runCisScan and the scheduled scans. @default none: it fails saying so, and nothing is scheduled */
  readonly bench?: BenchOperations;
  /** The kube-bench image. @default KUBE_BENCH_IMAGE */
  readonly benchImage?: string;
  /** Hours between scheduled CIS scans; 0 for none. @default DEFAULT_CIS_INTERVAL_HOURS (when bench is given) */
  readonly cisIntervalHours?: number;
  /** The agent's own recent log lines, for the platform logs. @default those jsonLogger wrote (agentLog) */
  readonly ownLog?: () => readonly string[];
  /** This agent, in the Leases one agent takes to run a command. @default os.hostname() */
  readonly holder?: string;
}

/**
 * The management agent's loop: read the cluster, report it to the Strata API, and converge the
 * cluster to the desired packs the answer names — forever, one error never ending it.
 *
 * - Period: the answer's `heartbeatIntervalSeconds` (default 30 s); right after a pack install
 *   finishes it reports at once.
 * - Failures (Strata API down, 5xx, refused token, Kubernetes API unreachable): capped
 *   exponential backoff with jitter, 1 s → 5 min, reset by the next success.
 * - Packs are installed in the background, in the order given, one at a time, so heartbeats go
 *   on during a long helm install. Each is Pending → Installing → Installed | Failed (with the
 *   error); a failed one is tried again after its own backoff. When every pack of the desired
 *   generation is Installed, that generation is the observed one.
 */
export class Agent {
  private readonly fetch: typeof fetch;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly agentVersion: string;
  private readonly commands: Record<string, CommandHandler>;
  private readonly requestTimeoutMs: number;
  private readonly cis?: CisSchedule;

  private readonly stopping = new AbortController();
  private running?: Promise<void>;
  private wakeUp?: AbortController;
  private wakePending = false;
  private failing = false;

  private desired?: { readonly generation: number; readonly packs: readonly DesiredPack[] };
  private readonly packs = new Map<string, PackState>();
  private observed = 0;
  private reconciling?: Promise<void>;

  constructor(
    private config: AgentConfig,
    private readonly deps: AgentDeps,
  ) {
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.logger = deps.logger ?? jsonLogger;
    this.agentVersion = deps.agentVersion ?? AGENT_VERSION;
    this.requestTimeoutMs = deps.requestTimeoutMs ?? 30_000;
    this.commands =
      deps.commands ??
      commandHandlers(this.agentVersion, {
        nodes: deps.nodes,
        secrets: deps.secrets,
        etcd: deps.etcd,
        configMaps: deps.configMaps,
        host: deps.host,
        clock: this.clock,
        api: this.api,
        clusterId: config.clusterId,
        logs: deps.logs,
        bench: deps.bench,
        ownLog: deps.ownLog ?? (() => agentLog.lines()),
        ...(deps.benchImage ? { benchImage: deps.benchImage } : {}),
        ...(deps.holder ? { holder: deps.holder } : {}),
      });
    if (deps.bench) {
      this.cis = new CisSchedule(
        { bench: deps.bench, api: this.api, clock: this.clock, logger: this.logger, clusterId: config.clusterId, ...(deps.benchImage ? { image: deps.benchImage } : {}), ...(deps.holder ? { holder: deps.holder } : {}) },
        deps.cisIntervalHours ?? DEFAULT_CIS_INTERVAL_HOURS,
      );
    }
  }

  /** The Strata agent API with the current token (it may rotate), for what commands send besides their outcome. */
  private readonly api: AgentApi = {
    post: async (path, json, options) =>
      this.fetch(`${this.config.apiUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.config.token}`, 'content-type': 'application/json', 'user-agent': `strata-agent/${this.agentVersion}` },
        body: json,
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(Math.max(this.requestTimeoutMs, 60_000)), ...(options?.signal ? [options.signal] : [])]),
      }),
  };

  /** The generation whose packs are all installed. */
  get observedGeneration(): number {
    return this.observed;
  }

  /** Runs until {@link stop}; resolves once stopped (and any pack install in flight has settled). */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Stops the loop: a sleep ends at once, a request in flight is aborted, no new install starts. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    await this.reconciling;
    await this.cis?.pending;
  }

  private async loop(): Promise<void> {
    const signal = this.stopping.signal;
    this.logger.info('agent started', { clusterId: this.config.clusterId, apiUrl: this.config.apiUrl, agentVersion: this.agentVersion });
    let failures = 0;
    while (!signal.aborted) {
      let delay: number;
      try {
        const answer = await this.beat();
        if (failures > 0) this.logger.info('heartbeat recovered', { afterFailures: failures });
        failures = 0;
        this.failing = false;
        delay = 1000 * Math.min(3600, Math.max(1, answer.heartbeatIntervalSeconds ?? DEFAULT_HEARTBEAT_INTERVAL_S));
        this.accept(answer);
        this.cis?.tick(signal);
      } catch (err) {
        if (signal.aborted) break;
        failures += 1;
        this.failing = true;
        delay = backoffDelay(failures, this.random);
        this.logger.warn('heartbeat failed', { error: errorMessage(err), attempt: failures, retryInMs: delay });
      }
      await this.sleep(delay);
    }
    this.logger.info('agent stopped', { clusterId: this.config.clusterId });
  }

  /** Sleeps; a finished install wakes it early (not during backoff), stop always does. */
  private async sleep(ms: number) {
    if (this.wakePending && !this.failing) {
      this.wakePending = false;
      return;
    }
    const wake = new AbortController();
    this.wakeUp = wake;
    try {
      await this.clock.sleep(ms, this.failing ? this.stopping.signal : AbortSignal.any([this.stopping.signal, wake.signal]));
    } finally {
      this.wakeUp = undefined;
    }
  }

  private wake() {
    if (this.wakeUp) this.wakeUp.abort();
    else this.wakePending = true;
  }

  /** One heartbeat: read the cluster, POST the report, return the checked answer. */
  private async beat(): Promise<HeartbeatAnswer> {
    let cluster: Awaited<ReturnType<ClusterSource['collect']>>;
    try {
      cluster = await this.deps.source.collect();
    } catch (err) {
      throw new Error(`reading the Kubernetes API: ${errorMessage(err)}`, { cause: err });
    }
    this.updateObserved();
    const body: Heartbeat = {
      protocolVersion: AGENT_PROTOCOL_VERSION,
      agentVersion: this.agentVersion,
      clusterId: this.config.clusterId,
      observedGeneration: this.observed,
      ...(cluster.caCertHash ? { caCertHash: cluster.caCertHash } : {}),
      nodes: cluster.nodes,
      services: cluster.services,
      packs: this.reportPacks(),
    };
    const res = await this.fetch(`${this.config.apiUrl}/agent/v1/heartbeat`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.config.token}`,
        'content-type': 'application/json',
        'user-agent': `strata-agent/${this.agentVersion}`,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.requestTimeoutMs)]),
    });
    if (!res.ok) throw new HttpError(res.status, await res.text().catch(() => ''));
    const parsed = HeartbeatAnswer.safeParse(await res.json());
    if (!parsed.success) throw new Error(`unexpected heartbeat answer: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data;
  }

  /** The status of every desired pack; one the agent has not started on yet is Pending. */
  private reportPacks(): Heartbeat['packs'] {
    return (this.desired?.packs ?? []).map((p) => {
      const s = this.packs.get(p.name);
      const current = s && s.key === packKey(p) ? s : undefined;
      return {
        name: p.name,
        version: p.version,
        status: current?.status ?? 'Pending',
        ...(current?.message ? { message: current.message.slice(0, 2000) } : {}),
        ...(current ? { valuesDigest: valuesDigest(p.values) } : {}),
      };
    });
  }

  private updateObserved() {
    const d = this.desired;
    if (!d) return;
    const done = d.packs.every((p) => {
      const s = this.packs.get(p.name);
      return s?.status === 'Installed' && s.key === packKey(p);
    });
    if (done && d.generation !== this.observed) {
      this.observed = d.generation;
      this.logger.info('generation installed', { generation: d.generation, packs: d.packs.length });
    }
  }

  /** Command ids run (or running): delivery is at least once, so each runs once. */
  private readonly commandsSeen = new Set<string>();

  /** Run a command by its kind, once, and report its outcome (a failure with its message). */
  private runCommand(command: { id: string; kind: string; args: Record<string, unknown>; deadline: string }) {
    if (this.commandsSeen.has(command.id)) return;
    if (this.commandsSeen.size > 10_000) this.commandsSeen.clear();
    this.commandsSeen.add(command.id);
    const handler = this.commands[command.kind as keyof typeof this.commands];
    // Progress reports go one after another, and all before the outcome, so none lands after it.
    let reports: Promise<unknown> = Promise.resolve();
    const progress = (percent: number, message: string, result?: unknown) => {
      const report = { status: 'Running' as const, progress: Math.max(0, Math.min(100, Math.round(percent))), message: message.slice(0, 2000), ...(result !== undefined ? { result } : {}) };
      reports = reports
        .then(() => this.reportCommand(command.id, report))
        .catch((err: unknown) => this.logger.debug('command progress not reported', { id: command.id, error: errorMessage(err) }));
    };
    const deadline = Date.parse(command.deadline);
    const run = handler
      ? handler(command.args, { commandId: command.id, signal: this.stopping.signal, ...(Number.isFinite(deadline) ? { deadline } : {}), progress })
      : Promise.reject(new Error(`this agent does not know command kind ${command.kind}`));
    void run
      .then(
        async (result) => {
          await reports;
          await this.reportCommand(command.id, { status: 'Succeeded', result });
        },
        async (err: unknown) => {
          await reports;
          // Left to the cluster's other agents: no outcome from this one (it stays seen, so it is not run again).
          if (err instanceof CommandDeclined) return this.logger.info('command declined', { id: command.id, kind: command.kind, reason: err.message });
          const result = err instanceof CommandFailure ? { result: err.result } : {};
          await this.reportCommand(command.id, { status: 'Failed', message: errorMessage(err).slice(0, 2000), ...result });
        },
      )
      .catch((err: unknown) => {
        this.commandsSeen.delete(command.id); // not reported: run it again when it is delivered again
        this.logger.warn('command outcome not reported', { id: command.id, error: errorMessage(err) });
      });
  }

  private async reportCommand(id: string, report: { status: 'Running' | 'Succeeded' | 'Failed'; progress?: number; result?: unknown; message?: string }) {
    const res = await this.fetch(`${this.config.apiUrl}/agent/v1/commands/${encodeURIComponent(id)}/result`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.config.token}`, 'content-type': 'application/json', 'user-agent': `strata-agent/${this.agentVersion}` },
      body: JSON.stringify(report),
      signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.requestTimeoutMs)]),
    });
    // 409 and 410: already final, or expired: nothing more to say about it.
    if (!res.ok && res.status !== 409 && res.status !== 410) throw new HttpError(res.status, await res.text().catch(() => ''));
    if (report.status !== 'Running') this.logger.info('command done', { id, status: report.status });
  }

  /** Takes the answer's desired state and starts installing what is not installed yet. */
  private accept(answer: HeartbeatAnswer) {
    if (answer.agentToken && answer.agentToken !== this.config.token) {
      // Rotated: the old token stops working as soon as the new one has been used.
      this.config = { ...this.config, token: answer.agentToken };
      this.logger.info('agent token rotated');
      this.deps.saveToken?.(answer.agentToken).catch((err: unknown) => this.logger.warn('could not keep the rotated token', { error: errorMessage(err) }));
    }
    if (answer.desiredGeneration !== this.desired?.generation) {
      this.logger.info('desired generation', { generation: answer.desiredGeneration, packs: answer.packs.map((p) => `${p.name}@${p.version}`) });
    }
    this.desired = { generation: answer.desiredGeneration, packs: answer.packs };
    for (const name of [...this.packs.keys()]) if (!answer.packs.some((p) => p.name === name)) this.packs.delete(name);
    for (const command of answer.commands) this.runCommand(command);
    const observed = this.observed;
    this.updateObserved();
    if (this.observed !== observed) this.wake(); // nothing to install for it: say so now, not a period later
    if (!this.reconciling && this.nextPack()) {
      this.reconciling = this.reconcile().finally(() => {
        this.reconciling = undefined;
        this.wake();
      });
    }
  }

  /** The first desired pack that needs work: never tried, changed, or failed and due again. */
  private nextPack(): DesiredPack | undefined {
    const now = this.clock.now();
    return this.desired?.packs.find((p) => {
      const s = this.packs.get(p.name);
      if (!s || s.key !== packKey(p)) return true;
      return s.status === 'Failed' && now >= s.retryAt;
    });
  }

  private async reconcile() {
    const signal = this.stopping.signal;
    for (let pack = this.nextPack(); pack && !signal.aborted; pack = this.nextPack()) {
      const key = packKey(pack);
      const before = this.packs.get(pack.name);
      const failures = before?.key === key ? before.failures : 0;
      this.packs.set(pack.name, { key, version: pack.version, status: 'Installing', failures, retryAt: 0 });
      this.logger.info('installing pack', { pack: pack.name, version: pack.version, layer: pack.layer });
      try {
        await this.deps.installer.install(pack, signal);
        this.packs.set(pack.name, { key, version: pack.version, status: 'Installed', failures: 0, retryAt: 0 });
        this.logger.info('pack installed', { pack: pack.name, version: pack.version });
      } catch (err) {
        const message = errorMessage(err);
        const delay = backoffDelay(failures + 1, this.random, PACK_BACKOFF.baseMs, PACK_BACKOFF.capMs);
        this.packs.set(pack.name, { key, version: pack.version, status: 'Failed', message, failures: failures + 1, retryAt: this.clock.now() + delay });
        this.logger.warn('pack failed', { pack: pack.name, version: pack.version, error: message, retryInMs: delay });
      }
    }
  }
}

export interface CreateAgentOptions extends Omit<AgentDeps, 'source' | 'installer'> {
  readonly kubeConfig: KubeConfig;
  /** Runs `helm`. @default spawnRunner */
  readonly run?: CommandRunner;
  readonly source?: ClusterSource;
  readonly installer?: PackInstaller;
}

/** An Agent reading and changing the cluster the KubeConfig points at. */
export function createAgent(config: AgentConfig, options: CreateAgentOptions): Agent {
  const { kubeConfig, run, source, installer, ...deps } = options;
  const logger = deps.logger ?? jsonLogger;
  const host = deps.host ?? new KubernetesHostOperations(kubeConfig, { clock: deps.clock ?? systemClock });
  return new Agent(config, {
    ...deps,
    logger,
    nodes: deps.nodes ?? new KubernetesNodeOperations(kubeConfig),
    secrets: deps.secrets ?? new KubernetesSecretOperations(kubeConfig),
    configMaps: deps.configMaps ?? new KubernetesConfigMapOperations(kubeConfig),
    host,
    logs: deps.logs ?? new KubernetesLogOperations(kubeConfig),
    bench: deps.bench ?? new KubernetesBenchOperations(kubeConfig, host),
    etcd: deps.etcd ?? new EtcdGateway(),
    source: source ?? new KubernetesSource(kubeConfig, { onMetricsError: (err) => logger.debug('node metrics unavailable', { error: errorMessage(err) }) }),
    installer: installer ?? new KubernetesInstaller(kubeConfig, run ? { run } : {}),
  });
}
