import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListInstanceProfilesCommand, ListRolesCommand, type IAMClient } from '@aws-sdk/client-iam';

const live = (state?: string) => state !== 'terminated' && state !== 'deleted';

/**
 * Everything an AWS endpoint (moto) holds for a cluster, read with its own Describe calls rather
 * than the adapter's: what the tests compare with what Strata says it made or removed.
 */
export async function awsInventory(clients: { ec2: EC2Client; elb: ElasticLoadBalancingV2Client }, clusterId: string) {
  const { ec2, elb } = clients;
  const f = [{ Name: 'tag:strata:cluster', Values: [clusterId] }];
  const instances = ((await ec2.send(new DescribeInstancesCommand({ Filters: f }))).Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => live(i.State?.Name));
  return {
    vpcs: (await ec2.send(new DescribeVpcsCommand({ Filters: f }))).Vpcs ?? [],
    subnets: (await ec2.send(new DescribeSubnetsCommand({ Filters: f }))).Subnets ?? [],
    igws: (await ec2.send(new DescribeInternetGatewaysCommand({ Filters: f }))).InternetGateways ?? [],
    // moto ignores tag filters on DescribeNatGateways: the tags are compared here.
    nats: ((await ec2.send(new DescribeNatGatewaysCommand({ Filter: f }))).NatGateways ?? []).filter((n) => live(n.State) && n.Tags?.some((t) => t.Key === 'strata:cluster' && t.Value === clusterId)),
    eips: (await ec2.send(new DescribeAddressesCommand({ Filters: f }))).Addresses ?? [],
    tables: (await ec2.send(new DescribeRouteTablesCommand({ Filters: f }))).RouteTables ?? [],
    groups: (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: f }))).SecurityGroups ?? [],
    instances,
    loadBalancers: ((await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).filter((lb) => lb.LoadBalancerName === `${clusterId}-api`),
  };
}

/** The node roles and instance profiles IAM holds for a cluster. */
export async function identityInventory(iam: IAMClient, clusterId: string) {
  return {
    roles: ((await iam.send(new ListRolesCommand({ PathPrefix: '/strata/' }))).Roles ?? []).filter((r) => r.RoleName!.includes(clusterId)),
    profiles: ((await iam.send(new ListInstanceProfilesCommand({ PathPrefix: '/strata/' }))).InstanceProfiles ?? []).filter((p) => p.InstanceProfileName!.includes(clusterId)),
  };
}

/** How many of each kind. */
export const countsOf = (inventory: Record<string, readonly unknown[]>) => Object.fromEntries(Object.entries(inventory).map(([k, v]) => [k, v.length]));
