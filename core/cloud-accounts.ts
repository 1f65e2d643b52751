import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { NewProjectId } from './projects.js';
import { invalidField } from './errors.js';
import { ResourceName } from './text.js';
import { Text } from './text.js';
import { setupTemplate } from './setup-template.js';

/**
 * Cloud accounts: where clusters run. An account can never be borrowed by another tenant: Strata
 * makes every AWS account's ExternalId itself (the confused-deputy guard the customer's trust policy
 * requires), and keeps every Azure client secret itself, under a parameter path scoped to the tenant.
 */

const RoleArn = z
  .string()
  .regex(/^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'an IAM role ARN such as arn:aws:iam::123456789012:role/strata');

/** Node identities the account already has; Strata then makes none and launches nodes with these. */
const nodeIdentities = <T extends z.ZodString>(id: T) => z.strictObject({ controlPlane: id, worker: id }).optional();

const AwsAccountInput = z.strictObject({
  type: z.literal('aws'),
  /** Strata assumes this role with the ExternalId it generates; no long-lived keys are ever stored. */
  roleArn: RoleArn,
  /** Instance profile names for control-plane and worker nodes; otherwise Strata makes them per cluster. */
  nodeIdentities: nodeIdentities(z.string().regex(/^[\w+=,.@-]{1,128}$/, 'an instance profile name such as strata-nodes')),
  /** Never sent: Strata generates it, so no tenant can claim another's. */
  externalId: z
    .never({ error: 'Strata generates the ExternalId of every AWS account; leave it out and put the returned trust policy on the role' })
    .optional(),
});

const uuid = z.uuid('a GUID such as 00000000-0000-0000-0000-000000000000');

/** The most a stored credential may hold: what an SSM standard parameter keeps (4 KB). */
export const CREDENTIAL_MAX_BYTES = 4096;

const utf8Length = (s: string) => new TextEncoder().encode(s).length;

/** An SSM parameter name; whether it is the tenant's own is checked with the tenant (azureSecretRefAllowed). */
const SecretRef = z
  .string()
  .regex(/^\/[\w.\-/]{1,1010}$/, 'an SSM parameter name such as /strata/<stack>/tenants/<tenant>/cloudaccounts/<name>');

const AzureAccountInput = z
  .strictObject({
    type: z.literal('azure'),
    tenantId: uuid,
    clientId: uuid,
    subscriptionId: uuid,
    /** The service principal's client secret: taken once, stored by Strata as a SecureString parameter, never returned. */
    clientSecret: Text(CREDENTIAL_MAX_BYTES, 1)
      .refine((s) => utf8Length(s) <= CREDENTIAL_MAX_BYTES, `must be at most ${CREDENTIAL_MAX_BYTES} bytes in UTF-8 (what an SSM standard parameter holds)`)
      .optional(),
    /** Or a SecureString parameter you stored yourself, under <secrets path>/tenants/<your tenant id>/cloudaccounts/. */
    secretRef: SecretRef.optional(),
    /** User-assigned managed identities for control-plane and worker nodes; otherwise Strata makes them per cluster. */
    nodeIdentities: nodeIdentities(
      z
        .string()
        .regex(
          /^\/subscriptions\/[\w-]+\/resourceGroups\/[\w.()-]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[\w-]{3,128}$/i,
          'a user-assigned identity id: /subscriptions/…/resourceGroups/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/…',
        ),
    ),
  })
  .refine((a) => (a.clientSecret === undefined) !== (a.secretRef === undefined), {
    message: 'give the client secret (clientSecret) or where you stored it (secretRef), one of the two',
    path: ['clientSecret'],
  });

const LocalAccount = z.strictObject({
  type: z.literal('local'),
});

export const CloudAccountSpecInput = z.discriminatedUnion('type', [AwsAccountInput, AzureAccountInput, LocalAccount]);

export const CreateCloudAccountInput = z
  .strictObject({
    name: ResourceName,
    projectId: NewProjectId,
    spec: CloudAccountSpecInput,
  })
  .meta({ id: 'CreateCloudAccountInput' });
export type CreateCloudAccountInput = z.infer<typeof CreateCloudAccountInput>;

/** What Strata keeps of an AWS account: the role and the ExternalId it generated. */
export interface AwsAccountSpec {
  readonly type: 'aws';
  readonly roleArn: string;
  readonly externalId: string;
  readonly nodeIdentities?: NodeIdentities;
}

