import { Command } from 'commander';
import type { TokenRotation } from '../api-types.js';
import { confirm } from '../confirm.js';
import { clusterVerb, namedCluster } from '../context.js';
import { outputOption, say, serialize, type Format } from '../output.js';

export function rotateCommand(): Command {
  const rotate = new Command('rotate').description('rotate a credential, after asking (--yes does not ask)');
  const { verb, cluster } = clusterVerb('agent-token', "rotate a cluster agent's token: the agent gets the new one with its next heartbeat, and the old one stops working once it has used it");
  cluster
    .option('-y, --yes', 'do not ask')
    .addOption(outputOption())
    .action(async (name: string, opts: { yes?: boolean; output: Format }, self: Command) => {
      const { resolver, cluster: found } = await namedCluster(self, name);
      if (!(await confirm(`rotate the agent token of cluster ${found.name}`, opts))) {
        say(opts.output, 'Cancelled: the token is unchanged.');
        return;
      }
      const rotation = await resolver.api.request<TokenRotation>('POST', `/v1/clusters/${encodeURIComponent(found.id)}/agent-token/rotate`);
      process.stdout.write(serialize(opts.output, rotation) ?? `cluster/${found.name} agent token rotated: ${rotation.message}\n`);
    });
  rotate.addCommand(verb);
  return rotate;
}
