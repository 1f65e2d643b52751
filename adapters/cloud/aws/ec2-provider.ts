import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type _InstanceType,
  type Filter,
  type Image,
  type Instance,
  type IpPermission,
  type ResourceType,
  type SecurityGroup,
  type Tag,
} from '@aws-sdk/client-ec2';
import {
  CloudError,
  TAG_CLUSTER,
  TAG_NAME,
  TAG_POOL,
  type CloudProvider,
  type ImageInfo,
  type InfraRefs,
  type InfraSpec,
  type InstanceInfo,
  type InstanceSpec,
  type RegionOfferings,
} from '../../../core/cloud.js';
import { assumeRoleCredentials, type AwsAccountRole } from './credentials.js';
import { hasCode, toCloudError } from './errors.js';
import {
  SUBNET_SLOTS,
  VPC_CIDR,
  clusterIngress,
  fromIpPermissions,
  ruleKey,
  staleApiRules,
  subnetCidr,
  toIpPermissions,
  type IngressRule,
} from './security-rules.js';

/** Node role tag: listInstances reads back what ensureInstance wrote. */
export const TAG_ROLE = 'strata:role';

/** Every state but terminated: what the port calls an instance of the cluster. */
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];
const NOT_FOUND = ['InvalidGroup.NotFound', 'InvalidSubnetID.NotFound', 'InvalidVpcID.NotFound', 'InvalidInstanceID.NotFound'];
/** TerminateInstances takes at most 1000 ids a call. */
const TERMINATE_BATCH = 1000;

export interface Ec2ProviderOptions {
  /** The client to speak through, already bound to the account's credentials and to `region`. */
  readonly ec2: EC2Client;
  readonly region: string;
  /**
   * The one cluster this provider acts for, when its credentials are a session named for that
   * cluster; calls for another cluster are refused so CloudTrail never blames the wrong one.
   * @default any cluster
   */
  readonly clusterId?: string;
}

/** The EC2 adapter of the cloud-provider port. Everything it makes is found again by its tags. */
export class Ec2Provider implements CloudProvider {
  readonly cloud = 'aws' as const;
  readonly region: string;
  private readonly ec2: EC2Client;
  private readonly clusterId: string | undefined;

  constructor(options: Ec2ProviderOptions) {
    this.ec2 = options.ec2;
    this.region = options.region;
    this.clusterId = options.clusterId;
  }

  async verifyAccess(): Promise<string> {
    try {
      await this.ec2.send(new DescribeInstancesCommand({ DryRun: true, MaxResults: 5 }));
    } catch (err) {
      // A dry run that would have succeeded answers DryRunOperation; anything else is the refusal.
      if (hasCode(err, 'DryRunOperation')) return `assumed the role and may describe instances in ${this.region}`;
      throw toCloudError(err);
    }
    return `assumed the role and described instances in ${this.region}`;
  }