/** Per node role: an AWS instance profile name or an Azure user-assigned identity id. */
export interface NodeIdentities {
  readonly controlPlane: string;
  readonly worker: string;
}

/** What Strata keeps of an Azure account: the service principal and where its secret lives. */
export interface AzureAccountSpec {
  readonly type: 'azure';
  readonly tenantId: string;
  readonly clientId: string;
  readonly subscriptionId: string;
  readonly secretRef: string;
  /** Strata stored the secret itself (and deletes it with the account). */
  readonly secretManaged: boolean;
  readonly nodeIdentities?: NodeIdentities;
}

export type CloudAccountSpec = AwsAccountSpec | AzureAccountSpec | { readonly type: 'local' };
export type CloudAccountType = CloudAccountSpec['type'];

/** The last check of an account's credentials (POST /v1/cloudaccounts/{id}/validate). */
export interface CredentialCheck {
  readonly valid: boolean;
  /** The provider's own error code, when the check failed. */
  readonly code?: string;
  readonly message: string;
  readonly checkedAt: string;
}

export interface CloudAccount {
  readonly id: string;
  readonly name: string;
  /** The project it belongs to (core/projects.ts); absent: shared by the tenant's projects. */
  readonly projectId?: string;
  readonly spec: CloudAccountSpec;
  readonly createdAt: string;
  readonly lastCheck?: CredentialCheck;
}

/** A random ExternalId: 48 URL-safe characters (288 bits), as AWS's guidance asks for an unguessable one. */
export function newExternalId(): string {
  return `strata-${randomBytes(36).toString('base64url')}`;
}

/**
 * Where Strata keeps a tenant's cloud account credentials, under the platform's secrets path
 * (/strata/<stack>); another tenant's prefix is never read.
 */
export const tenantSecretsPrefix = (secretsPath: string, tenantId: string) => `${secretsPath}/tenants/${tenantId}/cloudaccounts/`;

/** The parameter name Strata gives the client secret of one Azure account. */
export const azureSecretName = (secretsPath: string, tenantId: string, accountId: string) => `${tenantSecretsPrefix(secretsPath, tenantId)}${accountId}`;

/** Names accounts kept before the move to Parameter Store: strata/azure/<tenant>/<name>, or its Secrets Manager ARN. */
const LEGACY_SECRET_REF = /^(?:arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:)?strata\/azure\/([^/]+)\/(.+)$/;

/** The parameter an account's secretRef names; an older record's name maps to the same tenant's path (where the upgrade copied it). */
export function secretParameterName(ref: string, secretsPath: string): string {
  const legacy = LEGACY_SECRET_REF.exec(ref);
  return legacy ? `${tenantSecretsPrefix(secretsPath, legacy[1]!)}${legacy[2]!}` : ref;
}

/** Is `ref` under the tenant's own prefix of this platform's secrets path? */
export function azureSecretRefAllowed(ref: string, secretsPath: string, tenantId: string): boolean {
  if (!secretsPath) return false;
  const prefix = tenantSecretsPrefix(secretsPath, tenantId);
  const name = secretParameterName(ref, secretsPath);
  return name.startsWith(prefix) && name.length > prefix.length && !name.slice(prefix.length).split('/').some((part) => part === '..' || part === '.' || part === '');
}

/** Cloud types a deployment accepts: `local` (the simulated cloud) only where the local runtime runs. */
export function checkAccountType(type: CloudAccountType, allowed: readonly CloudAccountType[]): void {
  if (!allowed.includes(type)) {
    throw invalidField('spec.type', type === 'local' ? 'local accounts (the simulated cloud) exist only in the local runtime' : `${type} accounts are not enabled here`);
  }
}

/**
 * The trust policy the customer's role needs: Strata's AWS account may assume it, and only with
 * this account's ExternalId.
 */
export function trustPolicyFor(externalId: string, strataPrincipal: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: strataPrincipal },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ],
  };
}

/** An account as the API shows it: an AWS account with the trust policy and a CloudFormation template of the role, never a secret. */
export function publicCloudAccount(a: CloudAccount, strataPrincipal: string) {
  if (a.spec.type !== 'aws') return a;
  return { ...a, trustPolicy: trustPolicyFor(a.spec.externalId, strataPrincipal), setupTemplate: setupTemplate(a.spec, strataPrincipal) };
}
