import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import type { AppliedUpdate, Cluster, ClusterUpdates, ClusterWithStatus, RevisionHistoryEntry, UpdatePreview } from '../api-types.js';
import { palette, type Palette } from '../colour.js';
import { confirm } from '../confirm.js';
import { clusterVerb, namedCluster } from '../context.js';
import { ApiError, Failure, UsageError } from '../errors.js';
import { outputOption, print, say, serialize, type Format } from '../output.js';
import { formatDuration, parseCount, parseDuration, sleep } from '../time.js';
import { conflictsOf, historyTable, parseResolve, previewOfUpdate, resolveHints, shellWord, updatesText, type Resolution } from '../update-view.js';

const POLL_MS = 1000;
const clusterPath = (id: string) => `/v1/clusters/${encodeURIComponent(id)}`;

export function readUpdates(api: ApiClient, id: string, toRevision?: number): Promise<ClusterUpdates> {
  return api.get<ClusterUpdates>(`${clusterPath(id)}/updates`, { toRevision });
}

interface MoveOptions {
  readonly to?: number;
  readonly resolve?: Record<string, Resolution>;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly wait?: boolean;
  readonly timeout: number;
  readonly output: Format;
}

/** The 409 of unresolved conflicts, with the flags that settle each (the API names them resolutions.<key>). */
function unresolvedFailure(err: ApiError, u: ClusterUpdates, command: string): Failure {
  const keys = err.details.map((d) => d.path.replace(/^(body\.)?resolutions\./, ''));
  const conflicts = conflictsOf(u).filter((v) => keys.includes(v.key));
  if (!conflicts.length) return err;
  process.stderr.write(resolveHints(conflicts, command));
  return new Failure(err.message, err.details);
}

