import type { AwsAccountSpec } from './cloud-accounts.js';
import { trustPolicyFor } from './cloud-accounts.js';

/**
 * What the role Strata assumes in a customer's account may do: make and remove a cluster's network,
 * load balancer, instances and node identities, bake node images, and nothing else. Node roles and instance profiles
 * live under the /strata/ path, so the IAM permissions (the sensitive ones) reach only those.
 */
export const PROVISIONING_ACTIONS = {
  ec2: [
    'ec2:DescribeAvailabilityZones',
    'ec2:DescribeInstanceTypeOfferings',
    'ec2:DescribeImages',
    'ec2:DescribeInstances',
    'ec2:DescribeVpcs',
    'ec2:DescribeVpcAttribute',
    'ec2:DescribeSubnets',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeInternetGateways',
    'ec2:DescribeNatGateways',
    'ec2:DescribeAddresses',
    'ec2:DescribeRouteTables',
    'ec2:CreateVpc',
    'ec2:ModifyVpcAttribute',
    'ec2:DeleteVpc',
    'ec2:CreateSubnet',
    'ec2:DeleteSubnet',
    'ec2:CreateInternetGateway',
    'ec2:AttachInternetGateway',
    'ec2:DetachInternetGateway',
    'ec2:DeleteInternetGateway',
    'ec2:AllocateAddress',
    'ec2:ReleaseAddress',
    'ec2:CreateNatGateway',
    'ec2:DeleteNatGateway',
    'ec2:CreateRouteTable',
    'ec2:DeleteRouteTable',
    'ec2:CreateRoute',
    'ec2:ReplaceRoute',
    'ec2:AssociateRouteTable',
    'ec2:DisassociateRouteTable',
    'ec2:CreateSecurityGroup',
    'ec2:DeleteSecurityGroup',
    'ec2:AuthorizeSecurityGroupIngress',
    'ec2:RevokeSecurityGroupIngress',
    'ec2:RunInstances',
    'ec2:TerminateInstances',
    'ec2:CreateTags',
  ],
  // The API load balancer, and deleting the Service load balancers the cluster's controller manager
  // made (Classic and v2 load balancers share these action names).
  elb: [
    'elasticloadbalancing:DescribeLoadBalancers',
    'elasticloadbalancing:DescribeTargetGroups',
    'elasticloadbalancing:DescribeTargetGroupAttributes',
    'elasticloadbalancing:DescribeListeners',
    'elasticloadbalancing:DescribeTargetHealth',
    'elasticloadbalancing:DescribeTags',
    'elasticloadbalancing:CreateLoadBalancer',
    'elasticloadbalancing:DeleteLoadBalancer',
    'elasticloadbalancing:CreateTargetGroup',
    'elasticloadbalancing:DeleteTargetGroup',
    'elasticloadbalancing:ModifyTargetGroupAttributes',
    'elasticloadbalancing:CreateListener',
    'elasticloadbalancing:SetSubnets',
    'elasticloadbalancing:RegisterTargets',
    'elasticloadbalancing:DeregisterTargets',
    'elasticloadbalancing:AddTags',
  ],
  iam: [
    'iam:GetRole',
    'iam:CreateRole',
    'iam:DeleteRole',
    'iam:TagRole',
    'iam:GetRolePolicy',
    'iam:PutRolePolicy',
    'iam:DeleteRolePolicy',
    'iam:ListRolePolicies',
    'iam:GetInstanceProfile',
    'iam:CreateInstanceProfile',
    'iam:DeleteInstanceProfile',
    'iam:TagInstanceProfile',
    'iam:AddRoleToInstanceProfile',
    'iam:RemoveRoleFromInstanceProfile',
  ],
  // Baking a node image: stop the builder (launched, tagged and terminated with the actions above),
  // make the image of its disk, copy it to the other regions, and delete an image with its snapshots.
  // Tags given at creation (TagSpecifications) are ec2:CreateTags, granted above.
  images: ['ec2:StopInstances', 'ec2:CreateImage', 'ec2:CopyImage', 'ec2:DeregisterImage', 'ec2:DeleteSnapshot'],
  // A base image named `resolve:ssm:<parameter>`: read, among parameters, only the public ones AWS
  // and the OS vendors publish (Canonical's Ubuntu AMIs are /aws/service/canonical/...).
  ssm: ['ssm:GetParameter'],
};

