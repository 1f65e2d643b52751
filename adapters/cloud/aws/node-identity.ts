import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { CloudError, TAG_CLUSTER, type NodeRole, type PolicyStatement } from '../../../core/cloud.js';
import { policyDocument } from '../../../core/node-permissions.js';
import { mapped, remove, tagValue, tolerate } from './calls.js';

const PATH = '/strata/';
const POLICY_NAME = 'strata-node';
const ROLES: readonly NodeRole[] = ['controlPlane', 'worker'];

/** One name for the role and its instance profile, per cluster and node role (64 characters at most). */
export const nodeRoleName = (clusterId: string, role: NodeRole) => `strata-${clusterId}-${role === 'controlPlane' ? 'control-plane' : 'workers'}`.slice(0, 64);

const EC2_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/**
 * A node role's identity, as Cluster API Provider AWS's bootstrap makes it: an IAM role EC2 may
 * assume, with exactly `statements` inline, in an instance profile of the same name. Compared on
 * every pass, so a changed profile (a CSI driver added) changes the permissions too.
 */
export async function ensureNodeIdentity(iam: IAMClient, clusterId: string, role: NodeRole, statements: readonly PolicyStatement[]): Promise<string> {
  const name = nodeRoleName(clusterId, role);
  const existing = await tolerate(iam.send(new GetRoleCommand({ RoleName: name })), 'NoSuchEntity');
  if (existing?.Role) {
    if (tagValue(existing.Role.Tags, TAG_CLUSTER) !== clusterId) {
      throw new CloudError('ResourceNotOwned', `IAM role ${name} exists but is not tagged ${TAG_CLUSTER}=${clusterId}; Strata leaves it alone`, false);
    }
  } else {
    await tolerate(
      iam.send(
        new CreateRoleCommand({
          RoleName: name,
          Path: PATH,
          AssumeRolePolicyDocument: EC2_TRUST,
          Description: `Strata cluster ${clusterId}: ${role === 'controlPlane' ? 'control-plane' : 'worker'} nodes`,
          Tags: [{ Key: TAG_CLUSTER, Value: clusterId }],
        }),
      ),
      'EntityAlreadyExists',
    );
  }
  const document = JSON.stringify(policyDocument(statements));
  const current = await tolerate(iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: POLICY_NAME })), 'NoSuchEntity');
  // IAM answers the document URL-encoded; written only when it differs, so a settled pass changes nothing.
  if (!current?.PolicyDocument || JSON.stringify(JSON.parse(decodeURIComponent(current.PolicyDocument))) !== document) {
    await mapped(iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: POLICY_NAME, PolicyDocument: document })));
  }
  const profile = await tolerate(iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name })), 'NoSuchEntity');
  if (!profile?.InstanceProfile) {
    await tolerate(
      iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Path: PATH, Tags: [{ Key: TAG_CLUSTER, Value: clusterId }] })),
      'EntityAlreadyExists',
    );
  }
  if (!profile?.InstanceProfile?.Roles?.some((r) => r.RoleName === name)) {
    // An instance profile holds one role: LimitExceeded means a concurrent attempt added it.
    await tolerate(iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name })), 'LimitExceeded');
  }
  return name;
}

/** Removes the identities Strata made for the cluster (never ones a cloud account named). */
export async function deleteNodeIdentities(iam: IAMClient, clusterId: string): Promise<string[]> {
  const left: string[] = [];
  for (const role of ROLES) {
    const name = nodeRoleName(clusterId, role);
    const found = await tolerate(iam.send(new GetRoleCommand({ RoleName: name })), 'NoSuchEntity');
    if (found?.Role && tagValue(found.Role.Tags, TAG_CLUSTER) !== clusterId) continue;
    const profile = await tolerate(iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name })), 'NoSuchEntity');
    if (profile?.InstanceProfile && tagValue(profile.InstanceProfile.Tags, TAG_CLUSTER) === clusterId) {
      if (profile.InstanceProfile.Roles?.some((r) => r.RoleName === name)) {
        await tolerate(iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: name })), 'NoSuchEntity');
      }
      const blocked = await remove(`instance profile ${name}`, () => iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name })));
      if (blocked) left.push(blocked);
    }
    if (!found?.Role) continue;
    const policies = (await mapped(iam.send(new ListRolePoliciesCommand({ RoleName: name })))).PolicyNames ?? [];
    for (const PolicyName of policies) await tolerate(iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName })), 'NoSuchEntity');
    const blocked = await remove(`IAM role ${name}`, () => iam.send(new DeleteRoleCommand({ RoleName: name })));
    if (blocked) left.push(blocked);
  }
  return left;
}
