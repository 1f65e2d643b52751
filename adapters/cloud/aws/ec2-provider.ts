import { runInstancesInput } from './run-instances.js';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteInternetGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAddressesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  ReleaseAddressCommand,
  DescribeImagesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
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
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  API_PORT,
  CloudError,
  TAG_CLUSTER,
  TAG_NAME,
  TAG_POOL,
  type ApiEndpointStatus,
  type BakedImage,
  type BuilderInfo,
  type BuilderSpec,
  type CloudProvider,
  type CopyImageSpec,
  type CreateImageSpec,
  type ImageInfo,
  type InfraRefs,
  type InfraSpec,
  type InstanceInfo,
  type InstanceSpec,
  type RegionOfferings,
} from '../../../core/cloud.js';
import { assumeRoleCredentials, type AwsAccountRole } from './credentials.js';
import { clusterFilter, kubernetesClusterTag, kubernetesTags, mapped, nameFilter, remove, resourceTags, tagSpec, tagValue, tolerate } from './calls.js';
import { hasCode, toCloudError } from './errors.js';
import * as images from './images.js';
import { apiLoadBalancerStatus, deleteApiLoadBalancer, deregisterTargets, ensureApiLoadBalancer, registerTargets } from './load-balancer.js';
import { deleteServiceLoadBalancers } from './service-load-balancers.js';
import { checkExistingNetwork, describeRouteTables, describeSubnets, ensureManagedNetwork } from './network.js';
import { deleteNodeIdentities, ensureNodeIdentity } from './node-identity.js';
import { PRIVATE_SUBNET_SLOTS, clusterIngress, fromIpPermissions, ruleKey, staleApiRules, toIpPermissions, type IngressRule } from './security-rules.js';

/** An image reference read from an SSM parameter, as EC2's own RunInstances takes it. */
const SSM_REF = 'resolve:ssm:';

/** Node role tag: listInstances reads back what ensureInstance wrote. */
export const TAG_ROLE = 'strata:role';

/** Every state but terminated: what the port calls an instance of the cluster. */
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];
/** TerminateInstances takes at most 1000 ids a call. */
const TERMINATE_BATCH = 1000;

export interface Ec2ProviderOptions {
  /** The client to speak through, already bound to the account's credentials and to `region`. */
  readonly ec2: EC2Client;
  /** Elastic Load Balancing v2 (the API's network load balancer), same account and region. */
  readonly elb: ElasticLoadBalancingV2Client;
  /** Classic Elastic Load Balancing: what the cloud controller manager makes for Services by default. */
  readonly classicElb: ElasticLoadBalancingClient;
  /** IAM (node roles and instance profiles), same account. */
  readonly iam: IAMClient;
  /**
   * Systems Manager, same account and region: reads the public parameters `resolve:ssm:` image
   * references name.
   * @default an SSMClient for `region` with the EC2 client's credentials
   */
  readonly ssm?: SSMClient;
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
  private readonly elb: ElasticLoadBalancingV2Client;
  private readonly classicElb: ElasticLoadBalancingClient;
  private readonly iam: IAMClient;
  private ssmClient: SSMClient | undefined;
  private readonly clusterId: string | undefined;

