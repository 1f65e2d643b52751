import { z } from 'zod';
import { ResourceName } from './packs.js';

const AwsAccount = z.strictObject({
  type: z.literal('aws'),
  /** Strata assumes this role; no long-lived keys are ever stored. */
  roleArn: z
    .string()
    .regex(/^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'an IAM role ARN such as arn:aws:iam::123456789012:role/strata'),
  externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, '2-1224 characters of letters, digits and +=,.@:/-'),
});

const uuid = z.uuid('a GUID such as 00000000-0000-0000-0000-000000000000');

const AzureAccount = z.strictObject({
  type: z.literal('azure'),
  tenantId: uuid,
  clientId: uuid,
  subscriptionId: uuid,
  /**
   * Where the client secret lives: a Secrets Manager secret under strata/azure/ (name or ARN) —
   * the only prefix Strata's workflows may read. The secret itself is never sent here.
   */
  secretRef: z
    .string()
    .regex(/^(arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:)?strata\/azure\/[\w/+=.@-]{1,480}$/, 'a Secrets Manager secret named strata/azure/<name> (or its ARN)'),
});

const LocalAccount = z.strictObject({
  type: z.literal('local'),
});

export const CloudAccountSpec = z.discriminatedUnion('type', [AwsAccount, AzureAccount, LocalAccount]);
export type CloudAccountSpec = z.infer<typeof CloudAccountSpec>;

export const CreateCloudAccountInput = z
  .strictObject({
    name: ResourceName,
    spec: CloudAccountSpec,
  })
  .meta({ id: 'CreateCloudAccountInput' });
export type CreateCloudAccountInput = z.infer<typeof CreateCloudAccountInput>;

export interface CloudAccount extends CreateCloudAccountInput {
  readonly id: string;
  readonly createdAt: string;
}
