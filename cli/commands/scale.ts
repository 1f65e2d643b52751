import type { Command } from 'commander';
import { changeCluster, reportChange } from '../cluster-change.js';
import { palette } from '../colour.js';
import { clusterVerb, namedCluster } from '../context.js';
import { Failure } from '../errors.js';
import { outputOption, type Format } from '../output.js';
import { parseCount } from '../time.js';

export function scaleCommand(): Command {
  const { verb, cluster } = clusterVerb('scale', "set a node pool's size; the plan is shown (from the API's dry run) and confirmed first");
  cluster
    .requiredOption('--pool <name>', 'the node pool')
    .requiredOption('--count <n>', 'its number of nodes', parseCount('--count'))
    .option('--dry-run', 'show the plan and change nothing')
    .option('-y, --yes', 'do not ask')
    .addOption(outputOption())
    .action(async (name: string, opts: { pool: string; count: number; dryRun?: boolean; yes?: boolean; output: Format }, self: Command) => {
      const { resolver, cluster: found } = await namedCluster(self, name);
      if (!found.nodePools.some((p) => p.name === opts.pool)) {
        throw new Failure(`cluster ${found.name} has no pool ${opts.pool}`, [{ path: 'pool', message: `its pools: ${found.nodePools.map((p) => p.name).join(', ')}` }]);
      }
      const nodePools = found.nodePools.map((p) => (p.name === opts.pool ? { ...p, count: opts.count } : p));
      const result = await changeCluster(resolver.api, found, { nodePools }, { dryRun: opts.dryRun, yes: opts.yes, palette: palette(), format: opts.output });
      reportChange(found.name, result, opts.output, `pool ${opts.pool} already has ${opts.count} node(s)`);
    });
  return verb;
}
