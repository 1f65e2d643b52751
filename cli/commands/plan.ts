import type { Command } from 'commander';
import type { ClusterPlan } from '../api-types.js';
import { palette } from '../colour.js';
import { clusterVerb, namedCluster } from '../context.js';
import { ApiError } from '../errors.js';
import { outputOption, print, type Format } from '../output.js';
import { poolsTable, stepsTable } from '../plan-view.js';
import { age } from '../time.js';

function planText(plan: ClusterPlan, clusterName: string): string {
  const p = palette();
  const state = plan.state === 'Running' ? p.yellow('Running') : p.green(plan.state);
  const parts = [`Cluster ${clusterName}, generation ${plan.generation}: ${state}, ${plan.done} of ${plan.steps.length} step(s) done (started ${age(plan.startedAt)} ago, updated ${age(plan.updatedAt)} ago)\n`];
  if (plan.waiting) parts.push(`${p.yellow('Waiting')} for ${age(plan.waiting.since)}: ${plan.waiting.message}\n`);
  const pools = poolsTable(plan.pools, p);
  if (pools) parts.push(`\n${pools}`);
  if (plan.steps.length) parts.push(`\n${stepsTable(plan.steps, p)}`);
  if (plan.cancelled.length) parts.push(`\nCancelled when this plan superseded the one before (never ran):\n${stepsTable(plan.cancelled, p)}`);
  return parts.join('');
}

export function planCommand(): Command {
  const { verb, cluster } = clusterVerb('plan', "the plan of a cluster's latest change: each step done, running or pending, and what the running one waits for");
  cluster.addOption(outputOption()).action(async (name: string, opts: { output: Format }, self: Command) => {
    const { resolver, cluster: found } = await namedCluster(self, name);
    let plan: ClusterPlan;
    try {
      plan = await resolver.api.get<ClusterPlan>(`/v1/clusters/${encodeURIComponent(found.id)}/plan`);
    } catch (err) {
      // Plans are made for changes; a cluster never changed since it was made has none, which is no error.
      if (err instanceof ApiError && err.status === 404 && err.details.some((d) => d.path === 'path.id') && /plan/i.test(err.message)) {
        process.stdout.write(`Cluster ${found.name} has no plan: it has not been changed since it was made.\n`);
        return;
      }
      throw err;
    }
    print(opts.output, plan, () => planText(plan, found.name));
  });
  return verb;
}
