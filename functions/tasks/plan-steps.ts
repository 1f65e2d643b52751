import { isReady, type ReportedNode } from '../../core/agent-protocol.js';
import { joinTokenId, NODE_JOIN_TOKEN_TTL_SECONDS } from '../../core/bootstrap-tokens.js';
import type { PlanStep } from '../../core/plan.js';
import { ticketIssue } from '../../adapters/dynamodb/bootstrap-tickets-store.js';
import { forgetMachine, getMachine, recordNode, setMachineFields, setMachinePhase, type Machine } from '../../adapters/dynamodb/machines-store.js';
import { getSnapshot } from '../../adapters/dynamodb/telemetry-store.js';
import { nodeCommand } from './agent-command.js';
import type { ClusterStepContext } from './cluster-step.js';
import { launchNode, launchToken, nodeSpec } from './launch-node.js';
import { clock } from '../../core/clock.js';

/** What running a plan step came to: done, or what it waits for. */
export type StepRun = { readonly done: true } | { readonly done: false; readonly seconds: number; readonly message: string };
const DONE: StepRun = { done: true };
const wait = (message: string, seconds = 5): StepRun => ({ done: false, seconds, message });

/** The step's reason and what differs, for events. */
const why = (step: PlanStep) => `${step.reason}${step.details?.length ? `: ${step.details.join(', ')}` : ''}`;

/**
 * Run one step of a cluster's plan, idempotently: every call finds what an earlier call did (the
 * node's record, its commands, the cloud's client tokens) and carries on from there.
 */
export async function runPlanStep(ctx: ClusterStepContext, step: PlanStep): Promise<StepRun> {
  // A cloud error is charged to the pool's condition (the control plane's for its nodes).
  const cp = ctx.cluster.nodePools.find((p) => p.role === 'controlPlane')?.name;
  ctx.charge = step.pool === cp ? 'ControlPlaneReady' : `WorkerPoolReady/${step.pool}`;
  switch (step.kind) {
    case 'launch':
      return launch(ctx, step);
    case 'waitReady':
      return waitReady(ctx, step);
    case 'drain':
      return drain(ctx, step);
    case 'terminate':
      return terminate(ctx, step);
  }
}

async function reported(ctx: ClusterStepContext, name: string): Promise<ReportedNode | undefined> {
  return (await getSnapshot(ctx.cluster.id))?.report?.nodes.find((n) => n.name === name);
}

/**
 * A node launched after day one joins with a bootstrap token of its own, made in the cluster by
 * the agent and living an hour (kubeadm's init token is long expired by then); its id follows the
 * node's bootstrap ticket, so a re-issued ticket brings a fresh token too.
 */
async function launch(ctx: ClusterStepContext, step: PlanStep): Promise<StepRun> {
  const { tenantId } = ctx.input;
  const l = step.launch!;
  const planned = {
    name: step.node,
    pool: step.pool,
    role: l.role,
    index: l.index,
    zone: step.zone!,
    instanceType: l.instanceType,
    diskGiB: l.diskGiB,
    idempotencyToken: launchToken(ctx.cluster.id, step.pool, l.index),
  };
  const existing = await getMachine(tenantId, ctx.cluster.id, step.node);
  if (!existing?.instanceId) {
    const issuedAt = await ticketIssue(tenantId, ctx.cluster.id, step.node, clock.date());
    const tokenId = joinTokenId(`${ctx.cluster.id}/${step.node}/${issuedAt}`);
    const machine = await recordedForToken(ctx, planned, tokenId, existing);
    if (l.role === 'controlPlane') {
      // kubeadm join renders a control-plane node's static pods from kubeadm-config's ClusterConfiguration:
      // it names the version first (as Cluster API's KubeadmControlPlane does), a no-op when it does already.
      const set = await nodeCommand(ctx, machine, 'kubeadm-version', 'setKubeadmVersion', { kubernetesVersion: l.kubernetesVersion }, true);
      if (set.state === 'failed') return wait(`the agent could not set kubeadm's Kubernetes version to ${l.kubernetesVersion}: ${set.command.message ?? set.command.status}; trying again`, 30);
      if (set.state === 'waiting') return wait(`${step.node}: ${set.message}`);
    }
    const made = await nodeCommand(ctx, machine, `token-${tokenId}`, 'createBootstrapToken', { tokenId, ttlSeconds: NODE_JOIN_TOKEN_TTL_SECONDS, description: `join ${step.node}` }, true);
    if (made.state === 'failed') return wait(`the agent could not make a bootstrap token for ${step.node}: ${made.command.message ?? made.command.status}; trying again`, 30);
    if (made.state === 'waiting') return wait(`${step.node}: ${made.message}`);
  }
  const instance = await launchNode(ctx, planned, { joinTokenId: (await getMachine(tenantId, ctx.cluster.id, step.node))?.joinTokenId });
  await ctx.event('Normal', 'NodeLaunched', `${step.node} launched as ${instance.instanceId} (${instance.instanceType} in ${instance.zone}) for ${why(step)}`, step.node, `NodeLaunched#${step.node}`);
  if (l.role === 'controlPlane') await ctx.mark(`ControlPlaneNodeAdded/${step.node}`, instance.state === 'running' ? 'True' : 'Unknown', instance.state === 'running' ? 'InstanceRunning' : 'InstanceBooting', `${instance.instanceId} (${instance.instanceType}) ${instance.state} in ${instance.zone}`, true);
  return DONE;
}

