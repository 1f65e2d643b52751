import type { Filter, ResourceType, Tag } from '@aws-sdk/client-ec2';
import { TAG_CLUSTER, TAG_NAME } from '../../../core/cloud.js';
import { hasCode, toCloudError } from './errors.js';

/** Codes that mean the resource is already gone: a deletion that finds them is done. */
const NOT_FOUND = [
  'InvalidGroup.NotFound',
  'InvalidSubnetID.NotFound',
  'InvalidVpcID.NotFound',
  'InvalidInstanceID.NotFound',
  'InvalidInternetGatewayID.NotFound',
  'InvalidRouteTableID.NotFound',
  'InvalidAssociationID.NotFound',
  'InvalidAllocationID.NotFound',
  'NatGatewayNotFound',
  'InvalidNatGatewayID.NotFound',
  'LoadBalancerNotFound',
  'AccessPointNotFound',
  'TargetGroupNotFound',
  'NoSuchEntity',
  // A detach that already happened.
  'Gateway.NotAttached',
];

/** Codes that mean something still depends on the resource: the next pass tries again. */
const IN_USE = ['DependencyViolation', 'ResourceInUse', 'InvalidIPAddress.InUse', 'DeleteConflict'];

/** The call's answer, or its error as the port's CloudError with the provider's code and text. */
export async function mapped<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw toCloudError(err);
  }
}

/** Like `mapped`, but the listed codes mean the wanted state already holds. */
export async function tolerate<T>(call: Promise<T>, ...codes: string[]): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (hasCode(err, ...codes)) return undefined;
    throw toCloudError(err);
  }
}

/** Deletes one resource; returns what blocks it (a dependency) or undefined once it is gone. */
export async function remove(label: string, call: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await call();
    return undefined;
  } catch (err) {
    if (hasCode(err, ...NOT_FOUND)) return undefined;
    if (hasCode(err, ...IN_USE)) return `${label}: ${toCloudError(err).message}`;
    throw toCloudError(err);
  }
}

export const clusterFilter = (clusterId: string): Filter[] => [{ Name: `tag:${TAG_CLUSTER}`, Values: [clusterId] }];
export const nameFilter = (...names: string[]): Filter => ({ Name: `tag:${TAG_NAME}`, Values: names });
export const resourceTags = (clusterId: string, name: string): Tag[] => [
  { Key: TAG_CLUSTER, Value: clusterId },
  { Key: TAG_NAME, Value: name },
];
export const tagSpec = (ResourceType: ResourceType, Tags: Tag[]) => ({ ResourceType, Tags });
export const tagValue = (tags: readonly { Key?: string; Value?: string }[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

/** The tag the cloud controller manager reads and writes on what belongs to a cluster (its cluster name is the cluster id). */
export const kubernetesClusterTag = (clusterId: string) => `kubernetes.io/cluster/${clusterId}`;

/**
 * The tags the Kubernetes cloud controller manager reads (its cluster name is the cluster id): which
 * instances, groups and subnets belong to the cluster, and which subnets take Service load balancers.
 */
export const kubernetesTags = (clusterId: string, subnetRole?: 'public' | 'private'): Tag[] => [
  { Key: kubernetesClusterTag(clusterId), Value: 'owned' },
  ...(subnetRole ? [{ Key: subnetRole === 'public' ? 'kubernetes.io/role/elb' : 'kubernetes.io/role/internal-elb', Value: '1' }] : []),
];
