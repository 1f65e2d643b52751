import { InvalidArgumentError, type Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import type { ClusterWithStatus, ConditionList } from '../api-types.js';
import { clusterVerb, resolverOf } from '../context.js';
import { ApiError, Failure } from '../errors.js';
import { clusters } from '../kinds/cluster.js';
import { formatDuration, parseDuration, sleep } from '../time.js';

const PHASES = ['Pending', 'Provisioning', 'Running', 'Deleting', 'Deleted', 'Failed'];
const POLL_MS = 1000;

/** What `--for` waits for: a phase, Ready or Healthy, or any condition with a status. */
type Target = { readonly phase: string } | { readonly condition: string; readonly status: string };

export function parseTarget(text: string): Target {
  const phase = PHASES.find((p) => p.toLowerCase() === text.toLowerCase()) ?? (text.toLowerCase() === 'delete' ? 'Deleted' : undefined);
  if (phase) return { phase };
  if (/^ready$/i.test(text)) return { condition: 'Ready', status: 'True' };
  if (/^healthy$/i.test(text)) return { condition: 'Healthy', status: 'True' };
  const m = /^condition=([\w/.-]+)(?:=(True|False|Unknown))?$/i.exec(text);
  if (m) return { condition: m[1]!, status: m[2] ? m[2][0]!.toUpperCase() + m[2].slice(1).toLowerCase() : 'True' };
  throw new InvalidArgumentError(`a phase (${PHASES.join(', ')}), Ready, Healthy, or condition=TYPE[=True|False|Unknown]`);
}

const describeTarget = (t: Target) => ('phase' in t ? t.phase : t.condition === 'Healthy' ? 'Healthy' : `${t.condition}=${t.status}`);

/** Where the cluster is now: met or not, and a line that says where it is. */
async function observe(api: ApiClient, id: string, target: Target): Promise<{ met: boolean; state: string }> {
  let cluster: ClusterWithStatus;
  try {
    cluster = await api.get<ClusterWithStatus>(`/v1/clusters/${encodeURIComponent(id)}`);
  } catch (err) {
    // Deleted clusters are kept for a while, then they are gone.
    if (err instanceof ApiError && err.status === 404 && 'phase' in target && target.phase === 'Deleted') return { met: true, state: 'Deleted' };
    throw err;
  }
  const state = `${cluster.phase}; Ready ${cluster.ready.status} (${cluster.ready.reason}${cluster.ready.message ? `: ${cluster.ready.message}` : ''}); ${cluster.health.health}`;
  if ('phase' in target) return { met: cluster.phase === target.phase, state };
  if (target.condition === 'Ready') return { met: cluster.ready.status === target.status, state };
  if (target.condition === 'Healthy') return { met: cluster.health.health === 'Healthy', state };
  const conditions = await api.get<ConditionList>(`/v1/clusters/${encodeURIComponent(id)}/conditions`);
  const c = conditions.items.find((x) => x.type === target.condition);
  return { met: c?.status === target.status, state: c ? `${c.type} ${c.status} (${c.reason}: ${c.message})` : `no condition ${target.condition} yet` };
}

export function waitCommand(): Command {
  const { verb, cluster } = clusterVerb('wait', 'wait until a cluster is in a phase (Running, Deleted, …), Ready, Healthy, or has a condition');
  cluster
    .requiredOption('--for <state>', 'Running, Deleted (or any phase), Ready, Healthy, condition=TYPE[=STATUS]', parseTarget)
    .option('--timeout <duration>', 'give up after this long (30s, 10m, 1h)', parseDuration, 10 * 60_000)
    .action(async (name: string, opts: { for: Target; timeout: number }, self: Command) => {
      const resolver = resolverOf(self);
      const target = opts.for;
      const deleting = 'phase' in target && target.phase === 'Deleted';
      // A deleted cluster is only listed when asked for by phase.
      const found = (await resolver.find(clusters, name)) ?? (deleting ? await resolver.find(clusters, name, { phase: 'Deleted' }) : undefined) ?? (await resolver.one(clusters, name));
      const deadline = Date.now() + opts.timeout;
      let last = '';
      for (;;) {
        const { met, state } = await observe(resolver.api, found.id, target);
        if (met) {
          process.stdout.write(`cluster/${found.name} is ${describeTarget(target)}\n`);
          return;
        }
        if (state !== last) process.stderr.write(`cluster/${found.name}: ${state}\n`);
        last = state;
        if (Date.now() >= deadline) throw new Failure(`timed out after ${formatDuration(opts.timeout)} waiting for cluster ${found.name} to be ${describeTarget(target)}; it is ${state}`);
        await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
      }
    });
  return verb;
}