/** The node's record before launch, with the bootstrap token it will join with. */
async function recordedForToken(ctx: ClusterStepContext, planned: Parameters<typeof launchNode>[1], tokenId: string, existing: Machine | undefined): Promise<Machine> {
  const { tenantId } = ctx.input;
  if (!existing) {
    await recordNode(tenantId, ctx.cluster.id, await nodeSpec(ctx, planned), { joinTokenId: tokenId });
  } else if (existing.joinTokenId !== tokenId) {
    await setMachineFields(tenantId, ctx.cluster.id, planned.name, { joinTokenId: tokenId });
  }
  return (await getMachine(tenantId, ctx.cluster.id, planned.name))!;
}

/** Ready as the agent reports it; a control-plane node then goes behind the API load balancer. */
async function waitReady(ctx: ClusterStepContext, step: PlanStep): Promise<StepRun> {
  const { tenantId } = ctx.input;
  const machine = await getMachine(tenantId, ctx.cluster.id, step.node);
  if (!machine) return wait(`${step.node} has no record: it was removed meanwhile`, 30);
  if (!machine.instanceId) {
    // Recorded by a plan that was superseded before its launch finished: finish it (the same client token).
    const { name: _n, pool: _p, zone, role, index, instanceType, diskGiB, imageRef, kubernetesVersion } = machine;
    const launched = await launch(ctx, { ...step, kind: 'launch', zone, launch: { role, index, instanceType, diskGiB, imageId: imageRef, kubernetesVersion } });
    if (!launched.done) return launched;
  }
  const node = await reported(ctx, step.node);
  if (!node || !isReady(node)) {
    const age = Math.round((clock.now() - Date.parse(machine.createdAt)) / 60_000);
    return wait(`waiting for ${step.node} to join and report Ready (${node ? 'NotReady' : 'not joined yet'}, launched ${age} min ago)`);
  }
  if (machine.role === 'controlPlane' && machine.instanceId) {
    await (await ctx.provider()).registerApiTargets(ctx.cluster.id, [machine.instanceId]);
    await ctx.mark(`ControlPlaneNodeAdded/${step.node}`, 'True', 'InstanceRunning', `${machine.instanceId} (${machine.instanceType}) running in ${machine.zone} and Ready`, true);
  }
  return DONE;
}

/**
 * Out of service: off the API load balancer (control plane), cordoned and drained by the agent
 * (PodDisruptionBudgets honoured), and a control-plane node's etcd member removed, so the cluster
 * never counts a member that is about to vanish. A node that is not Ready cannot drain: its pods
 * are rescheduled by Kubernetes, and the step says so rather than waiting forever.
 */
