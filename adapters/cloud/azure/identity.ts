import { createHash } from 'node:crypto';
import type { Identity, ManagedServiceIdentityClient } from '@azure/arm-msi';
import type { ResourceManagementClient } from '@azure/arm-resources';
import { CloudError, TAG_CLUSTER, TAG_NAME, type NodeIdentitySpec, type NodeRole } from '../../../core/cloud.js';
import { azureCall, isNotFound, toCloudError } from './errors.js';

/**
 * Node identities: one user-assigned managed identity per role, `<base>-control-plane` and
 * `<base>-workers`, each given the built-in roles core/node-permissions.ts names, scoped to the
 * cluster's resource group (in a shared group, that whole group: Azure's cloud controller manager
 * finds the cluster's resources there). Identities the cloud account names are used as they are.
 */

/** Built-in role definitions by name: the same ids in every tenant. */
export const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  Contributor: 'b24988ac-6180-42a1-9f27-c4ec4bc2ff7d',
  'Network Contributor': '4d97b98b-1d4f-4787-a291-c67834d212e7',
  'Virtual Machine Contributor': '9980e02c-c2be-4d73-94e8-173b1dc7cf3c',
};

export const ROLE_ASSIGNMENT_API_VERSION = '2022-04-01';
export const IDENTITY_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';

/** Identity names per role, after the security groups'. */
export const identityName = (base: string, role: NodeRole) => (role === 'controlPlane' ? `${base}-control-plane` : `${base}-workers`);

