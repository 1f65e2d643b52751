import type { NodeRole, PolicyStatement } from './cloud.js';
import type { Cloud } from './packs.js';

/**
 * What a cluster's nodes may do in the customer's cloud: exactly what the components the cluster
 * runs need, after Cluster API Provider AWS's bootstrap policies and the components' own docs.
 * - every node: find itself (the kubelet's providerID), pull images from ECR;
 * - control plane: the cloud controller manager (node lifecycle, routes, Service load balancers);
 * - workers: the EBS CSI driver's controller, when the profile has it (it runs on workers).
 * Azure identities take built-in roles scoped to the cluster's resource group instead.
 */
const NODE_BASE: PolicyStatement[] = [
  { Sid: 'DescribeSelf', Effect: 'Allow', Action: ['ec2:DescribeInstances', 'ec2:DescribeRegions'], Resource: '*' },
  {
    Sid: 'PullFromEcr',
    Effect: 'Allow',
    Action: ['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'ecr:DescribeRepositories', 'ecr:ListImages'],
    Resource: '*',
  },
];

/** cloud-provider-aws's control-plane policy (its prerequisites page), without autoscaling writes. */
const CLOUD_CONTROLLER_MANAGER: PolicyStatement[] = [
  {
    Sid: 'CloudControllerManagerEc2',
    Effect: 'Allow',
    Action: [
      'ec2:DescribeAvailabilityZones',
      'ec2:DescribeInstances',
      'ec2:DescribeRegions',
      'ec2:DescribeRouteTables',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeSubnets',
      'ec2:DescribeVolumes',
      'ec2:DescribeVpcs',
      'ec2:CreateSecurityGroup',
      'ec2:CreateTags',
      'ec2:CreateRoute',
      'ec2:DeleteRoute',
      'ec2:DeleteSecurityGroup',
      'ec2:ModifyInstanceAttribute',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupIngress',
    ],
    Resource: '*',
  },
  {
    Sid: 'CloudControllerManagerLoadBalancers',
    Effect: 'Allow',
    Action: [
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:ApplySecurityGroupsToLoadBalancer',
      'elasticloadbalancing:AttachLoadBalancerToSubnets',
      'elasticloadbalancing:ConfigureHealthCheck',
      'elasticloadbalancing:CreateListener',
      'elasticloadbalancing:CreateLoadBalancer',
      'elasticloadbalancing:CreateLoadBalancerListeners',
      'elasticloadbalancing:CreateLoadBalancerPolicy',
      'elasticloadbalancing:CreateTargetGroup',
      'elasticloadbalancing:DeleteListener',
      'elasticloadbalancing:DeleteLoadBalancer',
      'elasticloadbalancing:DeleteLoadBalancerListeners',
      'elasticloadbalancing:DeleteTargetGroup',
      'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
      'elasticloadbalancing:DeregisterTargets',
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:DescribeLoadBalancerAttributes',
      'elasticloadbalancing:DescribeLoadBalancerPolicies',
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetHealth',
      'elasticloadbalancing:DetachLoadBalancerFromSubnets',
      'elasticloadbalancing:ModifyListener',
      'elasticloadbalancing:ModifyLoadBalancerAttributes',
      'elasticloadbalancing:ModifyTargetGroup',
      'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
      'elasticloadbalancing:RegisterTargets',
      'elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer',
      'elasticloadbalancing:SetLoadBalancerPoliciesOfListener',
    ],
    Resource: '*',
  },
  { Sid: 'CloudControllerManagerKms', Effect: 'Allow', Action: ['kms:DescribeKey'], Resource: '*' },
];

/** The EBS CSI driver's controller (its example policy): volumes and snapshots it made, by tag. */
const EBS_CSI_CONTROLLER: PolicyStatement[] = [
  {
    Sid: 'EbsCsiDescribe',
    Effect: 'Allow',
    Action: ['ec2:DescribeAvailabilityZones', 'ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:DescribeTags', 'ec2:DescribeVolumes', 'ec2:DescribeVolumesModifications'],
    Resource: '*',
  },
  { Sid: 'EbsCsiAttach', Effect: 'Allow', Action: ['ec2:AttachVolume', 'ec2:DetachVolume', 'ec2:ModifyVolume', 'ec2:CreateSnapshot'], Resource: '*' },
  {
    Sid: 'EbsCsiCreate',
    Effect: 'Allow',
    Action: ['ec2:CreateVolume'],
    Resource: 'arn:aws:ec2:*:*:volume/*',
    Condition: { StringLike: { 'aws:RequestTag/ebs.csi.aws.com/cluster': 'true' } },
  },
  { Sid: 'EbsCsiTagOnCreate', Effect: 'Allow', Action: ['ec2:CreateTags'], Resource: ['arn:aws:ec2:*:*:volume/*', 'arn:aws:ec2:*:*:snapshot/*'], Condition: { StringEquals: { 'ec2:CreateAction': ['CreateVolume', 'CreateSnapshot'] } } },
  {
    Sid: 'EbsCsiDelete',
    Effect: 'Allow',
    Action: ['ec2:DeleteVolume', 'ec2:DeleteSnapshot'],
    Resource: '*',
    Condition: { StringLike: { 'ec2:ResourceTag/ebs.csi.aws.com/cluster': 'true' } },
  },
];

/** Packs whose controllers act on the cloud with the node's identity. */
export const CLOUD_PACKS = { ebsCsi: 'aws-ebs-csi', azureDiskCsi: 'azure-disk-csi' } as const;

/**
 * Per role: the AWS statements and the Azure built-in roles its identity needs, for a cluster on
 * `cloud` whose profile installs `packNames`.
 */
export function nodePermissions(cloud: Cloud, packNames: readonly string[]): Record<NodeRole, { aws: PolicyStatement[]; azureRoles: string[] }> {
  const ebs = cloud === 'aws' && packNames.includes(CLOUD_PACKS.ebsCsi);
  const disk = cloud === 'azure' && packNames.includes(CLOUD_PACKS.azureDiskCsi);
  return {
    // The CCM manages load balancers, routes and nodes; on Azure that is the network and VMs of the group.
    controlPlane: { aws: [...NODE_BASE, ...CLOUD_CONTROLLER_MANAGER], azureRoles: ['Network Contributor', 'Virtual Machine Contributor'] },
    worker: { aws: [...NODE_BASE, ...(ebs ? EBS_CSI_CONTROLLER : [])], azureRoles: disk ? ['Virtual Machine Contributor'] : [] },
  };
}

/** A policy document of statements. */
export const policyDocument = (statements: readonly PolicyStatement[]) => ({ Version: '2012-10-17', Statement: statements });
