import type { Command } from 'commander';
import type { ClusterWithStatus, ConditionList, NodeList } from '../api-types.js';
import { palette } from '../colour.js';
import { conditionTree, renderTree } from '../condition-tree.js';
import { clusterVerb, namedCluster } from '../context.js';
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
  return verb;
}