  constructor(options: Ec2ProviderOptions) {
    this.ec2 = options.ec2;
    this.elb = options.elb;
    this.classicElb = options.classicElb;
    this.iam = options.iam;
    this.ssmClient = options.ssm;
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

  /**
   * An AMI id, or `resolve:ssm:<parameter>`: a parameter whose value is an AMI id, such as the public
   * ones Canonical publishes its Ubuntu images under (/aws/service/canonical/ubuntu/...), read in the
   * provider's region. Either way the image must be available in the region.
   */
  async resolveImage(ref: string): Promise<ImageInfo> {
    const amiId = ref.startsWith(SSM_REF) ? await this.imageParameter(ref.slice(SSM_REF.length)) : ref;
    const image = await this.availableImage(amiId);
    // Copying an image into another region is a later step; here it must already be in the region.
    return { imageId: image.ImageId ?? amiId, region: this.region, copied: false };
  }

  findImage(signature: string): Promise<BakedImage | undefined> {
    return images.findImage(this.imageContext(), signature);
  }

  describeImage(imageId: string): Promise<BakedImage | undefined> {
    return images.describeImage(this.imageContext(), imageId);
  }

  launchBuilder(spec: BuilderSpec): Promise<BuilderInfo> {
    return images.launchBuilder(this.imageContext(), spec, () => this.availableImage(spec.baseImageId));
  }

  builderStatus(bakeId: string): Promise<BuilderInfo | undefined> {
    return images.builderStatus(this.imageContext(), bakeId);
  }

  stopBuilder(bakeId: string): Promise<BuilderInfo | undefined> {
    return images.stopBuilder(this.imageContext(), bakeId);
  }

  createImage(spec: CreateImageSpec): Promise<BakedImage> {
    return images.createImage(this.imageContext(), spec);
  }

  copyImage(spec: CopyImageSpec): Promise<BakedImage> {
    return images.copyImage(this.imageContext(), spec);
  }

  terminateBuilder(bakeId: string): Promise<BuilderInfo | undefined> {
    return images.terminateBuilder(this.imageContext(), bakeId);
  }

  deleteImage(imageId: string): Promise<void> {
    return images.deleteImage(this.imageContext(), imageId);
  }

  async ensureInfrastructure(spec: InfraSpec): Promise<InfraRefs> {
    this.checkCluster(spec.clusterId);
    if (spec.zones.length === 0 || spec.zones.length > PRIVATE_SUBNET_SLOTS) {
      throw new CloudError('InvalidParameterValue', `a cluster network spans 1 to ${PRIVATE_SUBNET_SLOTS} zones, not ${spec.zones.length}`, false);
    }
    const existing = spec.network.existing;
    const net = existing ? await checkExistingNetwork(this.ec2, spec, existing) : await ensureManagedNetwork(this.ec2, spec);
    const groups = await this.ensureSecurityGroups(spec, net.vpcId);
    const ids = { controlPlane: groups.controlPlane.GroupId!, workers: groups.workers.GroupId!, apiLoadBalancer: groups.apiLoadBalancer.GroupId! };
    const rules = clusterIngress(ids, spec.apiAllowedCidrs, net.vpcCidr, spec.publicApi ? net.natPublicIps : []);
    await this.ensureIngress(groups.controlPlane, rules.controlPlane, staleApiRules);
    await this.ensureIngress(groups.workers, rules.workers);
    await this.ensureIngress(groups.apiLoadBalancer, rules.apiLoadBalancer, staleApiRules);
    const identity = spec.nodeIdentity;
    const nodeIdentity = identity.existing ?? {
      controlPlane: await ensureNodeIdentity(this.iam, spec.clusterId, 'controlPlane', identity.permissions.controlPlane.aws),
      worker: await ensureNodeIdentity(this.iam, spec.clusterId, 'worker', identity.permissions.worker.aws),
    };
    const lb = await ensureApiLoadBalancer(this.elb, {
      clusterId: spec.clusterId,
      clusterName: spec.clusterName,
      vpcId: net.vpcId,
      subnetIds: net.loadBalancerSubnets,
      securityGroupId: ids.apiLoadBalancer,
      internetFacing: spec.publicApi,
    });
    return {
      networkId: net.vpcId,
      subnets: net.nodeSubnets,
      ...(Object.keys(net.publicSubnets).length ? { publicSubnets: net.publicSubnets } : {}),
      networkManaged: net.managed,
      natGatewayIds: net.natGatewayIds,
      nodePublicIp: net.nodePublicIp,
      controlPlaneSecurityGroupId: ids.controlPlane,
      workerSecurityGroupId: ids.workers,
      loadBalancerId: lb.arn,
      // AWS publishes the NLB's name (an internal one resolves to its private addresses).
      apiEndpoint: lb.dnsName,
      apiPort: API_PORT,
      nodeIdentity,
      ...(net.pending ? { pending: net.pending } : {}),
    };
  }

  async registerApiTargets(clusterId: string, instanceIds: readonly string[]): Promise<void> {
    this.checkCluster(clusterId);
    await registerTargets(this.elb, clusterId, instanceIds);
  }

  async deregisterApiTargets(clusterId: string, instanceIds: readonly string[]): Promise<void> {
    this.checkCluster(clusterId);
    await deregisterTargets(this.elb, clusterId, instanceIds);
  }

  async apiEndpointStatus(clusterId: string): Promise<ApiEndpointStatus | undefined> {
    this.checkCluster(clusterId);
    return apiLoadBalancerStatus(this.elb, clusterId);
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
    const image = await this.availableImage(spec.imageId);
    const tags = [...resourceTags(spec.clusterId, spec.name), { Key: TAG_POOL, Value: spec.pool }, { Key: TAG_ROLE, Value: spec.role }, ...kubernetesTags(spec.clusterId)];
    const out = await mapped(
      this.ec2.send(
        new RunInstancesCommand({
          ...runInstancesInput({
            imageId: spec.imageId,
            rootDeviceName: image.RootDeviceName,
            instanceType: spec.instanceType,
            idempotencyToken: spec.idempotencyToken,
            subnetId: spec.subnetId,
            securityGroupId: spec.securityGroupId,
            publicIp: spec.publicIp,
            diskGiB: spec.diskGiB,
            userData: spec.userData,
            tags,
          }),
          IamInstanceProfile: spec.identity ? { Name: spec.identity } : undefined,
        }),
      ),
    ).catch((err: unknown) => {
      // IAM is eventually consistent: a profile made seconds ago may not be visible to EC2 yet.
      if (err instanceof CloudError && err.code === 'InvalidParameterValue' && /iam instance profile/i.test(err.message)) {
        throw new CloudError(err.code, `${err.message} (a new instance profile takes a few seconds to reach EC2; retrying)`, true);
      }
      throw err;
    });
    const instance = out.Instances?.[0];
    if (!instance) throw new CloudError('InternalError', `RunInstances for ${spec.name} returned no instance`);
    return toInstanceInfo(instance, spec);
  }

  async listInstances(clusterId: string): Promise<InstanceInfo[]> {
    this.checkCluster(clusterId);
    const instances = await this.describeInstances([...clusterFilter(clusterId), { Name: 'instance-state-name', Values: LIVE_STATES }]);
    return instances.map((i) => toInstanceInfo(i));
  }

  /**
   * Looked up by id among the cluster's instances first, so that an instance of another cluster
   * (or of nobody's) is refused, never terminated. One already going is left as it is.
   */
  async terminateInstance(clusterId: string, instanceId: string): Promise<InstanceInfo | undefined> {
    this.checkCluster(clusterId);
    const byId: Filter = { Name: 'instance-id', Values: [instanceId] };
    // The tag is checked again here, whatever the endpoint made of the filter.
    const [instance] = (await this.describeInstances([...clusterFilter(clusterId), byId])).filter((i) => tagValue(i.Tags, TAG_CLUSTER) === clusterId);
    if (!instance) {
      // Not the cluster's: either gone, or someone else's, which is told apart from gone.
      const [other] = await this.describeInstances([byId]);
      if (other) throw new CloudError('InstanceNotOwned', `instance ${instanceId} is not tagged ${TAG_CLUSTER}=${clusterId}; Strata leaves it alone`, false);
      return undefined;
    }
    const state = instance.State?.Name;
    if (state === 'shutting-down' || state === 'terminated') return toInstanceInfo(instance);
    const out = await tolerate(this.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })), 'InvalidInstanceID.NotFound');
    if (!out) return undefined;
    const now = out.TerminatingInstances?.find((t) => t.InstanceId === instanceId)?.CurrentState?.Name;
    return { ...toInstanceInfo(instance), state: now === 'terminated' ? 'terminated' : 'shutting-down' };
  }

  /**
   * One pass, in dependency order: the API load balancer (its targets out first) and the instances;
   * once they are gone, NAT gateways, then their Elastic IPs, the internet gateway, route tables,
   * security groups, subnets and the VPC, and last the node identities. What is still in use
   * (DependencyViolation: a load balancer's interfaces linger for a while) is left to the next pass.
   * Only resources tagged for the cluster are touched: a network the cluster brought is never deleted.
   */
  async deleteClusterResources(clusterId: string): Promise<{ remaining: number; details: string[] }> {
    this.checkCluster(clusterId);
    const details = await deleteApiLoadBalancer(this.elb, clusterId);
    // Load balancers the cluster made for its Services hold addresses in its subnets: they go too.
    details.push(...(await deleteServiceLoadBalancers(this.classicElb, this.elb, clusterId)));
    const live = await this.listInstances(clusterId);
    if (live.length > 0) {
      // Instances hold network interfaces in the subnets and groups: the network waits for them.
      const ids = live.filter((i) => i.state !== 'shutting-down').map((i) => i.instanceId);
      for (let i = 0; i < ids.length; i += TERMINATE_BATCH) {
        await tolerate(this.ec2.send(new TerminateInstancesCommand({ InstanceIds: ids.slice(i, i + TERMINATE_BATCH) })), 'InvalidInstanceID.NotFound');
      }
      details.push(...live.map((i) => `instance ${i.instanceId} (${i.name}) is terminating`));
      return { remaining: details.length, details };
    }
    const filters = clusterFilter(clusterId);
    const push = (left: string | undefined) => left && details.push(left);

    const nats = ((await mapped(this.ec2.send(new DescribeNatGatewaysCommand({ Filter: [...filters, { Name: 'state', Values: ['pending', 'available', 'deleting'] }] })))).NatGateways ?? []).filter(
      (n) => tagValue(n.Tags, TAG_CLUSTER) === clusterId, // never another cluster's, whatever the endpoint made of the filter
    );
    for (const nat of nats) {
      if (nat.State !== 'deleting') await tolerate(this.ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat.NatGatewayId })), 'NatGatewayNotFound');
      details.push(`NAT gateway ${nat.NatGatewayId} is being deleted`);
    }
    // A NAT gateway holds its Elastic IP and its interface in the public subnet until it is deleted.
    if (nats.length === 0) {
      for (const a of (await mapped(this.ec2.send(new DescribeAddressesCommand({ Filters: filters })))).Addresses ?? []) {
        push(await remove(`Elastic IP ${a.PublicIp}`, () => this.ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId }))));
      }
    }
    for (const igw of (await mapped(this.ec2.send(new DescribeInternetGatewaysCommand({ Filters: filters })))).InternetGateways ?? []) {
      const label = `internet gateway ${igw.InternetGatewayId}`;
      let blocked: string | undefined;
      for (const a of igw.Attachments ?? []) {
        blocked ??= await remove(label, () => this.ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId, VpcId: a.VpcId })));
      }
      push(blocked ?? (await remove(label, () => this.ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId })))));
    }
    for (const table of await describeRouteTables(this.ec2, filters)) {
      for (const a of table.Associations ?? []) {
        if (!a.Main && a.RouteTableAssociationId) {
          await tolerate(this.ec2.send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId })), 'InvalidAssociationID.NotFound');
        }
      }
      push(await remove(`route table ${table.RouteTableId}`, () => this.ec2.send(new DeleteRouteTableCommand({ RouteTableId: table.RouteTableId }))));
    }
    // Strata's groups, and those the cloud controller manager made for Service load balancers.
    const ccmGroups = await this.describeSecurityGroups([{ Name: `tag:${kubernetesClusterTag(clusterId)}`, Values: ['owned'] }]);
    const groups = [...new Map([...(await this.describeSecurityGroups(filters)), ...ccmGroups].map((g) => [g.GroupId, g])).values()];
    await this.revokeGroupReferences(groups);
    for (const g of groups) {
      push(await remove(`security group ${g.GroupId} (${g.GroupName})`, () => this.ec2.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId }))));
    }
    for (const s of await describeSubnets(this.ec2, filters)) {
      push(await remove(`subnet ${s.SubnetId} (${s.AvailabilityZone})`, () => this.ec2.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId }))));
    }
    const vpcs = (await mapped(this.ec2.send(new DescribeVpcsCommand({ Filters: filters })))).Vpcs ?? [];
    for (const v of vpcs) {
      // Deleting a VPC that still has gateways, subnets or groups can only fail: say what it waits for instead.
      push(details.length > 0 ? `vpc ${v.VpcId} waits for what is in it` : await remove(`vpc ${v.VpcId}`, () => this.ec2.send(new DeleteVpcCommand({ VpcId: v.VpcId }))));
    }
    details.push(...(await deleteNodeIdentities(this.iam, clusterId)));
    return { remaining: details.length, details };
  }

  private checkCluster(clusterId: string): void {
    if (this.clusterId !== undefined && clusterId !== this.clusterId) {
      throw new CloudError('ClusterMismatch', `this provider acts for cluster ${this.clusterId}, not ${clusterId}`, false);
    }
  }

  private imageContext(): images.ImageContext {
    return { ec2: this.ec2, region: this.region };
  }

  private get ssm(): SSMClient {
    // Same credentials and region as EC2; awsProvider passes its own client built like the others.
    this.ssmClient ??= new SSMClient({ region: this.region, credentials: this.ec2.config.credentials, maxAttempts: 5 });
    return this.ssmClient;
  }

  /** The AMI id an SSM parameter holds. A parameter that does not exist is an error no retry fixes. */
  private async imageParameter(name: string): Promise<string> {
    let value: string | undefined;
    try {
      value = (await this.ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (err) {
      const e = toCloudError(err);
      if (e.code !== 'ParameterNotFound' && e.code !== 'ParameterVersionNotFound') throw e;
      // SSM's own text is often empty for a missing parameter: name it and the region.
      const own = e.message && e.message !== e.code && e.message !== 'UnknownError' ? e.message : undefined;
      const text = !own ? `Parameter ${name} not found in ${this.region}.` : own.includes(name) ? `${own} (in ${this.region})` : `${own} (parameter ${name} in ${this.region})`;
      throw new CloudError(e.code, text, false);
    }
    if (!value) throw new CloudError('ParameterNotFound', `the parameter ${name} in ${this.region} has no value`, false);
    return value.trim();
  }

  /** The image by AMI id, which must be available in the region. */
  private async availableImage(ref: string): Promise<Image> {
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

  private async ensureSecurityGroups(spec: InfraSpec, vpcId: string): Promise<{ controlPlane: SecurityGroup; workers: SecurityGroup; apiLoadBalancer: SecurityGroup }> {
    const names = { controlPlane: `${spec.clusterName}-control-plane`, workers: `${spec.clusterName}-workers`, apiLoadBalancer: `${spec.clusterName}-api-lb` };
    const found = await this.describeSecurityGroups([
      ...clusterFilter(spec.clusterId),
      nameFilter(names.controlPlane, names.workers, names.apiLoadBalancer),
      { Name: 'vpc-id', Values: [vpcId] },
    ]);
    // The nodes' groups carry the cloud controller manager's cluster tag (it adds Service rules to them); the load balancer's does not.
    const ensure = async (name: string, description: string, nodes = true): Promise<SecurityGroup> => {
      const existing = found.find((g) => tagValue(g.Tags, TAG_NAME) === name);
      if (existing) return existing;
      try {
        const out = await this.ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: name,
            Description: description,
            VpcId: vpcId,
            TagSpecifications: [tagSpec('security-group', [...resourceTags(spec.clusterId, name), ...(nodes ? kubernetesTags(spec.clusterId) : [])])],
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
      apiLoadBalancer: await ensure(names.apiLoadBalancer, `Strata cluster ${spec.clusterName}: Kubernetes API load balancer`, false),
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
  const client = { region, credentials, maxAttempts: 5 };
  return new Ec2Provider({
    ec2: new EC2Client(client),
    elb: new ElasticLoadBalancingV2Client(client),
    classicElb: new ElasticLoadBalancingClient(client),
    iam: new IAMClient(client),
    ssm: new SSMClient(client),
    region,
    clusterId,
  });
}

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
    ...(i.ImageId ? { imageId: i.ImageId } : {}),
    ...(i.LaunchTime ? { launchedAt: new Date(i.LaunchTime).toISOString() } : {}),
  };
}
