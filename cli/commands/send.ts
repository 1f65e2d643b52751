import { Argument, Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import type { AgentCommand, Cluster, NodeList, SendableKind } from '../api-types.js';
import { palette } from '../colour.js';
import { commandStatusColour, commandSummary, isFinal } from '../command-view.js';
import { confirm } from '../confirm.js';
import { namedCluster } from '../context.js';
import { Failure, UsageError } from '../errors.js';
import { outputOption, say, serialize, type Format } from '../output.js';
import { parseCount, sleep } from '../time.js';

/**
 * The kinds people may send, whether each names a node, and what is said before asking; the
 * platform's workflows send the rest. A kind the API lets people send fails the type check here.
 */
const SENDABLE = {
  ping: { node: false },
  cordon: { node: true, consequence: 'no new pod lands on it; those on it keep running' },
  drain: { node: true, consequence: 'it is cordoned, then its pods are evicted (PodDisruptionBudgets honoured; DaemonSet and mirror pods stay)' },
} as const satisfies Record<SendableKind, { node: boolean; consequence?: string }>;
type Sendable = keyof typeof SENDABLE;

/** Drain's own arguments. */
interface DrainOptions {
  readonly timeoutSeconds?: number;
  readonly ignoreDaemonSets: boolean;
  readonly deleteEmptyDirData: boolean;
}

interface SendOptions extends DrainOptions {
  readonly cluster: string;
  readonly node?: string;
  readonly deadlineSeconds?: number;
  readonly wait?: boolean;
  readonly yes?: boolean;
  readonly output: Format;
}

const POLL_MS = 1000;
/** When the cluster says nothing of its own: how long without a heartbeat counts as missing. */
const MISSING_AFTER_SECONDS = 90;

/** The command's arguments as the API takes them; what does not go with the kind is a wrong command line. */
function argsOf(kind: Sendable, opts: SendOptions): Record<string, unknown> {
  if (!SENDABLE[kind].node && opts.node !== undefined) throw new UsageError(`${kind} takes no --node`);
  if (SENDABLE[kind].node && opts.node === undefined) throw new UsageError(`${kind} needs the node: --node NAME (strata get nodes -c ${opts.cluster} lists them)`);
  const drainOnly = [opts.timeoutSeconds !== undefined && '--timeout-seconds', !opts.ignoreDaemonSets && '--no-ignore-daemon-sets', !opts.deleteEmptyDirData && '--no-delete-empty-dir-data'].filter(Boolean);
  if (kind !== 'drain' && drainOnly.length) throw new UsageError(`${drainOnly.join(' and ')} ${drainOnly.length > 1 ? 'go' : 'goes'} with drain only`);
  if (kind === 'ping') return {};
  if (kind === 'cordon') return { node: opts.node };
  // Only what was said: the API's defaults stand for the rest.
  return { node: opts.node, timeoutSeconds: opts.timeoutSeconds, ...(opts.ignoreDaemonSets ? {} : { ignoreDaemonSets: false }), ...(opts.deleteEmptyDirData ? {} : { deleteEmptyDirData: false }) };
}

/** A node the command names must be one of the cluster's: said here, not by the agent a heartbeat later. */
async function checkNode(api: ApiClient, cluster: Cluster, node: string): Promise<void> {
  const names = (await api.get<NodeList>(`/v1/clusters/${encodeURIComponent(cluster.id)}/nodes`)).items.map((n) => n.name);
  if (!names.includes(node)) throw new Failure(`cluster ${cluster.name} has no node "${node}"`, [{ path: 'node', message: names.length ? `its nodes: ${names.join(', ')}` : 'it has no nodes' }]);
}

/**
 * Poll the command until its status is final. The agent's heartbeat expires a command past its
 * deadline; an agent that has not reported for long after it never will, so the wait ends there.
 */
async function outcome(api: ApiClient, cluster: Cluster, sent: AgentCommand): Promise<AgentCommand> {
  const path = `/v1/clusters/${encodeURIComponent(cluster.id)}/commands/${encodeURIComponent(sent.id)}`;
  const missingAfter = cluster.healthChecks?.missingAfterSeconds ?? MISSING_AFTER_SECONDS;
  const giveUp = Date.parse(sent.deadline) + missingAfter * 1000;
  let command = sent;
  let last = '';
  for (;;) {
    if (isFinal(command.status)) return command;
    const state = `${command.status}${command.status === 'Running' ? ` ${commandSummary(command)}` : ''}`.trimEnd();
    if (state !== last) process.stderr.write(`command/${command.id}: ${state}\n`);
    last = state;
    if (Date.now() >= giveUp) {
      throw new Failure(`command ${command.id} is still ${command.status} ${missingAfter} s past its deadline ${command.deadline}: the agent of cluster ${cluster.name} has not reported since; it expires with the agent's next heartbeat`);
    }
    await sleep(POLL_MS);
    command = await api.get<AgentCommand>(path);
  }
}

export function sendCommand(): Command {
  const send = new Command('send').description("send a command to a cluster's agent (ping, cordon, drain)");
  send
    .command('command')
    .aliases(['commands', 'cmd'])
    .description("send a command to a cluster's agent: ping proves the channel, cordon and drain act on a node (after asking); --wait waits for the outcome")
    .addArgument(new Argument('<kind>', 'what the agent is to do').choices(Object.keys(SENDABLE)))
    .requiredOption('-c, --cluster <name>', 'the cluster: its name or id')
    .option('--node <name>', 'the node (cordon, drain)')
    .option('--timeout-seconds <n>', 'drain: how long to wait for its pods to go (default 300)', parseCount('--timeout-seconds', 1))
    .option('--no-ignore-daemon-sets', 'drain: refuse a node that runs DaemonSet pods (they would come straight back)')
    .option('--no-delete-empty-dir-data', 'drain: refuse to evict pods with emptyDir volumes, whose data goes with them')
    .option('--deadline-seconds <n>', "how long the agent has to finish it (default: the kind's own)", parseCount('--deadline-seconds', 5))
    .option('--wait', 'wait for the outcome; exit code 1 unless it succeeds')
    .option('-y, --yes', 'do not ask (cordon, drain)')
    .addOption(outputOption())
    .action(async (kind: Sendable, opts: SendOptions, self: Command) => {
      const args = argsOf(kind, opts);
      const { resolver, cluster } = await namedCluster(self, opts.cluster);
      const { api } = resolver;
      const spec: { node: boolean; consequence?: string } = SENDABLE[kind];
      if (opts.node !== undefined) await checkNode(api, cluster, opts.node);
      if (spec.consequence) {
        const label = `${kind} node ${opts.node} of cluster ${cluster.name}`;
        if (!opts.yes) process.stderr.write(`About to ${label}: ${spec.consequence}.\n`);
        if (!(await confirm(label, opts))) {
          say(opts.output, 'Cancelled: nothing was sent.');
          return;
        }
      }
      const sent = await api.request<AgentCommand>('POST', `/v1/clusters/${encodeURIComponent(cluster.id)}/commands`, { body: { kind, args, deadlineSeconds: opts.deadlineSeconds } });
      if (!opts.wait) {
        process.stdout.write(serialize(opts.output, sent) ?? `command/${sent.id} sent: the agent gets it with its next heartbeat; strata get command ${sent.id} -c ${cluster.name} shows how it goes\n`);
        return;
      }
      const done = await outcome(api, cluster, sent);
      const p = palette();
      const machine = serialize(opts.output, done);
      if (machine) process.stdout.write(machine);
      if (done.status !== 'Succeeded') throw new Failure(`command ${done.id} (${done.kind}) ${done.status}: ${commandSummary(done, true)}`);
      if (!machine) process.stdout.write(`command/${done.id} ${commandStatusColour(p, done.status)(done.status)}: ${commandSummary(done, true)}\n`);
    });
  return send;
}
