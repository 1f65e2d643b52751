import type { _InstanceType, RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import { tagSpec } from './calls.js';

/** What a node and an image builder launch with alike. */
export interface LaunchSpec {
  readonly imageId: string;
  /** The image's root device name: the one volume sized (a mapping on any other name adds a second disk). */
  readonly rootDeviceName?: string;
  readonly instanceType: string;
  readonly idempotencyToken: string;
  readonly subnetId: string;
  readonly securityGroupId: string;
  readonly publicIp: boolean;
  readonly diskGiB: number;
  readonly userData: string;
  readonly tags: readonly Tag[];
}

/**
 * RunInstances for one instance: the client token (a retried launch returns the first instance),
 * one network interface, IMDSv2 only with one hop (a pod in its own network namespace cannot take
 * the instance's identity; the few that need it run with hostNetwork), an encrypted gp3 root
 * volume, the user data, and the tags on the instance and its volume.
 */
export function runInstancesInput(spec: LaunchSpec): RunInstancesCommandInput {
  return {
    ImageId: spec.imageId,
    // The SDK's list of types is closed; EC2 takes any type, including ones newer than the SDK.
    InstanceType: spec.instanceType as _InstanceType,
    MinCount: 1,
    MaxCount: 1,
    ClientToken: spec.idempotencyToken,
    NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: spec.subnetId, Groups: [spec.securityGroupId], AssociatePublicIpAddress: spec.publicIp, DeleteOnTermination: true }],
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
    BlockDeviceMappings: [{ DeviceName: spec.rootDeviceName ?? '/dev/sda1', Ebs: { VolumeSize: spec.diskGiB, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } }],
    UserData: Buffer.from(spec.userData, 'utf8').toString('base64'),
    TagSpecifications: [tagSpec('instance', [...spec.tags]), tagSpec('volume', [...spec.tags])],
  };
}