  async offerings(instanceTypes: readonly string[]): Promise<RegionOfferings> {
    const azs = await mapped(this.ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-type', Values: ['availability-zone'] }] })));
    const types = instanceTypes.length
      ? await mapped(
          this.ec2.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: 'region', Filters: [{ Name: 'instance-type', Values: [...new Set(instanceTypes)] }] })),
        )
      : { InstanceTypeOfferings: [] };
    return {
      zones: (azs.AvailabilityZones ?? []).filter((z) => z.State === undefined || z.State === 'available').map((z) => z.ZoneName!),
      instanceTypes: (types.InstanceTypeOfferings ?? []).map((o) => o.InstanceType!),
    };
  }

  async resolveImage(ref: string): Promise<ImageInfo> {
    const image = await this.describeImage(ref);
    // Copying an image into another region is a later step; here it must already be in the region.
    return { imageId: image.ImageId ?? ref, region: this.region, copied: false };
  }

  async ensureInfrastructure(spec: InfraSpec): Promise<InfraRefs> {
    this.checkCluster(spec.clusterId);
    if (spec.zones.length === 0 || spec.zones.length > SUBNET_SLOTS) {
      throw new CloudError('InvalidParameterValue', `a cluster network spans 1 to ${SUBNET_SLOTS} zones, not ${spec.zones.length}`, false);
    }
    const vpcId = await this.ensureVpc(spec);
    const subnets = await this.ensureSubnets(spec, vpcId);
    const groups = await this.ensureSecurityGroups(spec, vpcId);
    const ids = { controlPlane: groups.controlPlane.GroupId!, workers: groups.workers.GroupId! };
    const rules = clusterIngress(ids, spec.apiAllowedCidrs);
    await this.ensureIngress(groups.controlPlane, rules.controlPlane, staleApiRules);
    await this.ensureIngress(groups.workers, rules.workers);
    return {
      networkId: vpcId,
      subnets,
      controlPlaneSecurityGroupId: ids.controlPlane,
      workerSecurityGroupId: ids.workers,
      // The API load balancer (an internal NLB on 6443 in front of the control-plane nodes, with
      // this name in a private hosted zone) is not provisioned by this adapter yet; the name is
      // deterministic so kubeadm's certificates and join commands already carry the final endpoint.
      apiEndpoint: `api.${spec.clusterId}.${this.region}.strata.internal`,
    };
  }

  async ensureInstance(spec: InstanceSpec): Promise<InstanceInfo> {
    this.checkCluster(spec.clusterId);
    const [existing] = await this.describeInstances([
      ...clusterFilter(spec.clusterId),
      { Name: `tag:${TAG_NAME}`, Values: [spec.name] },
      { Name: 'instance-state-name', Values: ['pending', 'running'] },
    ]);
    if (existing) return toInstanceInfo(existing);

    // Size the image's own root volume: a mapping on any other device name adds a second disk.
    const image = await this.describeImage(spec.imageId);
    const tags = [...resourceTags(spec.clusterId, spec.name), { Key: TAG_POOL, Value: spec.pool }, { Key: TAG_ROLE, Value: spec.role }];
    const out = await mapped(
      this.ec2.send(
        new RunInstancesCommand({
          ImageId: spec.imageId,
          // The SDK's list of types is closed; EC2 takes any type, including ones newer than the SDK.
          InstanceType: spec.instanceType as _InstanceType,
          MinCount: 1,
          MaxCount: 1,
          // A retried launch (lost response, workflow retry) returns the first instance, not a second.
          ClientToken: spec.idempotencyToken,
          NetworkInterfaces: [
            {
              DeviceIndex: 0,
              SubnetId: spec.subnetId,
              Groups: [spec.securityGroupId],
              AssociatePublicIpAddress: spec.publicIp,
              DeleteOnTermination: true,
            },
          ],
          // IMDSv2 only, one hop: a pod in its own network namespace cannot take the node's identity;
          // the few that need it (CSI and cloud controllers) run with hostNetwork, set by their pack values.
          MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
          BlockDeviceMappings: [
            {
              DeviceName: image.RootDeviceName ?? '/dev/sda1',
              Ebs: { VolumeSize: spec.diskGiB, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
            },
          ],
          UserData: Buffer.from(spec.userData, 'utf8').toString('base64'),
          TagSpecifications: [tagSpec('instance', tags), tagSpec('volume', tags)],
        }),
      ),
    );
    const instance = out.Instances?.[0];
    if (!instance) throw new CloudError('InternalError', `RunInstances for ${spec.name} returned no instance`);
    return toInstanceInfo(instance, spec);
  }

  async listInstances(clusterId: string): Promise<InstanceInfo[]> {
    this.checkCluster(clusterId);
    const instances = await this.describeInstances([...clusterFilter(clusterId), { Name: 'instance-state-name', Values: LIVE_STATES }]);
    return instances.map((i) => toInstanceInfo(i));
  }

  async deleteClusterResources(clusterId: string): Promise<{ remaining: number; details: string[] }> {
    const live = await this.listInstances(clusterId);
    if (live.length > 0) {
      // Instances hold network interfaces in the subnets and groups: the network waits for them.
      const ids = live.filter((i) => i.state !== 'shutting-down').map((i) => i.instanceId);
      for (let i = 0; i < ids.length; i += TERMINATE_BATCH) {
        await tolerate(this.ec2.send(new TerminateInstancesCommand({ InstanceIds: ids.slice(i, i + TERMINATE_BATCH) })), 'InvalidInstanceID.NotFound');
      }
      return { remaining: live.length, details: live.map((i) => `instance ${i.instanceId} (${i.name}) is terminating`) };
    }

    const details: string[] = [];
    const groups = await this.describeSecurityGroups(clusterFilter(clusterId));
    await this.revokeGroupReferences(groups);
    for (const g of groups) {
      const left = await remove(`security group ${g.GroupId} (${g.GroupName})`, this.ec2.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId })));
      if (left) details.push(left);
    }
    const subnets = (await mapped(this.ec2.send(new DescribeSubnetsCommand({ Filters: clusterFilter(clusterId) })))).Subnets ?? [];
    for (const s of subnets) {
      const left = await remove(`subnet ${s.SubnetId} (${s.AvailabilityZone})`, this.ec2.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId })));
      if (left) details.push(left);
    }
    const vpcs = (await mapped(this.ec2.send(new DescribeVpcsCommand({ Filters: clusterFilter(clusterId) })))).Vpcs ?? [];
    for (const v of vpcs) {
      // Deleting a VPC that still has subnets or groups can only fail: say what it waits for instead.
      const left =
        details.length > 0
          ? `vpc ${v.VpcId} waits for its subnets and security groups`
          : await remove(`vpc ${v.VpcId}`, this.ec2.send(new DeleteVpcCommand({ VpcId: v.VpcId })));
      if (left) details.push(left);
    }
    return { remaining: details.length, details };
  }

  private checkCluster(clusterId: string): void {
    if (this.clusterId !== undefined && clusterId !== this.clusterId) {
      throw new CloudError('ClusterMismatch', `this provider acts for cluster ${this.clusterId}, not ${clusterId}`, false);
    }
  }

  private async describeImage(ref: string): Promise<Image> {
    const out = await mapped(this.ec2.send(new DescribeImagesCommand({ ImageIds: [ref] })));
    const image = out.Images?.[0];
    if (!image) throw new CloudError('InvalidAMIID.NotFound', `The image id '[${ref}]' does not exist in ${this.region}`, false);
    if (image.State && image.State !== 'available') {
      // A pending image (still being baked or copied) becomes usable on its own; a failed one never does.
      throw new CloudError('InvalidAMIID.Unavailable', `The image ${ref} in ${this.region} is ${image.State}`, image.State === 'pending');
    }
    return image;
  }

  private async describeInstances(filters: Filter[]): Promise<Instance[]> {
    const instances: Instance[] = [];
    let NextToken: string | undefined;
    do {
      const out = await mapped(this.ec2.send(new DescribeInstancesCommand({ Filters: filters, NextToken })));
      for (const r of out.Reservations ?? []) instances.push(...(r.Instances ?? []));
      NextToken = out.NextToken;
    } while (NextToken);
    return instances;
  }

  private async describeSecurityGroups(filters: Filter[]): Promise<SecurityGroup[]> {
    return (await mapped(this.ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters })))).SecurityGroups ?? [];
  }

  private async ensureVpc(spec: InfraSpec): Promise<string> {
    const found = await mapped(this.ec2.send(new DescribeVpcsCommand({ Filters: [...clusterFilter(spec.clusterId), nameFilter(spec.clusterName)] })));
    const existing = found.Vpcs?.[0]?.VpcId;
    if (existing) return existing;
    const out = await mapped(
      this.ec2.send(new CreateVpcCommand({ CidrBlock: VPC_CIDR, TagSpecifications: [tagSpec('vpc', resourceTags(spec.clusterId, spec.clusterName))] })),
    );
    return out.Vpc!.VpcId!;
  }

  /**
   * A subnet per zone, named `<cluster>-<zone>`. All the cluster's subnets are read (not only the
   * wanted names) so a new zone's CIDR never collides with a subnet of a zone dropped since.
   */
  private async ensureSubnets(spec: InfraSpec, vpcId: string): Promise<Record<string, string>> {
    const found = await mapped(
      this.ec2.send(new DescribeSubnetsCommand({ Filters: [...clusterFilter(spec.clusterId), { Name: 'vpc-id', Values: [vpcId] }] })),
    );
    const byName = new Map((found.Subnets ?? []).map((s) => [tagValue(s.Tags, TAG_NAME), s]));
    const used = new Set((found.Subnets ?? []).map((s) => s.CidrBlock));
    const subnets: Record<string, string> = {};
    for (const [index, zone] of spec.zones.entries()) {
      const name = `${spec.clusterName}-${zone}`;
      const existing = byName.get(name)?.SubnetId;
      if (existing) {
        subnets[zone] = existing;
        continue;
      }
      // The zone's own slot when free, so a fresh cluster gets 10.0.0.0/20, 10.0.16.0/20, ... in zone order.
      const slot = [index, ...Array.from({ length: SUBNET_SLOTS }, (_, i) => i)].find((i) => !used.has(subnetCidr(i)))!;
      const CidrBlock = subnetCidr(slot);
      used.add(CidrBlock);
      const out = await mapped(
        this.ec2.send(
          new CreateSubnetCommand({
            VpcId: vpcId,
            AvailabilityZone: zone,
            CidrBlock,
            TagSpecifications: [tagSpec('subnet', resourceTags(spec.clusterId, name))],
          }),
        ),
      );
      subnets[zone] = out.Subnet!.SubnetId!;
    }
    return subnets;
  }

  private async ensureSecurityGroups(spec: InfraSpec, vpcId: string): Promise<{ controlPlane: SecurityGroup; workers: SecurityGroup }> {
    const names = { controlPlane: `${spec.clusterName}-control-plane`, workers: `${spec.clusterName}-workers` };
    const found = await this.describeSecurityGroups([
      ...clusterFilter(spec.clusterId),
      nameFilter(names.controlPlane, names.workers),
      { Name: 'vpc-id', Values: [vpcId] },
    ]);
    const ensure = async (name: string, description: string): Promise<SecurityGroup> => {
      const existing = found.find((g) => tagValue(g.Tags, TAG_NAME) === name);
      if (existing) return existing;
      try {
        const out = await this.ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: name,
            Description: description,
            VpcId: vpcId,
            TagSpecifications: [tagSpec('security-group', resourceTags(spec.clusterId, name))],
          }),
        );
        return { GroupId: out.GroupId, GroupName: name, IpPermissions: [] };
      } catch (err) {
        // Group names are unique in a VPC: a concurrent attempt made it first, so use that one.
        if (!hasCode(err, 'InvalidGroup.Duplicate')) throw toCloudError(err);
        const [raced] = await this.describeSecurityGroups([
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'group-name', Values: [name] },
        ]);
        if (!raced) throw toCloudError(err);
        return raced;
      }
    };
    return {
      controlPlane: await ensure(names.controlPlane, `Strata cluster ${spec.clusterName}: control plane`),
      workers: await ensure(names.workers, `Strata cluster ${spec.clusterName}: workers`),
    };
  }

  /** Authorizes the rules the group lacks (and revokes `stale` ones), so a settled group costs no call. */
  private async ensureIngress(
    group: SecurityGroup,
    desired: IngressRule[],
    stale?: (existing: IngressRule[], desired: IngressRule[]) => IngressRule[],
  ): Promise<void> {
    const GroupId = group.GroupId!;
    const existing = fromIpPermissions(group.IpPermissions);
    const have = new Set(existing.map(ruleKey));
    const missing = dedupe(desired).filter((r) => !have.has(ruleKey(r)));
    if (missing.length > 0) {
      try {
        await this.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: toIpPermissions(missing) }));
      } catch (err) {
        if (!hasCode(err, 'InvalidPermission.Duplicate')) throw toCloudError(err);
        // One call is all-or-nothing: a rule added concurrently would block the rest. Add them one by one.
        for (const rule of missing) {
          await tolerate(
            this.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: toIpPermissions([rule]) })),
            'InvalidPermission.Duplicate',
          );
        }
      }
    }
    const revoke = stale?.(existing, desired) ?? [];
    if (revoke.length > 0) {
      await tolerate(
        this.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: toIpPermissions(revoke) })),
        'InvalidPermission.NotFound',
      );
    }
  }

  /** The cluster's groups name each other in their rules, and a group still named can't be deleted. */
  private async revokeGroupReferences(groups: SecurityGroup[]): Promise<void> {
    const ids = new Set(groups.map((g) => g.GroupId));
    for (const g of groups) {
      const refs: IpPermission[] = (g.IpPermissions ?? []).flatMap((p) => {
        const pairs = (p.UserIdGroupPairs ?? []).filter((pair) => ids.has(pair.GroupId));
        return pairs.length > 0
          ? [{ IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort, UserIdGroupPairs: pairs.map((pair) => ({ GroupId: pair.GroupId })) }]
          : [];
      });
      if (refs.length === 0) continue;
      await tolerate(
        this.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: g.GroupId, IpPermissions: refs })),
        'InvalidPermission.NotFound',
        'InvalidGroup.NotFound',
      );
    }
  }
}

