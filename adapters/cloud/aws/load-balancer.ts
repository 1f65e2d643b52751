import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
  SetSubnetsCommand,
  type ElasticLoadBalancingV2Client,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { API_PORT, CloudError, TAG_CLUSTER, TAG_NAME, type ApiEndpointStatus } from '../../../core/cloud.js';
import { mapped, remove, tagValue, tolerate } from './calls.js';

/** Load balancer and target group names: 32 characters at most, unique per account and region. */
export const apiLoadBalancerName = (clusterId: string) => `${clusterId}-api`.slice(0, 32);

export interface ApiLoadBalancerSpec {
  readonly clusterId: string;
  readonly clusterName: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupId: string;
  readonly internetFacing: boolean;
}

export interface ApiLoadBalancer {
  readonly arn: string;
  readonly dnsName: string;
  readonly targetGroupArn: string;
}

/**
 * The Kubernetes API's network load balancer, as Cluster API Provider AWS makes it: TCP 6443 to a
 * target group of the control-plane instances with TCP health checks, internal unless the API is
 * public. The target group does not preserve client IPs: with it, a control-plane node that reaches
 * the endpoint and is routed to itself drops the reply (the hairpin) and kubeadm init or join times out.
 */
export async function ensureApiLoadBalancer(elb: ElasticLoadBalancingV2Client, spec: ApiLoadBalancerSpec): Promise<ApiLoadBalancer> {
  const name = apiLoadBalancerName(spec.clusterId);
  const Tags = [
    { Key: TAG_CLUSTER, Value: spec.clusterId },
    { Key: TAG_NAME, Value: `${spec.clusterName}-api` },
  ];
  const scheme = spec.internetFacing ? 'internet-facing' : 'internal';
  let lb = await findOwned(elb, spec.clusterId);
  if (lb && lb.Scheme !== scheme) {
    throw new CloudError('LoadBalancerSchemeFixed', `the API load balancer ${name} is ${lb.Scheme}; a load balancer's scheme cannot change, so apiAccess.public is fixed at creation`, false);
  }
  lb ??= (
    await mapped(
      elb.send(
        new CreateLoadBalancerCommand({
          Name: name,
          Type: 'network',
          Scheme: scheme,
          IpAddressType: 'ipv4',
          Subnets: [...spec.subnetIds],
          // Only at creation can an NLB get security groups; allowed networks change through the group's rules.
          SecurityGroups: [spec.securityGroupId],
          Tags,
        }),
      ),
    )
  ).LoadBalancers![0]!;

  // A zone added since: enable it (a network load balancer's subnets can be added, never removed).
  const enabled = new Set((lb.AvailabilityZones ?? []).map((z) => z.SubnetId));
  if (spec.subnetIds.some((id) => !enabled.has(id))) {
    await mapped(elb.send(new SetSubnetsCommand({ LoadBalancerArn: lb.LoadBalancerArn, Subnets: [...new Set([...enabled, ...spec.subnetIds])] as string[] })));
  }

  // Found first: a second CreateTargetGroup of one name is refused by some endpoints (AWS returns the group).
  const tg =
    (await findTargetGroup(elb, spec.clusterId)) ??
    (
    await mapped(
      elb.send(
        new CreateTargetGroupCommand({
          Name: name,
          Protocol: 'TCP',
          Port: API_PORT,
          VpcId: spec.vpcId,
          TargetType: 'instance',
          HealthCheckProtocol: 'TCP',
          HealthCheckPort: String(API_PORT),
          HealthCheckIntervalSeconds: 10,
          HealthyThresholdCount: 3,
          UnhealthyThresholdCount: 3,
          Tags,
        }),
      ),
    )
  ).TargetGroups![0] as TargetGroup;
  const attributes = [
    { Key: 'preserve_client_ip.enabled', Value: 'false' },
    // A control-plane node leaving is drained by Strata first; no need to hold its flows 5 minutes.
    { Key: 'deregistration_delay.timeout_seconds', Value: '30' },
  ];
  const current = (await mapped(elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn })))).Attributes ?? [];
  if (attributes.some((a) => !current.some((c) => c.Key === a.Key && c.Value === a.Value))) {
    await mapped(elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn, Attributes: attributes })));
  }
  const listeners = (await mapped(elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn })))).Listeners ?? [];
  if (!listeners.some((l) => l.Port === API_PORT)) {
    await tolerate(
      elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb.LoadBalancerArn,
          Protocol: 'TCP',
          Port: API_PORT,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }],
        }),
      ),
      'DuplicateListener',
    );
  }
  return { arn: lb.LoadBalancerArn!, dnsName: lb.DNSName!, targetGroupArn: tg.TargetGroupArn! };
}

