import {
  DeleteLoadBalancerCommand as DeleteClassicLoadBalancerCommand,
  DescribeLoadBalancersCommand as DescribeClassicLoadBalancersCommand,
  DescribeTagsCommand as DescribeClassicTagsCommand,
  type ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { kubernetesClusterTag, mapped, remove, tagValue } from './calls.js';

/** DescribeTags takes at most 20 load balancers a call. */
const TAG_BATCH = 20;

/**
 * The load balancers the cluster's cloud controller manager made for Services of type
 * LoadBalancer (Classic ELBs by default, NLBs by annotation), tagged `kubernetes.io/cluster/<id>`
 * owned, as Cluster API Provider AWS finds them. They hold network interfaces and public addresses
 * in the cluster's subnets: left behind, the network could never be deleted. Deleted before the
 * instances go (nothing is left to reconcile them then); returns what is still being deleted.
 */
export async function deleteServiceLoadBalancers(elb: ElasticLoadBalancingClient, elbv2: ElasticLoadBalancingV2Client, clusterId: string): Promise<string[]> {
  const owned = (tags: readonly { Key?: string; Value?: string }[] | undefined) => tagValue(tags, kubernetesClusterTag(clusterId)) === 'owned';
  const left: string[] = [];

  const classic = await allPages(async (Marker) => {
    const page = await mapped(elb.send(new DescribeClassicLoadBalancersCommand({ Marker })));
    return { items: (page.LoadBalancerDescriptions ?? []).map((l) => l.LoadBalancerName!), next: page.NextMarker };
  });
  for (let i = 0; i < classic.length; i += TAG_BATCH) {
    const tags = (await mapped(elb.send(new DescribeClassicTagsCommand({ LoadBalancerNames: classic.slice(i, i + TAG_BATCH) })))).TagDescriptions ?? [];
    for (const t of tags.filter((d) => owned(d.Tags))) {
      const blocked = await remove(`Service load balancer ${t.LoadBalancerName}`, () => elb.send(new DeleteClassicLoadBalancerCommand({ LoadBalancerName: t.LoadBalancerName })));
      left.push(blocked ?? `Service load balancer ${t.LoadBalancerName} is being deleted`);
    }
  }

  const arns = await allPages(async (Marker) => {
    const page = await mapped(elbv2.send(new DescribeLoadBalancersCommand({ Marker })));
    return { items: (page.LoadBalancers ?? []).map((l) => l.LoadBalancerArn!), next: page.NextMarker };
  });
  for (let i = 0; i < arns.length; i += TAG_BATCH) {
    const tags = (await mapped(elbv2.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + TAG_BATCH) })))).TagDescriptions ?? [];
    for (const t of tags.filter((d) => owned(d.Tags))) {
      const blocked = await remove(`Service load balancer ${t.ResourceArn}`, () => elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: t.ResourceArn })));
      left.push(blocked ?? `Service load balancer ${t.ResourceArn} is being deleted`);
    }
  }
  // Their target groups, once no load balancer uses them.
  if (left.length === 0) {
    const groups = await allPages(async (Marker) => {
      const page = await mapped(elbv2.send(new DescribeTargetGroupsCommand({ Marker })));
      return { items: (page.TargetGroups ?? []).map((g) => g.TargetGroupArn!), next: page.NextMarker };
    });
    for (let i = 0; i < groups.length; i += TAG_BATCH) {
      const tags = (await mapped(elbv2.send(new DescribeTagsCommand({ ResourceArns: groups.slice(i, i + TAG_BATCH) })))).TagDescriptions ?? [];
      for (const t of tags.filter((d) => owned(d.Tags))) {
        const blocked = await remove(`Service target group ${t.ResourceArn}`, () => elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: t.ResourceArn })));
        if (blocked) left.push(blocked);
      }
    }
  }
  return left;
}

/** Every item of a listing that pages with a marker. */
async function allPages<T>(page: (marker: string | undefined) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const { items, next } = await page(marker);
    all.push(...items);
    marker = next;
  } while (marker);
  return all;
}
