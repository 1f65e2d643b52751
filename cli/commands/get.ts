import { Command, Option } from 'commander';
import type { AgentCommand, Cluster, NodeDetail, NodeList, ProfileRevision, ServiceList } from '../api-types.js';
import { palette, statusColour } from '../colour.js';
import { commandsTable, commandText } from '../command-view.js';
import { namedCluster, resolverOf } from '../context.js';
import { ApiError, Failure, UsageError } from '../errors.js';
import { KINDS } from '../kinds/index.js';
import type { Kind, ListOptions } from '../kinds/kind.js';
import { layersTable, profiles } from '../kinds/profile.js';
import { projects } from '../kinds/project.js';
import { nodeText } from '../node-view.js';
import { outputOption, serialize, type Format } from '../output.js';
import type { Resolver } from '../resolver.js';
import { renderTable } from '../table.js';
import { age, parseCount } from '../time.js';

interface GetOptions extends ListOptions {
  readonly output: Format;
  readonly project?: string;
  readonly revisions?: boolean;
  readonly revision?: number;
}

/** Data as JSON or YAML, or else the table made for it (made only when asked for). */
async function show(format: Format, data: unknown, table: () => Promise<string> | string): Promise<void> {
  process.stdout.write(serialize(format, data) ?? (await table()));
}

/** The kinds whose resources belong to a project (or to none: shared), and keys limited to one. */
const OWNED = new Set(['cluster', 'profile', 'cloudaccount', 'registry', 'apikey']);

/** Kind-specific filters of `get`. */
function filters(kind: Kind, cmd: Command): Command {
  if (OWNED.has(kind.name)) cmd.option('--project <name>', `only the ${kind.plural} of this project, shared ones left out (filtered here, from the list the API gives you)`);
  if (kind.name === 'pack') cmd.option('--registry <name>', 'only this registry (name or id)').addOption(new Option('--layer <layer>', 'only this layer').choices(['os', 'k8s', 'cni', 'csi', 'addon']));
  if (kind.name === 'cluster') {
    cmd.addOption(new Option('--phase <phase>', 'only clusters in this phase (Deleted ones only when asked for)').choices(['Pending', 'Provisioning', 'Running', 'Deleting', 'Deleted', 'Failed']));
  }
  if (kind.name === 'image') {
    cmd
      .addOption(new Option('--cloud <cloud>', 'only images in this cloud').choices(['aws', 'azure', 'local']))
      .option('--region <region>', 'only images in this region')
      .option('--signature <sha256>', 'only images of this signature (what made them)')
      .option('--pack <pack>', 'only images made from this OS pack (id, name@version, or name for every version)');
  }
  if (kind.name === 'profile') {
    cmd.option('--revisions', "the profile's revisions, newest first").option('--revision <n>', 'the layers of one revision', parseCount('--revision', 1));
  }
  return cmd;
}

const revisionSummary = (r: ProfileRevision) => r.layers.map((l) => `${l.name}@${l.version}`).join(', ');

/** `get profile NAME --revisions` and `--revision N`. */
async function showRevisions(resolver: Resolver, name: string, opts: GetOptions): Promise<void> {
  const profile = await resolver.one(profiles, name);
  const p = palette();
  const base = `/v1/profiles/${encodeURIComponent(profile.id)}/revisions`;
  if (opts.revision !== undefined) {
    const rev = await resolver.api.get<ProfileRevision>(`${base}/${opts.revision}`);
    return show(opts.output, rev, () => `Profile ${profile.name}, revision ${rev.revision} (${age(rev.createdAt)} old):\n${layersTable(rev.layers, p.bold)}`);
  }
  const revs = await resolver.api.listAll<ProfileRevision>(base);
  return show(opts.output, revs, () =>
    renderTable(
      [
        { header: 'REVISION', cell: (r) => (r.revision === profile.latestRevision ? `${r.revision} (latest)` : String(r.revision)) },
        { header: 'AGE', cell: (r) => age(r.createdAt) },
        { header: 'LAYERS', cell: revisionSummary },
      ],
      revs,
      p.bold,
    ),
  );
}