export function roleDefinitionId(subscriptionId: string, roleName: string): string {
  const id = BUILT_IN_ROLES[roleName];
  // Role names come from core/node-permissions.ts, not from users: an unknown one is a bug there.
  if (!id) throw new Error(`no built-in Azure role named '${roleName}' in BUILT_IN_ROLES`);
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${id}`;
}

/**
 * A role assignment's name is a GUID Azure does not derive for us: derive it from what it grants,
 * so a retried PUT lands on the same assignment instead of failing with RoleAssignmentExists.
 */
export function roleAssignmentName(scope: string, roleDefinition: string, principalId: string): string {
  const h = createHash('sha256').update(`${scope}|${roleDefinition}|${principalId}`.toLowerCase()).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const roleAssignmentId = (scope: string, name: string) => `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;

export interface IdentityClients {
  readonly msi: ManagedServiceIdentityClient;
  readonly resources: ResourceManagementClient;
  /** A client for another subscription, where an identity the cloud account names may live. */
  readonly msiFor: (subscriptionId: string) => ManagedServiceIdentityClient;
}

export interface IdentityTarget {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly clusterId: string;
  readonly base: string;
}

export interface NodeIdentities {
  /** Per role: the identity's resource id, which VMs launch with. */
  readonly ids: Record<NodeRole, string>;
  /** The control-plane identity as the cloud controller manager signs in with it (azure.json). */
  readonly controlPlane: { readonly clientId: string; readonly tenantId: string | undefined };
}

/** The identities per role: the account's own, or two made here with their role assignments. */
export async function ensureNodeIdentities(clients: IdentityClients, at: IdentityTarget, spec: NodeIdentitySpec): Promise<NodeIdentities> {
  if (spec.existing) {
    // Only the control plane's is read: its client id is what the controller manager needs.
    const controlPlane = await readIdentity(clients, spec.existing.controlPlane);
    return { ids: { controlPlane: spec.existing.controlPlane, worker: spec.existing.worker }, controlPlane: signInOf(controlPlane, spec.existing.controlPlane) };
  }
  const scope = `/subscriptions/${at.subscriptionId}/resourceGroups/${at.resourceGroup}`;
  const one = async (role: NodeRole): Promise<[string, Identity]> => {
    const name = identityName(at.base, role);
    const identity = await azureCall(() =>
      clients.msi.userAssignedIdentities.createOrUpdate(at.resourceGroup, name, { location: at.location, tags: { [TAG_CLUSTER]: at.clusterId, [TAG_NAME]: name } }),
    );
    if (!identity.principalId) throw new CloudError('IdentityNotReady', `managed identity ${name} has no principal id yet`, true);
    for (const roleName of spec.permissions[role].azureRoles) {
      await assignRole(clients.resources, scope, roleDefinitionId(at.subscriptionId, roleName), identity.principalId);
    }
    return [`${scope}/providers/${IDENTITY_TYPE}/${name}`, identity];
  };
  const [[controlPlane, cpIdentity], [worker]] = await Promise.all([one('controlPlane'), one('worker')]);
  return { ids: { controlPlane, worker }, controlPlane: signInOf(cpIdentity, controlPlane) };
}

const IDENTITY_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/([^/]+)$/i;

/** An identity the cloud account names: it may live in any group or subscription of the tenant. */
async function readIdentity(clients: IdentityClients, id: string): Promise<Identity> {
  const m = IDENTITY_ID.exec(id);
  if (!m) throw new CloudError('InvalidParameter', `${id}: not a user-assigned managed identity id (/subscriptions/…/userAssignedIdentities/<name>)`, false);
  try {
    return await clients.msiFor(m[1]!).userAssignedIdentities.get(m[2]!, m[3]!);
  } catch (e) {
    if (isNotFound(e)) throw new CloudError('IdentityNotFound', `managed identity ${id} named by the cloud account does not exist (${toCloudError(e).message})`, false);
    throw toCloudError(e);
  }
}

function signInOf(identity: Identity, id: string): NodeIdentities['controlPlane'] {
  if (!identity.clientId) throw new CloudError('IdentityNotReady', `managed identity ${id} has no client id yet`, true);
  return { clientId: identity.clientId, tenantId: identity.tenantId };
}

async function assignRole(resources: ResourceManagementClient, scope: string, roleDefinition: string, principalId: string): Promise<void> {
  const id = roleAssignmentId(scope, roleAssignmentName(scope, roleDefinition, principalId));
  try {
    // principalType spares Azure the directory lookup that fails while a new identity replicates.
    await resources.resources.beginCreateOrUpdateByIdAndWait(stripSlash(id), ROLE_ASSIGNMENT_API_VERSION, {
      properties: { roleDefinitionId: roleDefinition, principalId, principalType: 'ServicePrincipal' },
    });
  } catch (e) {
    // The same grant under another name (made by hand, say): what was asked for holds.
    if (toCloudError(e).code === 'RoleAssignmentExists') return;
    throw toCloudError(e);
  }
}

/**
 * Role assignments carry no tags and outlive their principal, so a shared group's deletion removes
 * them by name before the identity: every built-in role this adapter may have granted, at the group.
 */
export async function deleteRoleAssignments(clients: Pick<IdentityClients, 'msi' | 'resources'>, at: Pick<IdentityTarget, 'subscriptionId' | 'resourceGroup'>, identityName: string): Promise<void> {
  let principalId: string | undefined;
  try {
    principalId = (await clients.msi.userAssignedIdentities.get(at.resourceGroup, identityName)).principalId;
  } catch (e) {
    if (isNotFound(e)) return;
    throw toCloudError(e);
  }
  if (!principalId) return;
  const scope = `/subscriptions/${at.subscriptionId}/resourceGroups/${at.resourceGroup}`;
  for (const roleName of Object.keys(BUILT_IN_ROLES)) {
    const id = roleAssignmentId(scope, roleAssignmentName(scope, roleDefinitionId(at.subscriptionId, roleName), principalId));
    await azureCall(() => clients.resources.resources.beginDeleteByIdAndWait(stripSlash(id), ROLE_ASSIGNMENT_API_VERSION));
  }
}

/** The SDK puts the id after a '/' of its own: without this the URL would read '//subscriptions/...'. */
export const stripSlash = (id: string) => id.replace(/^\/+/, '');
