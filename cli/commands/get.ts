import { Command, Option } from 'commander';
import type { NodeList, ProfileRevision, ServiceList } from '../api-types.js';
import { palette, statusColour } from '../colour.js';
import { namedCluster, resolverOf } from '../context.js';
import { UsageError } from '../errors.js';
import { KINDS } from '../kinds/index.js';
import type { Kind, ListOptions } from '../kinds/kind.js';
import { layersTable, profiles } from '../kinds/profile.js';
import { outputOption, serialize, type Format } from '../output.js';
import type { Resolver } from '../resolver.js';
import { renderTable } from '../table.js';
import { age, parseCount } from '../time.js';

interface GetOptions extends ListOptions {
  readonly output: Format;
  readonly revisions?: boolean;
  readonly revision?: number;
}

/** Data as JSON or YAML, or else the table made for it (made only when asked for). */
async function show(format: Format, data: unknown, table: () => Promise<string> | string): Promise<void> {
  process.stdout.write(serialize(format, data) ?? (await table()));
}

/** Kind-specific filters of `get`. */
function filters(kind: Kind, cmd: Command): Command {
  if (kind.name === 'pack') cmd.option('--registry <name>', 'only this registry (name or id)').addOption(new Option('--layer <layer>', 'only this layer').choices(['os', 'k8s', 'cni', 'csi', 'addon']));
  if (kind.name === 'cluster') {
    cmd.addOption(new Option('--phase <phase>', 'only clusters in this phase (Deleted ones only when asked for)').choices(['Pending', 'Provisioning', 'Running', 'Deleting', 'Deleted', 'Failed']));
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
    const listOpts: ListOptions = { registry: opts.registry, layer: opts.layer, phase: opts.phase };
    const ctx = { palette: palette(), resolver };
    if (kind === profiles && (opts.revisions || opts.revision !== undefined)) {
      if (!name) throw new UsageError('--revisions and --revision need the profile: strata get profile NAME --revisions');
      return showRevisions(resolver, name, opts);
    }
    if (!name) {
      const items = await resolver.list(kind, listOpts);
      // As kubectl does: the words on stderr, so a table read by a script is simply empty.
      if (!items.length && opts.output === 'table') return void process.stderr.write(`No ${kind.plural} found.\n`);
      return show(opts.output, items, () => kind.table(items, { ...ctx, single: false }));
    }
    // A pack's name without its version may match several versions: all are shown.
    let matches = await resolver.matching(kind, name, listOpts);
    if (!matches.length) matches = [await resolver.one(kind, name, listOpts)]; // fails, naming the ones there are
    if (matches.length > 1) return show(opts.output, matches, () => kind.table(matches, { ...ctx, single: false }));
    const item = kind.read ? await kind.read(resolver.api, matches[0]) : matches[0];
    return show(opts.output, item, () => kind.table([item], { ...ctx, single: true }));
  });
}

/** `get nodes --cluster NAME`: what Strata launched and what the agent reports of each. */
function nodesCommand(): Command {
  return new Command('nodes')
    .alias('node')
    .description("a cluster's nodes")
    .requiredOption('-c, --cluster <name>', 'the cluster: its name or id')
    .addOption(outputOption())
    .action(async (opts: { cluster: string; output: Format }, self: Command) => {
      const { resolver, cluster } = await namedCluster(self, opts.cluster);
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

export function getCommand(): Command {
  const get = new Command('get').description('list resources of a kind, or show one: strata get clusters, strata get cluster NAME');
  for (const kind of KINDS) get.addCommand(kindCommand(kind));
  get.addCommand(nodesCommand());
  get.addCommand(servicesCommand());
  return get;
}