function kindCommand(kind: Kind): Command {
  const cmd = new Command(kind.plural)
    .aliases([kind.name, ...kind.aliases])
    .description(`list ${kind.plural}, or show one`)
    .argument('[name]', `a ${kind.name}'s name or id`)
    .addOption(outputOption());
  return filters(kind, cmd).action(async (name: string | undefined, opts: GetOptions, self: Command) => {
    const resolver = resolverOf(self);
    const listOpts: ListOptions = { registry: opts.registry, layer: opts.layer, phase: opts.phase, cloud: opts.cloud, region: opts.region, signature: opts.signature, pack: opts.pack };
    const ctx = { palette: palette(), resolver };
    if (kind === profiles && (opts.revisions || opts.revision !== undefined)) {
      if (!name) throw new UsageError('--revisions and --revision need the profile: strata get profile NAME --revisions');
      return showRevisions(resolver, name, opts);
    }
    // A project's name is its id; looked up all the same, so that a typo names the projects there are.
    const project = opts.project === undefined ? undefined : await resolver.id(projects, opts.project);
    const inProject = <T>(items: T[]) => (project === undefined ? items : items.filter((x) => (x as { projectId?: string }).projectId === project));
    if (!name) {
      const items = inProject(await resolver.list(kind, listOpts));
      // As kubectl does: the words on stderr, so a table read by a script is simply empty.
      if (!items.length && opts.output === 'table') return void process.stderr.write(project === undefined ? `No ${kind.plural} found.\n` : `No ${kind.plural} in project ${project}.\n`);
      return show(opts.output, items, () => kind.table(items, { ...ctx, single: false }));
    }
    // A pack's name without its version may match several versions: all are shown.
    let matches = inProject(await resolver.matching(kind, name, listOpts));
    if (!matches.length && project !== undefined) throw new Failure(`no ${kind.name} "${name}" in project ${project}`);
    if (!matches.length) matches = [await resolver.one(kind, name, listOpts)]; // fails, naming the ones there are
    if (matches.length > 1) return show(opts.output, matches, () => kind.table(matches, { ...ctx, single: false }));
    const item = kind.read ? await kind.read(resolver.api, matches[0]) : matches[0];
    return show(opts.output, item, () => kind.table([item], { ...ctx, single: true }));
  });
}

const WINDOWS = ['1h', '24h', '7d', '30d'];

/** `get node NAME --cluster NAME`: one node as its agent reports it; a name it does not report is told apart from one that is not there. */
async function showNode(resolver: Resolver, cluster: Cluster, name: string, opts: { window?: string; output: Format }): Promise<void> {
  const base = `/v1/clusters/${encodeURIComponent(cluster.id)}/nodes`;
  let node: NodeDetail;
  try {
    node = await resolver.api.get<NodeDetail>(`${base}/${encodeURIComponent(name)}`, { window: opts.window });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404 && err.details.some((d) => d.path === 'path.name'))) throw err;
    const names = (await resolver.api.get<NodeList>(base)).items.map((n) => n.name);
    if (names.includes(name)) throw new Failure(`node ${name} of cluster ${cluster.name} is not reported by the agent yet (strata get nodes -c ${cluster.name} shows what the cloud says of it)`);
    throw new Failure(`cluster ${cluster.name} has no node "${name}"`, [{ path: 'name', message: names.length ? `its nodes: ${names.join(', ')}` : 'it has no nodes' }]);
  }
  return show(opts.output, node, () => nodeText(node, cluster.name, palette()));
}