/** The public parameters (any region, no account) an image reference may name. */
export const PUBLIC_PARAMETERS_ARN = 'arn:${AWS::Partition}:ssm:*::parameter/aws/service/*';

/** The role's name from its ARN (the path is kept apart: CloudFormation takes them separately). */
function roleNameAndPath(roleArn: string): { name: string; path: string } {
  const resource = roleArn.slice(roleArn.indexOf(':role/') + ':role/'.length);
  const parts = resource.split('/');
  const name = parts.pop()!;
  return { name, path: parts.length ? `/${parts.join('/')}/` : '/' };
}

/**
 * A CloudFormation template that makes the role Strata assumes, trusted by Strata's account with
 * this cloud account's ExternalId, with exactly the permissions provisioning needs. The customer
 * deploys it once (console or `aws cloudformation deploy`) and the role ARN matches what was given.
 */
export function setupTemplate(spec: AwsAccountSpec, strataPrincipal: string) {
  const { name, path } = roleNameAndPath(spec.roleArn);
  const partition = spec.roleArn.split(':')[1] ?? 'aws';
  // Nodes are launched with their instance profile, which passes its role to EC2: only Strata's own
  // roles (or the ones the account names) may be passed, and only to EC2.
  const passable = spec.nodeIdentities ? ['arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*'] : ['arn:${AWS::Partition}:iam::${AWS::AccountId}:role/strata/*'];
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `The role Strata assumes to provision Kubernetes clusters (${partition} partition)`,
    Resources: {
      StrataProvisioningRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: name,
          Path: path,
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: trustPolicyFor(spec.externalId, strataPrincipal),
          Policies: [
            {
              PolicyName: 'strata-provisioning',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  { Sid: 'ClusterNetworkAndInstances', Effect: 'Allow', Action: PROVISIONING_ACTIONS.ec2, Resource: '*' },
                  { Sid: 'ApiLoadBalancer', Effect: 'Allow', Action: PROVISIONING_ACTIONS.elb, Resource: '*' },
                  { Sid: 'NodeImages', Effect: 'Allow', Action: PROVISIONING_ACTIONS.images, Resource: '*' },
                  { Sid: 'PublicImageParameters', Effect: 'Allow', Action: PROVISIONING_ACTIONS.ssm, Resource: { 'Fn::Sub': PUBLIC_PARAMETERS_ARN } },
                  {
                    Sid: 'NodeIdentities',
                    Effect: 'Allow',
                    Action: PROVISIONING_ACTIONS.iam,
                    // With the path, and by name alone: a lookup of one that does not exist yet is judged
                    // without its path, and must answer NoSuchEntity rather than AccessDenied.
                    Resource: [
                      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/strata/*' },
                      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:instance-profile/strata/*' },
                      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/strata-cl-*' },
                      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:instance-profile/strata-cl-*' },
                    ],
                  },
                  {
                    Sid: 'PassNodeRolesToEc2',
                    Effect: 'Allow',
                    Action: ['iam:PassRole'],
                    Resource: passable.map((arn) => ({ 'Fn::Sub': arn })),
                    Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
                  },
                  {
                    Sid: 'LoadBalancingServiceLinkedRole',
                    Effect: 'Allow',
                    Action: ['iam:CreateServiceLinkedRole'],
                    Resource: '*',
                    Condition: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
                  },
                ],
              },
            },
          ],
        },
      },
    },
    Outputs: { RoleArn: { Description: 'give this to Strata as the cloud account roleArn', Value: { 'Fn::GetAtt': ['StrataProvisioningRole', 'Arn'] } } },
  };
}
