import { isReady } from '../../core/agent-protocol.js';
import { planNodes } from '../../core/provisioning.js';
import { getSnapshot } from '../../adapters/dynamodb/telemetry-store.js';
import { clusterStep, DONE, waitFor } from './cluster-step.js';
import { launchNode } from './launch-node.js';

/** WorkerPoolReady per pool: every node launched, joined, and reported Ready by the agent. */
export const handler = clusterStep(async (ctx) => {
  const report = (await getSnapshot(ctx.cluster.id))?.report;
  const ready = new Set((report?.nodes ?? []).filter(isReady).map((n) => n.name));
  let pending = false;
  for (const pool of ctx.cluster.nodePools.filter((p) => p.role === 'worker')) {
    const type = `WorkerPoolReady/${pool.name}`;
    const nodes = planNodes(ctx.cluster).filter((n) => n.pool === pool.name);
    ctx.charge = type;
    for (const node of nodes) if (!ready.has(node.name)) await launchNode(ctx, node);
    const notReady = nodes.filter((n) => !ready.has(n.name)).map((n) => n.name);
    if (notReady.length) {
      await ctx.mark(type, 'Unknown', 'NodesJoining', `${nodes.length - notReady.length}/${nodes.length} Ready; waiting for ${notReady.join(', ')}`);
      pending = true;
    } else {
      await ctx.mark(type, 'True', 'PoolReady', `${nodes.length} node(s) Ready`, true);
    }
  }
  return pending ? waitFor(5) : DONE;
});