/** `get nodes --cluster NAME`: what Strata launched and what the agent reports of each; or one node in full. */
function nodesCommand(): Command {
  return new Command('nodes')
    .alias('node')
    .description("a cluster's nodes, or one node: what it runs, its conditions, its usage")
    .argument('[name]', "a node's name")
    .requiredOption('-c, --cluster <name>', 'the cluster: its name or id')
    .addOption(new Option('--window <window>', "one node's usage over this window (default: 1h)").choices(WINDOWS))
    .addOption(outputOption())
    .action(async (name: string | undefined, opts: { cluster: string; window?: string; output: Format }, self: Command) => {
      if (!name && opts.window) throw new UsageError('--window goes with one node: strata get node NAME -c CLUSTER --window 24h');
      const { resolver, cluster } = await namedCluster(self, opts.cluster);
      if (name) return showNode(resolver, cluster, name, opts);
      const nodes = await resolver.api.get<NodeList>(`/v1/clusters/${encodeURIComponent(cluster.id)}/nodes`);
      const p = palette();
      await show(opts.output, nodes.items, () =>
        renderTable(
          [
            { header: 'NAME', cell: (n) => n.name },
            { header: 'POOL', cell: (n) => n.pool ?? '' },
            { header: 'ROLE', cell: (n) => n.role },
            { header: 'ZONE', cell: (n) => n.zone ?? '' },
            { header: 'TYPE', cell: (n) => n.instanceType ?? '' },
            { header: 'READY', cell: (n) => (n.ready ? p.green('True') : p.red('False')) },
            { header: 'KUBELET', cell: (n) => n.kubeletVersion ?? '' },
            { header: 'STATE', cell: (n) => [n.instanceState, n.phase, n.unschedulable ? 'cordoned' : undefined].filter(Boolean).join(', ') },
            { header: 'IP', cell: (n) => n.privateIp ?? '' },
          ],
          nodes.items,
          p.bold,
        ),
      );
    });
}

/** `get services --cluster NAME`: LoadBalancer and NodePort services with the links that open them. */
function servicesCommand(): Command {
  return new Command('services')
    .aliases(['service', 'svc'])
    .description("a cluster's LoadBalancer and NodePort services")
    .requiredOption('-c, --cluster <name>', 'the cluster: its name or id')
    .addOption(outputOption())
    .action(async (opts: { cluster: string; output: Format }, self: Command) => {
      const { resolver, cluster } = await namedCluster(self, opts.cluster);
      const services = await resolver.api.get<ServiceList>(`/v1/clusters/${encodeURIComponent(cluster.id)}/services`);
      const p = palette();
      await show(opts.output, services.items, () =>
        renderTable(
          [
            { header: 'NAMESPACE', cell: (s) => s.namespace },
            { header: 'NAME', cell: (s) => s.name },
            { header: 'TYPE', cell: (s) => s.type },
            { header: 'STATUS', cell: (s) => statusColour(p, s.status === 'Ready' ? 'True' : 'Unknown')(s.status) },
            { header: 'PORTS', cell: (s) => s.ports.map((x) => `${x.port}${x.nodePort ? `:${x.nodePort}` : ''}/${x.protocol}`).join(',') },
            { header: 'LINKS', cell: (s) => s.links.join(' ') },
          ],
          services.items,
          p.bold,
        ),
      );
    });
}

/** `get commands --cluster NAME`: what was sent to the cluster's agent, newest first, and what came of it; or one command in full. */
function commandsCommand(): Command {
  return new Command('commands')
    .aliases(['command', 'cmd'])
    .description("the commands sent to a cluster's agent, newest first, or one of them: its status and result")
    .argument('[id]', "a command's id")
    .requiredOption('-c, --cluster <name>', 'the cluster: its name or id')
    .option('--limit <n>', 'how many of the newest to list', parseCount('--limit', 1), 50)
    .addOption(outputOption())
    .action(async (id: string | undefined, opts: { cluster: string; limit: number; output: Format }, self: Command) => {
      const { resolver, cluster } = await namedCluster(self, opts.cluster);
      const base = `/v1/clusters/${encodeURIComponent(cluster.id)}/commands`;
      const p = palette();
      if (id) {
        const command = await resolver.api.get<AgentCommand>(`${base}/${encodeURIComponent(id)}`);
        return show(opts.output, command, () => commandText(command, cluster.name, p));
      }
      const items = await resolver.api.listAll<AgentCommand>(base, {}, opts.limit);
      if (!items.length && opts.output === 'table') return void process.stderr.write(`No commands were sent to cluster ${cluster.name}.\n`);
      return show(opts.output, items, () => commandsTable(items, p));
    });
}

export function getCommand(): Command {
  const get = new Command('get').description('list resources of a kind, or show one: strata get clusters, strata get cluster NAME');
  for (const kind of KINDS) get.addCommand(kindCommand(kind));
  get.addCommand(nodesCommand());
  get.addCommand(servicesCommand());
  get.addCommand(commandsCommand());
  return get;
}
