import type { ClusterStepContext } from './cluster-step.js';

/**
 * Puts the cluster's running control-plane instances behind the API load balancer. Only running
 * ones: AWS refuses a pending instance as a target (InvalidTarget). Registering a target twice
 * changes nothing, so every pass may call it; kubeadm on each node reaches the API by the load
 * balancer's name as soon as the first one serves.
 */
export async function registerControlPlane(ctx: ClusterStepContext): Promise<void> {
  const provider = await ctx.provider();
  const running = (await provider.listInstances(ctx.cluster.id)).filter((i) => i.role === 'controlPlane' && i.state === 'running');
  if (running.length) await provider.registerApiTargets(ctx.cluster.id, running.map((i) => i.instanceId));
}

/**
 * ControlPlaneEndpointReady, as the cloud sees the API load balancer: True once it is active and
 * at least one control-plane target passes its health check (TCP 6443), never before.
 */
export async function markApiEndpoint(ctx: ClusterStepContext): Promise<boolean> {
  const type = 'ControlPlaneEndpointReady';
  await registerControlPlane(ctx);
  const status = await (await ctx.provider()).apiEndpointStatus(ctx.cluster.id);
  if (!status) {
    await ctx.mark(type, 'Unknown', 'LoadBalancerMissing', 'the API load balancer does not exist yet');
    return false;
  }
  const at = `${status.endpoint}:${status.port}`;
  if (status.state === 'failed') {
    await ctx.mark(type, 'False', 'LoadBalancerFailed', `the cloud reports the API load balancer ${at} failed`);
    return false;
  }
  if (status.state !== 'active') {
    await ctx.mark(type, 'Unknown', 'LoadBalancerProvisioning', `${at} is still being provisioned by the cloud`);
    return false;
  }
  const healthy = status.targets.filter((t) => t.health === 'healthy');
  if (healthy.length === 0) {
    const why = status.targets.map((t) => `${t.instanceId} ${t.health}${t.reason ? ` (${t.reason})` : ''}`).join(', ');
    await ctx.mark(type, 'Unknown', 'NoHealthyTargets', `${at}: no control-plane target passes the health check yet${why ? `: ${why}` : ''}`);
    return false;
  }
  await ctx.mark(type, 'True', 'EndpointServing', `${at}: ${healthy.length}/${status.targets.length} control-plane target(s) healthy`, true);
  return true;
}