async function drain(ctx: ClusterStepContext, step: PlanStep): Promise<StepRun> {
  const { tenantId } = ctx.input;
  const machine = await getMachine(tenantId, ctx.cluster.id, step.node);
  if (!machine) return DONE; // gone already
  if (machine.role === 'controlPlane' && machine.instanceId) await (await ctx.provider()).deregisterApiTargets(ctx.cluster.id, [machine.instanceId]);
  if (machine.phase !== 'drained') {
    const node = await reported(ctx, step.node);
    if (!node || !isReady(node)) {
      await setMachinePhase(tenantId, ctx.cluster.id, step.node, 'drained');
      await ctx.event('Warning', 'NodeNotDrained', `${step.node} is ${node ? 'NotReady' : 'not a node of the cluster'}: nothing to drain; Kubernetes reschedules its pods (${why(step)})`, step.node, `NodeDrained#${step.node}`);
    } else {
      if (machine.phase !== 'draining') await setMachinePhase(tenantId, ctx.cluster.id, step.node, 'draining');
      const drained = await nodeCommand(ctx, machine, 'drain', 'drain', { node: step.node, timeoutSeconds: 300 }, true);
      if (drained.state === 'waiting') return wait(`draining ${step.node}: ${drained.message}`);
      if (drained.state === 'failed') {
        const left = (drained.command.result as { remaining?: string[] } | undefined)?.remaining ?? [];
        await ctx.event('Warning', 'DrainFailed', `${step.node} did not drain: ${drained.command.message ?? drained.command.status}${left.length ? `; still running ${left.slice(0, 5).join(', ')}` : ''}; trying again`, step.node);
        return wait(`${step.node} did not drain (${drained.command.message ?? drained.command.status}); trying again`, 30);
      }
      const r = drained.command.result as { evicted: number; durationSeconds: number };
      await setMachinePhase(tenantId, ctx.cluster.id, step.node, 'drained');
      await ctx.event('Normal', 'NodeDrained', `${step.node} drained: ${r.evicted} pod(s) evicted in ${r.durationSeconds} s (${why(step)})`, step.node, `NodeDrained#${step.node}`);
    }
  }
  if (machine.role === 'controlPlane') {
    const removed = await nodeCommand(ctx, (await getMachine(tenantId, ctx.cluster.id, step.node))!, 'etcd', 'removeEtcdMember', { node: step.node }, true);
    if (removed.state === 'waiting') return wait(`removing ${step.node}'s etcd member: ${removed.message}`);
    if (removed.state === 'failed') return wait(`the agent could not remove ${step.node}'s etcd member: ${removed.command.message ?? removed.command.status}; trying again`, 30);
    const r = removed.command.result as { removed: boolean; members: number };
    await ctx.event('Normal', 'EtcdMemberRemoved', `${step.node}: etcd member ${r.removed ? 'removed' : 'already gone'}; ${r.members} member(s) left`, step.node, `EtcdMemberRemoved#${step.node}`);
  }
  return DONE;
}

/** The instance terminated and the node forgotten, with its conditions. */
async function terminate(ctx: ClusterStepContext, step: PlanStep): Promise<StepRun> {
  const { tenantId } = ctx.input;
  const machine = await getMachine(tenantId, ctx.cluster.id, step.node);
  if (machine) {
    if (machine.phase !== 'terminating') await setMachinePhase(tenantId, ctx.cluster.id, step.node, 'terminating');
    const provider = await ctx.provider();
    if (machine.instanceId) {
      if (machine.role === 'controlPlane') await provider.deregisterApiTargets(ctx.cluster.id, [machine.instanceId]);
      const after = await provider.terminateInstance(ctx.cluster.id, machine.instanceId);
      if (after && after.state !== 'shutting-down' && after.state !== 'terminated') return wait(`${step.node} (${machine.instanceId}) is ${after.state}`);
    }
    await forgetMachine(tenantId, ctx.cluster.id, step.node);
    await ctx.event('Normal', 'NodeTerminated', `${step.node}${machine.instanceId ? ` (${machine.instanceId})` : ''} terminated (${why(step)})`, step.node, `NodeTerminated#${step.node}`);
  }
  const stale = (await ctx.conditions()).filter((c) => c.type.endsWith(`/${step.node}`)).map((c) => c.type);
  if (stale.length) await ctx.apply([], stale);
  return DONE;
}
