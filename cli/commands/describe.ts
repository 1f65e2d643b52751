import type { Command } from 'commander';
import type { ClusterWithStatus, ConditionList, ImageDetail, NodeList } from '../api-types.js';
import { palette } from '../colour.js';
import { conditionTree, renderTree } from '../condition-tree.js';
import { clusterVerb, namedCluster, resolverOf } from '../context.js';
import { images, imageText } from '../kinds/image.js';
import { outputOption, print, type Format } from '../output.js';

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
  return verb.description("a cluster's condition tree, or a node image in full");
}