export async function registerTargets(elb: ElasticLoadBalancingV2Client, clusterId: string, instanceIds: readonly string[]): Promise<void> {
  const tg = await findTargetGroup(elb, clusterId);
  if (!tg) throw new CloudError('TargetGroupNotFound', `cluster ${clusterId} has no API target group yet`);
  if (instanceIds.length === 0) return;
  // Registering a registered target is a no-op on AWS.
  await mapped(elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: instanceIds.map((Id) => ({ Id, Port: API_PORT })) })));
}

export async function deregisterTargets(elb: ElasticLoadBalancingV2Client, clusterId: string, instanceIds: readonly string[]): Promise<void> {
  const tg = await findTargetGroup(elb, clusterId);
  if (!tg || instanceIds.length === 0) return;
  await tolerate(
    elb.send(new DeregisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: instanceIds.map((Id) => ({ Id, Port: API_PORT })) })),
    'InvalidTarget',
    'TargetGroupNotFound',
  );
}

export async function apiLoadBalancerStatus(elb: ElasticLoadBalancingV2Client, clusterId: string): Promise<ApiEndpointStatus | undefined> {
  const lb = await findOwned(elb, clusterId);
  if (!lb) return undefined;
  const tg = await findTargetGroup(elb, clusterId);
  const health = tg ? ((await mapped(elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn })))).TargetHealthDescriptions ?? []) : [];
  const code = lb.State?.Code;
  return {
    endpoint: lb.DNSName!,
    port: API_PORT,
    state: code === 'active' ? 'active' : code === 'failed' ? 'failed' : 'provisioning',
    targets: health.map((h) => ({
      instanceId: h.Target!.Id!,
      health: (['healthy', 'unhealthy', 'initial', 'draining', 'unused'] as const).find((s) => s === h.TargetHealth?.State) ?? 'unhealthy',
      reason: h.TargetHealth?.Description ?? h.TargetHealth?.Reason,
    })),
  };
}

/**
 * Deletes the API load balancer: targets out first (so nothing is sent to an instance about to
 * terminate), then the load balancer with its listener, then the target group once nothing uses it.
 * Returns what is left for the next pass.
 */
export async function deleteApiLoadBalancer(elb: ElasticLoadBalancingV2Client, clusterId: string): Promise<string[]> {
  const left: string[] = [];
  // A stranger's of the same name is not the cluster's to delete, and must not stop the deletion of the rest.
  const tg = await findTargetGroup(elb, clusterId).catch(notOwnedIsNone);
  const lb = await findOwned(elb, clusterId).catch(notOwnedIsNone);
  if (tg) {
    const targets = (await mapped(elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn })))).TargetHealthDescriptions ?? [];
    await deregisterTargets(elb, clusterId, targets.map((t) => t.Target!.Id!));
  }
  if (lb) {
    const blocked = await remove(`load balancer ${lb.LoadBalancerName}`, () => elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn })));
    left.push(blocked ?? `load balancer ${lb.LoadBalancerName} is being deleted`);
  } else if (tg) {
    const blocked = await remove(`target group ${tg.TargetGroupName}`, () => elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn })));
    if (blocked) left.push(blocked);
  }
  return left;
}

/** The cluster's load balancer by name, only if it carries the cluster's tag: a stranger's is never touched. */
async function findOwned(elb: ElasticLoadBalancingV2Client, clusterId: string): Promise<LoadBalancer | undefined> {
  const name = apiLoadBalancerName(clusterId);
  const found = await tolerate(elb.send(new DescribeLoadBalancersCommand({ Names: [name] })), 'LoadBalancerNotFound');
  const lb = found?.LoadBalancers?.[0];
  if (!lb) return undefined;
  await checkOwned(elb, lb.LoadBalancerArn!, clusterId, `load balancer ${name}`);
  return lb;
}

async function findTargetGroup(elb: ElasticLoadBalancingV2Client, clusterId: string): Promise<TargetGroup | undefined> {
  const name = apiLoadBalancerName(clusterId);
  const found = await tolerate(elb.send(new DescribeTargetGroupsCommand({ Names: [name] })), 'TargetGroupNotFound');
  const tg = found?.TargetGroups?.[0];
  if (!tg) return undefined;
  await checkOwned(elb, tg.TargetGroupArn!, clusterId, `target group ${name}`);
  return tg;
}

const notOwnedIsNone = (err: unknown): undefined => {
  if (err instanceof CloudError && err.code === 'ResourceNotOwned') return undefined;
  throw err;
};

async function checkOwned(elb: ElasticLoadBalancingV2Client, arn: string, clusterId: string, label: string): Promise<void> {
  const tags = (await mapped(elb.send(new DescribeTagsCommand({ ResourceArns: [arn] })))).TagDescriptions?.[0]?.Tags;
  if (tagValue(tags, TAG_CLUSTER) !== clusterId) {
    throw new CloudError('ResourceNotOwned', `${label} exists but is not tagged ${TAG_CLUSTER}=${clusterId}; Strata leaves it alone`, false);
  }
}