/**
 * The EC2 adapter for a customer's account: every call runs as its role, assumed with its ExternalId.
 * With `clusterId` the session is named for the cluster and the provider serves only that cluster.
 */
export function awsProvider(account: AwsAccountRole, region: string, clusterId?: string): Ec2Provider {
  const credentials = assumeRoleCredentials(account, { region, clusterId });
  return new Ec2Provider({ ec2: new EC2Client({ region, credentials, maxAttempts: 5 }), region, clusterId });
}

const clusterFilter = (clusterId: string): Filter[] => [{ Name: `tag:${TAG_CLUSTER}`, Values: [clusterId] }];
const nameFilter = (...names: string[]): Filter => ({ Name: `tag:${TAG_NAME}`, Values: names });
const resourceTags = (clusterId: string, name: string): Tag[] => [
  { Key: TAG_CLUSTER, Value: clusterId },
  { Key: TAG_NAME, Value: name },
];
const tagSpec = (ResourceType: ResourceType, Tags: Tag[]) => ({ ResourceType, Tags });
const tagValue = (tags: Tag[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

function dedupe(rules: IngressRule[]): IngressRule[] {
  const seen = new Set<string>();
  return rules.filter((r) => !seen.has(ruleKey(r)) && seen.add(ruleKey(r)));
}

/** An instance as the port sees it; `spec` fills what a fresh RunInstances answer may lack. */
function toInstanceInfo(i: Instance, spec?: InstanceSpec): InstanceInfo {
  const role = tagValue(i.Tags, TAG_ROLE) ?? spec?.role;
  return {
    instanceId: i.InstanceId!,
    name: tagValue(i.Tags, TAG_NAME) ?? spec?.name ?? i.InstanceId!,
    pool: tagValue(i.Tags, TAG_POOL) ?? spec?.pool ?? '',
    role: role === 'controlPlane' ? 'controlPlane' : 'worker',
    zone: i.Placement?.AvailabilityZone ?? spec?.zone ?? '',
    instanceType: i.InstanceType ?? spec?.instanceType ?? '',
    state: i.State?.Name ?? 'pending',
    privateIp: i.PrivateIpAddress,
  };
}

/** The call's answer, or its error as the port's CloudError with the provider's code and text. */
async function mapped<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw toCloudError(err);
  }
}

/** Like `mapped`, but the listed codes mean the wanted state already holds. */
async function tolerate<T>(call: Promise<T>, ...codes: string[]): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (hasCode(err, ...codes)) return undefined;
    throw toCloudError(err);
  }
}

/** Deletes one resource; returns what blocks it (a dependency) or undefined once it is gone. */
async function remove(label: string, call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    if (hasCode(err, ...NOT_FOUND)) return undefined;
    if (hasCode(err, 'DependencyViolation')) return `${label}: ${toCloudError(err).message}`;
    throw toCloudError(err);
  }
}