/** Until the reconcile of `generation` is done: the cluster Running with it observed; Failed ends it. */
async function waitForReconcile(api: ApiClient, cluster: Cluster, generation: number, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  let last = '';
  for (;;) {
    const c = await api.get<ClusterWithStatus>(clusterPath(cluster.id));
    const observed = c.status?.observedGeneration ?? 0;
    if (c.phase === 'Running' && observed >= generation) return void process.stdout.write(`cluster/${cluster.name} runs generation ${generation}\n`);
    if (c.phase === 'Failed') throw new Failure(`cluster ${cluster.name} Failed while reconciling generation ${generation}: ${c.ready.reason}${c.ready.message ? `: ${c.ready.message}` : ''}; strata describe cluster ${cluster.name} says why`);
    const state = `${c.phase}; generation ${observed}/${generation}; Ready ${c.ready.status} (${c.ready.reason})`;
    if (state !== last) process.stderr.write(`cluster/${cluster.name}: ${state}\n`);
    last = state;
    if (Date.now() >= deadline) throw new Failure(`timed out after ${formatDuration(timeout)} waiting for cluster ${cluster.name} to reconcile generation ${generation}; it is ${state}`);
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
}

/**
 * Move a cluster to a revision of its profile, forward (update) or back (rollback): the changes
 * read first, unresolved conflicts refused here with the flags that settle them, then the API's
 * dry run shown and confirmed, and the same body sent with the version that was read.
 */
async function moveCluster(self: Command, name: string, opts: MoveOptions, verb: 'apply-update' | 'rollback'): Promise<void> {
  const { resolver, cluster } = await namedCluster(self, name);
  const api = resolver.api;
  const p = palette();
  const u = await readUpdates(api, cluster.id, opts.to);
  if (verb === 'rollback' && u.toRevision >= u.currentRevision) throw new UsageError(`cluster ${cluster.name} runs revision ${u.currentRevision}: a rollback goes to an earlier one (--to 1…${u.currentRevision - 1})`);
  if (u.toRevision === u.currentRevision) return say(opts.output, `cluster/${cluster.name} unchanged: it runs revision ${u.currentRevision} already${u.toRevision === u.latestRevision ? ', the latest' : ''}`);

  const resolutions = opts.resolve ?? {};
  const command = `strata ${verb} cluster ${shellWord(cluster.name)}${opts.to === undefined ? '' : ` --to ${u.toRevision}`}`;
  const unresolved = conflictsOf(u).filter((v) => !(v.key in resolutions));
  if (unresolved.length) {
    process.stderr.write(updatesText(u, cluster.name, p));
    process.stderr.write(resolveHints(unresolved, command));
    throw new Failure(`cluster ${cluster.name}: ${unresolved.length} conflict(s) not resolved`, unresolved.map((v) => ({ path: `resolutions.${v.key}`, message: 'needs a resolution: keepCluster, takeProfile or value:<yaml>' })));
  }

  const path = `${clusterPath(cluster.id)}/updates/apply`;
  const body = { toRevision: u.toRevision, version: cluster.version, resolutions };
  const send = async <T>(dryRun: boolean): Promise<T> => {
    try {
      return await api.request<T>('POST', path, { query: dryRun ? { dryRun: 'true' } : {}, body });
    } catch (err) {
      throw err instanceof ApiError && err.status === 409 ? unresolvedFailure(err, u, command) : err;
    }
  };
  const preview = await send<UpdatePreview>(true);
  const machine = serialize(opts.output, preview);
  if (machine) process.stdout.write(machine);
  else {
    process.stdout.write(updatesText(u, cluster.name, p));
    process.stdout.write(`\n${previewOfUpdate(preview, cluster.name, p)}`);
  }
  if (opts.dryRun) return say(opts.output, 'Dry run: nothing was changed.');
  const action = verb === 'rollback' ? `roll cluster ${cluster.name} back to revision ${u.toRevision}` : `update cluster ${cluster.name} to revision ${u.toRevision}`;
  if (!(await confirm(action, opts))) return say(opts.output, 'Cancelled: nothing was changed.');
  const applied = await send<AppliedUpdate>(false);
  say(opts.output, `cluster/${cluster.name} ${verb === 'rollback' ? 'rolled back' : 'updated'}: revision ${applied.fromRevision} → ${applied.toRevision}, generation ${applied.cluster.generation}; follow it with strata plan cluster ${cluster.name}`);
  if (opts.wait) await waitForReconcile(api, cluster, applied.cluster.generation, opts.timeout);
}

const collectResolve = (text: string, previous: Record<string, Resolution> | undefined) => parseResolve(text, previous);

function moveOptions(cmd: Command): Command {
  return cmd
    .option('--resolve <key=resolution>', 'settle a conflict: <pack>/<path>=keepCluster | takeProfile | value:<yaml> (repeat for each)', collectResolve)
    .option('--dry-run', 'show the merged values and the plan, and change nothing')
    .option('-y, --yes', 'do not ask')
    .option('--wait', 'wait until the cluster has reconciled the new generation')
    .option('--timeout <duration>', 'with --wait: give up after this long (30s, 10m, 1h)', parseDuration, 10 * 60_000)
    .addOption(outputOption());
}

export function updatesCommand(): Command {
  const { verb, cluster } = clusterVerb('updates', "a cluster's pending profile update: each pack change, each value with the cluster's own, conflicts marked");
  cluster
    .option('--to <n>', 'compare with this revision (default: the latest)', parseCount('--to', 1))
    .addOption(outputOption())
    .action(async (name: string, opts: { to?: number; output: Format }, self: Command) => {
      const { resolver, cluster: found } = await namedCluster(self, name);
      const u = await readUpdates(resolver.api, found.id, opts.to);
      const p = palette();
      print(opts.output, u, () => {
        const text = updatesText(u, found.name, p);
        const conflicts = conflictsOf(u);
        const command = `strata apply-update cluster ${shellWord(found.name)}${opts.to === undefined ? '' : ` --to ${u.toRevision}`}`;
        return u.packs.length ? `${text}${conflicts.length ? resolveHints(conflicts, command) : `Apply it with ${command}\n`}` : text;
      });
    });
  return verb;
}

export function applyUpdateCommand(): Command {
  const { verb, cluster } = clusterVerb('apply-update', "move a cluster to the latest revision of its profile (or --to N), merging its overrides; conflicts need --resolve");
  moveOptions(cluster.option('--to <n>', 'the revision to move to (default: the latest)', parseCount('--to', 1))).action((name: string, opts: MoveOptions, self: Command) => moveCluster(self, name, opts, 'apply-update'));
  return verb;
}

export function rollbackCommand(): Command {
  const { verb, cluster } = clusterVerb('rollback', 'move a cluster back to an earlier revision of its profile, merging its overrides');
  moveOptions(cluster.requiredOption('--to <n>', 'the earlier revision', parseCount('--to', 1))).action((name: string, opts: MoveOptions, self: Command) => moveCluster(self, name, opts, 'rollback'));
  return verb;
}

export function historyCommand(): Command {
  const { verb, cluster } = clusterVerb('history', 'the profile revisions a cluster has run, newest first: who applied each and when');
  cluster.addOption(outputOption()).action(async (name: string, opts: { output: Format }, self: Command) => {
    const { resolver, cluster: found } = await namedCluster(self, name);
    const items = await resolver.api.listAll<RevisionHistoryEntry>(`${clusterPath(found.id)}/revisions`);
    const p: Palette = palette();
    print(opts.output, items, () => (items.length ? historyTable(items, found.profileRevision, p) : `Cluster ${found.name} has no history yet.\n`));
  });
  return verb;
}
