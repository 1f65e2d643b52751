import type { Command } from 'commander';
import type { ApiKey, ClusterWithStatus, ConditionList, ImageDetail, NodeList, Project } from '../api-types.js';
import { palette } from '../colour.js';
import { conditionTree, renderTree } from '../condition-tree.js';
import { clusterVerb, namedCluster, resolverOf } from '../context.js';
import { ApiError } from '../errors.js';
import { apiKeys } from '../kinds/apikey.js';
import { cloudAccounts } from '../kinds/cloudaccount.js';
import { clusters } from '../kinds/cluster.js';
import { images, imageText } from '../kinds/image.js';
import type { Kind } from '../kinds/kind.js';
import { profiles } from '../kinds/profile.js';
import { projects, projectText, type ProjectMember } from '../kinds/project.js';
import { registries } from '../kinds/registry.js';
import { outputOption, print, type Format } from '../output.js';
import type { Resolver } from '../resolver.js';

/** The kinds that may belong to a project, in the order `describe project` lists them. */
const MEMBER_KINDS: readonly Kind[] = [clusters, profiles, cloudAccounts, registries];

/** What belongs to the project, of what the caller may list; API keys are listed to admins only (hidden: refused). */
async function membersOf(resolver: Resolver, project: Project): Promise<{ members: ProjectMember[]; keysHidden: boolean }> {
  const ofKind = async (kind: Kind) =>
    (await resolver.list(kind))
      .filter((x) => (x as { projectId?: string }).projectId === project.id)
      .map((x) => ({ kind: kind.name, name: kind.nameOf(x), id: kind.idOf(x) }));
  const keys = resolver.list(apiKeys).then(
    (items: ApiKey[]) => items.filter((k) => k.projectId === project.id).map((k) => ({ kind: apiKeys.name, name: k.name, id: k.id })),
    (err: unknown) => {
      if (err instanceof ApiError && err.status === 403) return undefined;
      throw err;
    },
  );
  const [owned, keyMembers] = await Promise.all([Promise.all(MEMBER_KINDS.map(ofKind)), keys]);
  return { members: [...owned.flat(), ...(keyMembers ?? [])], keysHidden: keyMembers === undefined };
}

export function describeCommand(): Command {
  const { verb, cluster } = clusterVerb('describe', "a cluster's condition tree: milestones, pools and their nodes, health checks; failures first");
  cluster.addOption(outputOption()).action(async (name: string, opts: { output: Format }, self: Command) => {
    const { resolver, cluster: found } = await namedCluster(self, name);
    const base = `/v1/clusters/${encodeURIComponent(found.id)}`;
    const [full, conditions, nodes] = await Promise.all([
      resolver.api.get<ClusterWithStatus>(base),
      resolver.api.get<ConditionList>(`${base}/conditions`),
      resolver.api.get<NodeList>(`${base}/nodes`),
    ]);
    const tree = conditionTree(full, conditions, nodes);
    print(opts.output, tree, () => renderTree(tree, palette()));
  });
  verb
    .command('image')
    .aliases(['images', 'img'])
    .argument('<id>', "the image's id")
    .description('a node image in full: signature, contents, where it was copied from, its failure, the clusters that run it')
    .addOption(outputOption())
    .action(async (id: string, opts: { output: Format }, self: Command) => {
      const resolver = resolverOf(self);
      const found = await resolver.one(images, id);
      const image = await resolver.api.get<ImageDetail>(`/v1/images/${encodeURIComponent(found.id)}`);
      print(opts.output, image, () => imageText(image, palette()));
    });
  verb
    .command('project')
    .aliases(['projects', 'proj'])
    .argument('<name>', "the project's name")
    .description('a project and what belongs to it: its clusters, profiles, cloud accounts, registries and API keys')
    .addOption(outputOption())
    .action(async (name: string, opts: { output: Format }, self: Command) => {
      const resolver = resolverOf(self);
      const found = await resolver.one(projects, name);
      const [project, { members, keysHidden }] = await Promise.all([projects.read!(resolver.api, found), membersOf(resolver, found)]);
      print(opts.output, { ...project, members }, () => projectText(project, members, keysHidden, palette()));
    });
  return verb.description("a cluster's condition tree, a node image in full, or a project and what belongs to it");
}
