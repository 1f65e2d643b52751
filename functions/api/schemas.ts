import { z } from 'zod';
import { COMMAND_KIND_NAMES, COMMAND_STATUSES } from '../../core/agent-commands.js';
import { HeartbeatResponseSchema, PACK_STATUSES } from '../../core/agent-protocol.js';
import { PACK_UPDATE_KINDS } from '../../core/updates.js';
import { NODE_PATCH_STATUSES, NodePatchResult, OsPatchSettings, PATCH_RUN_STATES, PatchedPackage } from '../../core/os-patch.js';
import { PHASES, NodePool, ApiAccess, NetworkSettings } from '../../core/clusters.js';
import { CLOUDS, LAYERS, OsSettings, PackContent } from '../../core/packs.js';
import { HealthSettings } from '../../core/health.js';
import { IMAGE_STATUSES } from '../../core/images.js';
import { ROLES } from '../../core/roles.js';
import { AUDIT_OUTCOMES, AUDIT_RETENTION_DAYS } from '../../core/audit.js';
import { LOG_REQUEST_STATUSES, LOG_TYPES } from '../../core/log-bundles.js';
import { WINDOWS } from './queries.js';

/**
 * What the API answers, and the query strings it takes: zod schemas the handlers use (queries) and
 * the OpenAPI document publishes (both). Integration tests validate every response against the
 * document, so a handler and its documentation cannot drift apart.
 */

// ---------------------------------------------------------------- queries

export { ListQuery, ClusterQuery, ImageQuery, PackQuery, DiffQuery, ValidateQuery, WINDOWS, UsageQuery, NodeQuery } from './queries.js';

// ---------------------------------------------------------------- responses

const Timestamp = z.string().meta({ description: 'ISO 8601 time' });
const page = <T extends z.ZodType>(item: T, id: string) =>
  z
    .strictObject({
      items: z.array(item),
      nextCursor: z.string().optional().meta({ description: 'present when more items follow: pass it as ?cursor=' }),
      readLimitReached: z.literal(true).optional().meta({ description: "the page stopped at DynamoDB's 1 MB read limit: it may hold fewer items, follow nextCursor" }),
    })
    .meta({ id });

export const ErrorBody = z
  .strictObject({
    error: z.string().meta({ description: 'a code: ValidationError, NotFound, Conflict, …' }),
    message: z.string(),
    details: z.array(z.strictObject({ path: z.string().meta({ description: 'the field: nodePools[1].count, query.cursor, headers.content-type, …' }), message: z.string() })),
  })
  .meta({ id: 'Error' });

export const Healthz = z.strictObject({ status: z.literal('ok') });

/** The project a resource belongs to (core/projects.ts). */
const OwningProject = z.string().optional().meta({ description: "the project it belongs to; absent: shared by the tenant's projects (readable by all, changed by tenant-wide roles)" });

export const Tenant = z.strictObject({ id: z.string(), name: z.string(), displayName: z.string().optional(), createdAt: Timestamp }).meta({ id: 'Tenant' });
export const ApiKey = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    operator: z.boolean(),
    createdAt: Timestamp,
    expiresAt: Timestamp.optional().meta({ description: 'when the key stops working (within 5 s, the authorizer cache); absent: until revoked. An expired key stays listed until revoked' }),
    projectId: z.string().optional().meta({ description: 'the project the key is limited to (its role holds there only); absent: the whole tenant' }),
  })
  .meta({ id: 'ApiKey' });
export const ApiKeyCreated = ApiKey.extend({ key: z.string().meta({ description: 'the secret, shown once' }) }).meta({ id: 'ApiKeyCreated' });
export const TenantCreated = z.strictObject({ tenant: Tenant, apiKey: ApiKeyCreated }).meta({ id: 'TenantCreated' });
export const TenantList = z.strictObject({ items: z.array(Tenant) });
export const ApiKeyList = z.strictObject({ items: z.array(ApiKey) });

export const Registry = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    projectId: OwningProject,
    scope: z.enum(['public', 'private']),
    ownerTenantId: z.string(),
    createdAt: Timestamp,
    packCount: z.int().optional().meta({ description: 'packs it holds (private registries)' }),
  })
  .meta({ id: 'Registry' });
export const RegistryList = z.strictObject({ items: z.array(Registry) });

export const Pack = z
  .strictObject({
    id: z.string(),
    registryId: z.string(),
    layer: z.enum(LAYERS),
    name: z.string(),
    version: z.string(),
    description: z.string().optional(),
    values: z.string().meta({ description: 'YAML text' }),
    content: PackContent.optional(),
    os: OsSettings.optional(),
    createdAt: Timestamp,
  })
  .meta({ id: 'Pack' });
export const PackPage = page(Pack, 'PackPage');

export const ResolvedLayer = z
  .strictObject({ layer: z.enum(LAYERS), registryId: z.string(), packId: z.string(), name: z.string(), version: z.string(), values: z.string(), content: PackContent.optional() })
  .meta({ id: 'ResolvedLayer' });
const ProfileFields = {
  id: z.string(),
  name: z.string(),
  projectId: OwningProject,
  description: z.string().optional(),
  latestRevision: z.int(),
  latestHash: z.string().optional().meta({ description: "a hash of the latest revision's packs, versions and values: a cluster whose revision has the same one runs what the latest says" }),
  version: z.int().meta({ description: 'send it back with PUT: a stale one is 409' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  clusterCount: z.int().optional().meta({ description: 'clusters that use the profile' }),
};
export const Profile = z.strictObject(ProfileFields).meta({ id: 'Profile' });
export const ProfileWithLayers = z.strictObject({ ...ProfileFields, layers: z.array(ResolvedLayer) }).meta({ id: 'ProfileWithLayers' });
export const ProfilePage = page(Profile, 'ProfilePage');
export const ProfileRevision = z
  .strictObject({
    profileId: z.string(),
    revision: z.int(),
    layers: z.array(ResolvedLayer),
    createdAt: Timestamp,
    contentHash: z.string().optional().meta({ description: 'a hash of its packs, versions and values: equal hashes run the same (a reverted change)' }),
  })
  .meta({ id: 'ProfileRevision' });
export const RevisionPage = page(ProfileRevision, 'RevisionPage');
const ValueChange = z.strictObject({ path: z.string(), kind: z.enum(['added', 'removed', 'changed']), from: z.unknown().optional(), to: z.unknown().optional() });
export const ProfileDiff = z
  .strictObject({
    profileId: z.string(),
    from: z.int(),
    to: z.int(),
    changes: z.array(
      z.strictObject({
        name: z.string(),
        layer: z.enum(LAYERS),
        change: z.enum(PACK_UPDATE_KINDS),
        fromVersion: z.string().optional(),
        toVersion: z.string().optional(),
        values: z.array(ValueChange),
      }),
    ),
  })
  .meta({ id: 'ProfileDiff' });

export const CredentialCheck = z
  .strictObject({
    valid: z.boolean(),
    code: z.string().optional().meta({ description: "the provider's own error code, when not valid" }),
    message: z.string().meta({ description: "what the provider answered, in its own words" }),
    checkedAt: Timestamp,
  })
  .meta({ id: 'CredentialCheck' });
const NodeIdentities = z
  .strictObject({ controlPlane: z.string(), worker: z.string() })
  .meta({ description: 'existing node identities (AWS instance profile names, Azure identity ids): Strata makes none' });
export const CloudAccount = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    projectId: OwningProject,
    spec: z.discriminatedUnion('type', [
      z.strictObject({
        type: z.literal('aws'),
        roleArn: z.string(),
        externalId: z.string().meta({ description: 'generated by Strata; the role trust policy must require it' }),
        nodeIdentities: NodeIdentities.optional(),
      }),
      z.strictObject({
        type: z.literal('azure'),
        tenantId: z.string(),
        clientId: z.string(),
        subscriptionId: z.string(),
        secretRef: z.string().meta({ description: 'where the client secret is kept; the secret itself is never returned' }),
        secretManaged: z.boolean(),
        nodeIdentities: NodeIdentities.optional(),
      }),
      z.strictObject({ type: z.literal('local') }),
    ]),
    createdAt: Timestamp,
    lastCheck: CredentialCheck.optional(),
    clusterCount: z.int().optional(),
    trustPolicy: z.record(z.string(), z.unknown()).optional().meta({ description: 'AWS: the trust policy to put on the role' }),
    setupTemplate: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'AWS: a CloudFormation template that makes the role, with this trust policy and exactly the permissions provisioning needs' }),
  })
  .meta({ id: 'CloudAccount' });
export const CloudAccountPage = page(CloudAccount, 'CloudAccountPage');

export const Image = z
  .strictObject({
    id: z.string(),
    signature: z.string().meta({ description: 'sha256 of everything that made the image (base image, Kubernetes version when installed, roles, cloud, arch)' }),
    cloud: z.enum(CLOUDS),
    cloudAccountId: z.string(),
    region: z.string(),
    imageId: z.string().optional().meta({ description: "the cloud's id (AMI id, gallery image version id), once made" }),
    name: z.string(),
    status: z.enum(IMAGE_STATUSES),
    stage: z.enum(['launchingBuilder', 'customizing', 'creatingImage', 'copying', 'cleaningUp', 'done']).optional(),
    source: z.strictObject({ registryId: z.string(), packId: z.string(), packName: z.string(), packVersion: z.string(), profileId: z.string(), profileRevision: z.int() }),
    contents: z.strictObject({ kubernetesVersion: z.string().optional(), roles: z.array(z.string()), arch: z.enum(['amd64', 'arm64']) }),
    copiedFrom: z.strictObject({ region: z.string(), imageId: z.string() }).optional(),
    attempt: z.int(),
    requestedBy: z.string().meta({ description: 'the cluster whose provisioning started the current attempt' }),
    builderId: z.string().optional(),
    customization: z.strictObject({ succeeded: z.boolean(), message: z.string(), at: Timestamp }).optional(),
    failure: z.strictObject({ code: z.string(), message: z.string(), retryable: z.boolean(), at: Timestamp }).optional(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    lastUsedAt: Timestamp.optional(),
    version: z.int(),
  })
  .meta({ id: 'Image' });
export const ImagePage = page(Image, 'ImagePage');
export const ImageDetail = Image.extend({
  usedBy: z.array(z.strictObject({ clusterId: z.string(), name: z.string(), phase: z.enum(PHASES) })).meta({ description: 'clusters whose nodes run this image' }),
}).meta({ id: 'ImageDetail' });

const Health = z.strictObject({ health: z.enum(['Healthy', 'Unhealthy', 'Unknown']), reasons: z.array(z.string()) });
const InfraRefs = z.strictObject({
  networkId: z.string(),
  subnets: z.record(z.string(), z.string()).meta({ description: 'zone → the subnet its nodes are launched in' }),
  publicSubnets: z.record(z.string(), z.string()).optional().meta({ description: 'zone → public subnet (NAT gateways, internet-facing load balancer)' }),
  networkManaged: z.boolean().meta({ description: 'false when the cluster brought its own network: Strata never deletes it' }),
  natGatewayIds: z.array(z.string()),
  nodePublicIp: z.boolean(),
  controlPlaneSecurityGroupId: z.string(),
  workerSecurityGroupId: z.string(),
  loadBalancerId: z.string().meta({ description: "the API load balancer's ARN (AWS) or resource id (Azure)" }),
  apiEndpoint: z.string().meta({ description: "the API load balancer's DNS name: kubeadm's controlPlaneEndpoint" }),
  apiPort: z.int(),
  apiHosts: z
    .strictObject({ controlPlane: z.string().optional(), worker: z.string().optional(), join: z.string().optional() })
    .optional()
    .meta({ description: 'where nodes map apiEndpoint in /etc/hosts, where DNS does not serve (Azure internal load balancer)' }),
  pending: z.array(z.string()).optional().meta({ description: 'what the cloud is still making (a NAT gateway not routing yet)' }),
  nodeIdentity: z.strictObject({ controlPlane: z.string(), worker: z.string() }).meta({ description: 'instance profile names (AWS) or managed identity ids (Azure) of the nodes' }),
  cloudProviderConfig: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .meta({ description: "the cloud controller manager's configuration file (Azure's azure.json); holds no secrets" }),
});
const ClusterFields = {
  id: z.string(),
  name: z.string(),
  projectId: OwningProject,
  profileId: z.string(),
  profileRevision: z.int(),
  cloudAccountId: z.string(),
  cloud: z.enum(CLOUDS),
  region: z.string(),
  nodePools: z.array(NodePool),
  overrides: z.record(z.string(), z.string()),
  osPatch: OsPatchSettings,
  apiAccess: ApiAccess,
  network: NetworkSettings.optional().meta({ description: 'absent on clusters made before network settings: a Strata-made network with one NAT gateway' }),
  healthChecks: HealthSettings.optional(),
  phase: z.enum(PHASES),
  generation: z.int().meta({ description: 'desired generation: moves on with every change of what the cluster should be' }),
  version: z.int().meta({ description: 'send it back with PUT: a stale one is 409' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  status: z
    .strictObject({ imageId: z.string().optional(), imageRef: z.string().optional(), infrastructure: InfraRefs.optional(), apiEndpoint: z.string().optional(), observedGeneration: z.int().optional(), nextNodeIndex: z.record(z.string(), z.int()).optional() })
    .optional()
    .meta({ description: 'written by the workflows' }),
  agentToken: z
    .strictObject({ epoch: z.int(), previousEpoch: z.int().optional(), previousValidUntil: Timestamp.optional() })
    .optional()
    .meta({ description: 'which agent-token epochs are accepted; the token itself is never shown' }),
  caCertHash: z.string().optional().meta({ description: "sha256 of the cluster CA's public key, pinned by every joining node" }),
  openCommands: z.int().optional().meta({ description: 'commands for its agent not finished yet' }),
  pendingUpdate: z
    .strictObject({ latestRevision: z.int(), revisionsBehind: z.int().min(1) })
    .optional()
    .meta({ description: 'present when the profile has a later revision whose packs or values differ from the one the cluster runs: GET /v1/clusters/{id}/updates lists the changes' }),
};
export const Cluster = z.strictObject(ClusterFields).meta({ id: 'Cluster' });
export const ClusterWithStatus = z
  .strictObject({ ...ClusterFields, ready: z.strictObject({ status: z.enum(['True', 'False', 'Unknown']), reason: z.string(), message: z.string() }), health: Health })
  .meta({ id: 'ClusterWithStatus' });
export const ClusterPage = page(Cluster, 'ClusterPage');
export const TokenRotation = z
  .strictObject({ epoch: z.int(), previousEpoch: z.int(), previousValidUntil: Timestamp, message: z.string() })
  .meta({ id: 'TokenRotation' });

const Condition = z
  .strictObject({
    type: z.string(),
    status: z.enum(['True', 'False', 'Unknown']),
    reason: z.string(),
    message: z.string(),
    lastTransitionTime: Timestamp,
    attempts: z.int(),
    observedGeneration: z.int(),
    title: z.string(),
  })
  .meta({ id: 'Condition' });
export const ConditionList = z.strictObject({ clusterId: z.string(), phase: z.enum(PHASES), health: Health, items: z.array(Condition) });

const Event = z
  .strictObject({
    id: z.string(),
    clusterId: z.string(),
    clusterName: z.string().optional().meta({ description: 'the cluster the event is about (in the tenant-wide stream)' }),
    type: z.enum(['Normal', 'Warning']),
    reason: z.string(),
    message: z.string(),
    subject: z.string().optional(),
    at: Timestamp.meta({ description: 'when it was last seen' }),
    count: z.int().min(1).meta({ description: 'how often it happened, each within 10 minutes of the one before' }),
    firstSeen: Timestamp,
    lastSeen: Timestamp,
  })
  .meta({ id: 'Event' });
export const EventPage = page(Event, 'EventPage');

export const AuditEntry = z
  .strictObject({
    id: z.string().meta({ description: '<at>#<requestId>: sorts by time, unique per request' }),
    at: z.string(),
    tenantId: z.string(),
    actor: z.strictObject({
      type: z.enum(['apiKey', 'user']),
      id: z.string().meta({ description: 'the API key id, or user:<subject> for a person signed in through the tenant identity provider' }),
      name: z.string().optional().meta({ description: "a user's e-mail address or name" }),
      role: z.enum(ROLES),
    }),
    action: z.string().meta({ description: 'the route: method and resource template, e.g. PUT /v1/clusters/{id}' }),
    method: z.string(),
    path: z.string().meta({ description: 'the concrete path, e.g. /v1/clusters/cl-123' }),
    resourceType: z.string().meta({ description: 'the first path segment after /v1/, e.g. clusters' }),
    resourceId: z.string().optional().meta({ description: "the path's id, or the id a create answered with" }),
    project: z.string().optional().meta({ description: "the resource's project, as the answer named it; failing that, the caller's only project" }),
    outcome: z.enum(AUDIT_OUTCOMES).meta({ description: 'success (2xx), refused (4xx) or error (5xx)' }),
    status: z.int(),
    error: z.string().optional().meta({ description: 'the error code of a refused or failed request' }),
    message: z.string().optional().meta({ description: 'its message, up to 300 characters' }),
    sourceIp: z.string(),
    requestId: z.string(),
    userAgent: z.string().optional(),
  })
  .meta({ id: 'AuditEntry', description: `one request that changed something or read something sensitive; kept ${AUDIT_RETENTION_DAYS} days, never changed` });
export const AuditPage = page(AuditEntry, 'AuditPage');

export const SsoConfig = z
  .strictObject({
    tenantId: z.string(),
    issuer: z.string().meta({ description: "the provider's issuer, exactly as its tokens' iss claim" }),
    clientId: z.string().meta({ description: "the client registered at the provider for Strata's console and CLI (public, PKCE)" }),
    groupsClaim: z.string().meta({ description: 'the ID token claim that lists the groups' }),
    scopes: z.array(z.string()).meta({ description: 'what sign-in asks the provider for' }),
    groupRoles: z
      .array(z.strictObject({ group: z.string(), role: z.enum(ROLES), project: z.string().optional().meta({ description: 'the project the role holds in; absent: the whole tenant' }) }))
      .meta({ description: "a user's role is the highest tenant-wide role their groups map to; failing one, the highest role per project" }),
    updatedAt: Timestamp,
  })
  .meta({ id: 'SsoConfig' });

export const SignInInfo = z
  .strictObject({
    tenant: z.string(),
    issuer: z.string(),
    clientId: z.string(),
    authorizationEndpoint: z.string().meta({ description: 'where to send the browser, with response_type=code and a PKCE S256 challenge' }),
    endSessionEndpoint: z.string().optional().meta({ description: "where signing out ends the provider's session too (RP-Initiated Logout), when the provider has one" }),
    scopes: z.array(z.string()),
  })
  .meta({ id: 'SignInInfo' });

export const SignInTokens = z
  .strictObject({
    idToken: z.string().meta({ description: 'the bearer token for this API (Authorization: Bearer <idToken>) until expiresAt' }),
    expiresAt: Timestamp,
    refreshToken: z.string().optional().meta({ description: 'for POST /v1/signin/{tenant}/token {refreshToken} when the ID token expires (when the provider issues one)' }),
    tenantId: z.string(),
    role: z.enum(ROLES).meta({ description: "the highest role the user's groups map to (tenant-wide, or the highest of their project roles)" }),
    projects: z.record(z.string(), z.enum(ROLES)).optional().meta({ description: 'for a user whose groups map to project roles only: the role in each project' }),
    user: z.strictObject({ subject: z.string(), name: z.string().optional(), email: z.string().optional(), groups: z.array(z.string()) }),
  })
  .meta({ id: 'SignInTokens' });

const QuotaCounts = { clusters: z.int(), nodes: z.int() };
export const Quotas = z
  .strictObject({
    tenantId: z.string(),
    quotas: z.strictObject({ clusters: z.int().optional(), nodes: z.int().optional() }).meta({ description: 'absent: no limit' }),
    usage: z.strictObject(QuotaCounts).meta({ description: "clusters not yet Deleted, and their pools' node counts" }),
  })
  .meta({ id: 'Quotas' });
export { AuditQuery, AuditExportQuery } from './queries.js';

export { EventQuery, TenantEventQuery, FOLLOW_MAX_WAIT_SECONDS, FollowQuery, EventFollowQuery } from './queries.js';
export const EventFollow = z
  .strictObject({
    items: z.array(Event).meta({ description: 'events after `after`, oldest first; empty when none came within waitSeconds' }),
    after: z.string().meta({ description: 'pass it as ?after= on the next call' }),
  })
  .meta({ id: 'EventFollow' });

const NodeCondition = z.strictObject({ type: z.string(), status: z.enum(['True', 'False', 'Unknown']), reason: z.string().optional(), message: z.string().optional(), lastTransitionTime: z.string().optional() });
/** What the node runs, from its kubelet's status.nodeInfo, and whether it takes new pods; each only where the agent reported it. */
const NodeFactsView = {
  kubeletVersion: z.string().optional().meta({ description: 'the kubelet version the node runs (v1.31.10): during an upgrade, old and new side by side' }),
  osImage: z.string().optional().meta({ description: 'the operating system (Ubuntu 22.04.5 LTS)' }),
  kernelVersion: z.string().optional(),
  containerRuntimeVersion: z.string().optional().meta({ description: 'runtime://version (containerd://1.7.24)' }),
  unschedulable: z.boolean().optional().meta({ description: 'cordoned or drained: no new pods are scheduled on it' }),
};
/** The node's last OS patch, as its patch run recorded it. */
const LastPatch = z
  .strictObject({
    runId: z.string(),
    at: Timestamp,
    status: z.enum(NODE_PATCH_STATUSES),
    packages: z.array(PatchedPackage),
    rebootRequired: z.boolean(),
    rebooted: z.boolean(),
    message: z.string().optional(),
  })
  .meta({ id: 'LastPatch', description: "the node's last OS patch: when, the packages updated and whether it rebooted" });
export const NodeList = z.strictObject({
  clusterId: z.string(),
  reportedAt: Timestamp.optional(),
  items: z.array(
    z.strictObject({
      name: z.string(),
      pool: z.string().optional(),
      role: z.enum(['controlPlane', 'worker']),
      zone: z.string().optional(),
      instanceType: z.string().optional(),
      instanceId: z.string().optional(),
      privateIp: z.string().optional(),
      instanceState: z.string().optional(),
      imageId: z.string().optional().meta({ description: 'the image the instance runs, as the cloud reports it' }),
      launchedWith: z
        .strictObject({ imageRef: z.string(), kubernetesVersion: z.string(), diskGiB: z.int() })
        .optional()
        .meta({ description: "what Strata launched the node as: the OS pack's image reference, the Kubernetes version, the disk" }),
      phase: z.enum(['draining', 'drained', 'terminating']).optional().meta({ description: 'what the reconciler is doing to the node on its way out' }),
      lastPatch: LastPatch.optional(),
      providerID: z.string().optional().meta({ description: "the node's spec.providerID, set by the cloud controller manager, as the agent reports it" }),
      ...NodeFactsView,
      ready: z.boolean(),
      conditions: z.array(NodeCondition),
    }),
  ),
});
const NodeUsage = z.strictObject({
  name: z.string(),
  role: z.enum(['controlPlane', 'worker']),
  cpuUsedCores: z.number(),
  memoryUsedBytes: z.number(),
  cpuAllocatableCores: z.number(),
  memoryAllocatableBytes: z.number(),
  cpuRequestedCores: z.number(),
  memoryRequestedBytes: z.number(),
  diskUsedPercent: z.number().optional(),
  cpuUsagePercent: z.number(),
  memoryUsagePercent: z.number(),
  cpuRequestsPercent: z.number(),
  memoryRequestsPercent: z.number(),
});
const Quantities = z.record(z.string(), z.string());
export const NodeDetail = z.strictObject({
  clusterId: z.string(),
  name: z.string(),
  role: z.enum(['controlPlane', 'worker']),
  zone: z.string().optional(),
  instanceType: z.string().optional(),
  lastPatch: LastPatch.optional(),
  ...NodeFactsView,
  addresses: z.array(z.strictObject({ type: z.string(), address: z.string() })),
  ready: z.boolean(),
  conditions: z.array(NodeCondition),
  capacity: Quantities.optional(),
  allocatable: Quantities.optional(),
  usage: NodeUsage,
  window: z.enum(Object.keys(WINDOWS) as [keyof typeof WINDOWS]),
  resolution: z.enum(['1m', '5m', '1h']),
  series: z.array(z.strictObject({ t: Timestamp, coresUsed: z.number(), memoryUsedBytes: z.number(), diskUsedPercent: z.number().optional() })),
});
export const Usage = z.strictObject({
  clusterId: z.string(),
  window: z.enum(Object.keys(WINDOWS) as [keyof typeof WINDOWS]),
  resolution: z.enum(['1m', '5m', '1h']),
  includeControlPlane: z.boolean(),
  at: Timestamp.optional(),
  now: z.strictObject({
    nodes: z.int(),
    coresUsed: z.number(),
    cpuAllocatableCores: z.number(),
    cpuUsagePercent: z.number(),
    memoryUsedBytes: z.number(),
    memoryAllocatableBytes: z.number(),
    memoryUsagePercent: z.number(),
    cpuRequestedCores: z.number(),
    cpuRequestsPercent: z.number(),
    memoryRequestedBytes: z.number(),
    memoryRequestsPercent: z.number(),
  }),
  nodes: z.array(NodeUsage),
  series: z.array(z.strictObject({ t: Timestamp, coresUsed: z.number(), cpuUsagePercent: z.number(), memoryUsagePercent: z.number() })),
});
export const ServiceList = z.strictObject({
  clusterId: z.string(),
  reportedAt: Timestamp.optional(),
  items: z.array(
    z.strictObject({
      namespace: z.string(),
      name: z.string(),
      type: z.enum(['LoadBalancer', 'NodePort']),
      status: z.enum(['Ready', 'Pending']),
      ports: z.array(z.strictObject({ name: z.string().optional(), port: z.int(), nodePort: z.int().optional(), protocol: z.string() })),
      links: z.array(z.string().meta({ description: 'http(s)://host:port' })),
    }),
  ),
});

export { HeartbeatResponseSchema as HeartbeatAnswer };

export const Command = z
  .strictObject({
    id: z.string(),
    clusterId: z.string(),
    kind: z.enum(COMMAND_KIND_NAMES),
    args: z.record(z.string(), z.unknown()),
    status: z.enum(COMMAND_STATUSES),
    createdAt: Timestamp,
    deadline: Timestamp,
    deliveredAt: Timestamp.optional(),
    updatedAt: Timestamp,
    progress: z.int().optional(),
    message: z.string().optional(),
    result: z.unknown().optional(),
  })
  .meta({ id: 'Command' });
export const CommandPage = page(Command, 'CommandPage');
export const CommandAck = z.strictObject({ id: z.string(), status: z.enum(COMMAND_STATUSES) }).meta({ id: 'CommandAck' });

// ---------------------------------------------------------------- profile updates

const ValueUpdate = z
  .strictObject({
    path: z.string().meta({ description: 'key path: controller.replicas, env[name=HTTP_PROXY].value, "app.kubernetes.io/name"' }),
    kind: z.enum(['added', 'removed', 'changed']),
    from: z.unknown().optional().meta({ description: "the profile's value in the revision the cluster runs" }),
    to: z.unknown().optional().meta({ description: "the profile's value in the target revision" }),
    cluster: z.unknown().optional().meta({ description: "what the cluster's override sets here, when it sets something" }),
    merge: z.enum(['clean', 'conflict']).meta({ description: 'conflict: the cluster overrides this path with another value; resolve it before applying' }),
    key: z.string().meta({ description: '<pack>/<path>: the key of its resolution' }),
  })
  .meta({ id: 'ValueUpdate' });
export const PackUpdate = z
  .strictObject({
    name: z.string(),
    layer: z.enum(LAYERS),
    change: z.enum(PACK_UPDATE_KINDS),
    fromVersion: z.string().optional(),
    toVersion: z.string().optional(),
    values: z.array(ValueUpdate),
    overridesDropped: z.literal(true).optional().meta({ description: "a removed pack the cluster overrode: its overrides go with it" }),
  })
  .meta({ id: 'PackUpdate' });
export const ClusterUpdates = z
  .strictObject({
    clusterId: z.string(),
    profileId: z.string(),
    profileName: z.string(),
    currentRevision: z.int().meta({ description: 'the revision the cluster runs' }),
    latestRevision: z.int(),
    toRevision: z.int().meta({ description: 'the revision compared with: the latest, or ?toRevision=' }),
    updateAvailable: z.boolean().meta({ description: 'the latest revision differs from the one the cluster runs' }),
    revisionsBehind: z.int().min(0),
    packs: z.array(PackUpdate),
    conflicts: z.array(z.string()).meta({ description: 'keys of the conflicting values: each needs a resolution' }),
  })
  .meta({ id: 'ClusterUpdates' });
export { UpdateQuery } from './queries.js';
export const AppliedUpdate = z
  .strictObject({
    cluster: Cluster,
    fromRevision: z.int(),
    toRevision: z.int(),
    overrides: z.record(z.string(), z.string()).meta({ description: "the cluster's overrides after the merge" }),
  })
  .meta({ id: 'AppliedUpdate' });
export const RevisionHistoryEntry = z
  .strictObject({
    clusterId: z.string(),
    revision: z.int(),
    fromRevision: z.int().optional().meta({ description: 'absent for the revision the cluster was made with' }),
    action: z.enum(['create', 'update', 'apply', 'rollback']),
    appliedBy: z.string().meta({ description: 'the API key (id) that made the change' }),
    appliedAt: Timestamp,
    generation: z.int(),
  })
  .meta({ id: 'RevisionHistoryEntry' });
export const RevisionHistoryPage = page(RevisionHistoryEntry, 'RevisionHistoryPage');
export const PackValues = z
  .strictObject({
    clusterId: z.string(),
    pack: z.string(),
    layer: z.enum(LAYERS),
    version: z.string(),
    profileRevision: z.int(),
    profileValues: z.string().meta({ description: "the profile layer's values (YAML)" }),
    overrides: z.string().meta({ description: "the cluster's partial document: only the keys it sets ('' when none)" }),
    values: z.string().meta({ description: 'what the agent applies: the profile values with the overrides merged on top' }),
    differences: z
      .array(z.strictObject({ path: z.string(), profile: z.unknown().optional(), cluster: z.unknown() }))
      .meta({ description: 'every key path where the cluster differs from the profile' }),
    generation: z.int(),
    observedGeneration: z.int().optional(),
    status: z
      .strictObject({
        status: z.enum(PACK_STATUSES),
        version: z.string(),
        message: z.string().optional(),
        valuesApplied: z.boolean().meta({ description: 'the agent reports these very values applied (by their digest)' }),
        reportedAt: Timestamp,
      })
      .optional()
      .meta({ description: "the pack as the agent last reported it" }),
  })
  .meta({ id: 'PackValues' });
export const ProfileClusters = z
  .strictObject({
    profileId: z.string(),
    latestRevision: z.int(),
    items: z.array(
      z.strictObject({
        id: z.string(),
        name: z.string(),
        projectId: OwningProject,
        phase: z.enum(PHASES),
        profileRevision: z.int(),
        revisionsBehind: z.int().min(0),
        updateAvailable: z.boolean(),
      }),
    ),
    nextCursor: z.string().optional(),
  })
  .meta({ id: 'ProfileClusters' });

// ---------------------------------------------------------------- OS patching

export const PatchRun = z
  .strictObject({
    id: z.string(),
    clusterId: z.string(),
    trigger: z.enum(['schedule', 'manual']),
    scheduledTime: Timestamp.meta({ description: "the schedule's time of this run (Scheduler's scheduled-time), or when it was asked for" }),
    windowEndsAt: Timestamp.meta({ description: 'past this the run stops at a node boundary; the nodes left go first in the next window' }),
    state: z.enum(PATCH_RUN_STATES),
    message: z.string().optional(),
    startedAt: Timestamp,
    finishedAt: Timestamp.optional(),
    requestedBy: z.string().optional(),
    nodes: z.array(NodePatchResult),
  })
  .meta({ id: 'PatchRun' });
export const OsPatchView = z
  .strictObject({
    clusterId: z.string(),
    settings: OsPatchSettings,
    scheduleExpression: z.string().optional().meta({ description: "the EventBridge Scheduler expression the settings make, e.g. cron(0 3 ? * 1 *) (day-of-week 1 is Sunday); absent when frequency is none" }),
    nextRuns: z
      .array(z.strictObject({ at: Timestamp, local: z.string().meta({ description: "the start in the cluster's time zone: 2026-12-06 03:00 (Europe/Berlin)" }), windowEndsAt: Timestamp }))
      .meta({ description: 'the next five starts, as Scheduler will run them (a start in a daylight-saving gap is skipped, one in an overlap runs once)' }),
    activeRun: PatchRun.optional(),
    runs: z.array(PatchRun).meta({ description: 'the latest runs, newest first' }),
    dryRun: z.literal(true).optional(),
  })
  .meta({ id: 'OsPatchView' });

// ---------------------------------------------------------------- log bundles

export const LogRequestView = z
  .strictObject({
    id: z.string(),
    clusterId: z.string(),
    status: z.enum(LOG_REQUEST_STATUSES).meta({ description: 'Pending (not yet with the agent), Collecting, Ready (stored and its size checked), Failed (message says why)' }),
    types: z.array(z.enum(LOG_TYPES)),
    nodes: z.array(z.string()).optional(),
    sinceMinutes: z.int(),
    maxLines: z.int(),
    commandId: z.string().meta({ description: 'the agent command that collects it' }),
    requestedAt: Timestamp,
    requestedBy: z.string().meta({ description: 'the API key id that asked, or user:<subject> for a signed-in person' }),
    updatedAt: Timestamp,
    finishedAt: Timestamp.optional(),
    bytes: z.int().optional().meta({ description: 'the stored archive size, when Ready' }),
    files: z.int().optional().meta({ description: 'files collected (manifest.json lists them)' }),
    missing: z.int().optional().meta({ description: 'what could not be collected (manifest.json says why)' }),
    archiveExpiresAt: Timestamp.optional().meta({ description: "when the bucket's lifecycle rule deletes the archive" }),
    message: z.string().optional(),
    download: z
      .strictObject({
        url: z.string().meta({ description: 'a presigned GET URL of the tar.gz' }),
        expiresAt: Timestamp.meta({ description: 'the URL works until then (5 minutes); GET the request again for a new one' }),
        fileName: z.string(),
      })
      .optional()
      .meta({ description: 'present when Ready' }),
  })
  .meta({ id: 'LogRequest' });
export const LogRequestPage = page(LogRequestView, 'LogRequestPage');

// ---------------------------------------------------------------- compliance (kube-bench)

const Counts = { pass: z.int(), fail: z.int(), warn: z.int(), info: z.int() };
const ComplianceTotals = z.strictObject(Counts).meta({ id: 'ComplianceTotals' });
const ComplianceTarget = z
  .strictObject({ target: z.string().meta({ description: "the control's node_type: master, controlplane, node, etcd, policies, …" }), id: z.string(), text: z.string(), version: z.string(), ...Counts })
  .meta({ id: 'ComplianceTarget' });
const FailingCheck = z
  .strictObject({ id: z.string().meta({ description: 'the check number, e.g. 1.1.12' }), target: z.string(), section: z.string(), text: z.string(), remediation: z.string(), scored: z.boolean() })
  .meta({ id: 'FailingCheck' });
/** A run without its failing checks: what lists show. */
const ComplianceRunFields = {
  id: z.string(),
  clusterId: z.string(),
  scanId: z.string().meta({ description: 'the scan it answers (a command), or sched-… for one the agent ran on its schedule' }),
  node: z.string().meta({ description: 'the node kube-bench ran on' }),
  trigger: z.enum(['command', 'schedule']),
  at: Timestamp,
  totals: ComplianceTotals,
  targets: z.array(ComplianceTarget),
  form: z.enum(['object', 'array']).meta({ description: "which of kube-bench's JSON forms the report had" }),
  reportBytes: z.int(),
};
export const ComplianceRunSummary = z.strictObject(ComplianceRunFields).meta({ id: 'ComplianceRunSummary' });
export const ComplianceRun = z
  .strictObject({
    ...ComplianceRunFields,
    failing: z.array(FailingCheck).meta({ description: 'failing checks, by target and check number' }),
    failingTruncated: z.boolean().meta({ description: 'more checks failed than the summary keeps: the raw report has them all' }),
    report: z.strictObject({ url: z.string().meta({ description: "a presigned GET URL of kube-bench's own JSON" }), expiresAt: Timestamp }),
  })
  .meta({ id: 'ComplianceRun' });
export const ClusterCompliance = z
  .strictObject({
    clusterId: z.string(),
    latest: ComplianceRun.optional().meta({ description: 'the newest run, with its failing checks; absent before the first' }),
    history: z.array(ComplianceRunSummary).meta({ description: 'runs, newest first (a page: see nextCursor)' }),
    nextCursor: z.string().optional(),
    scanning: z.strictObject({ scanId: z.string(), commandId: z.string(), status: z.enum(COMMAND_STATUSES), requestedAt: Timestamp }).optional().meta({ description: 'a scan asked for and not yet reported' }),
  })
  .meta({ id: 'ClusterCompliance' });
export const TenantComplianceItem = z
  .strictObject({ clusterId: z.string(), clusterName: z.string(), runId: z.string(), at: Timestamp, totals: ComplianceTotals, targets: z.array(ComplianceTarget) })
  .meta({ id: 'TenantComplianceItem' });
export const TenantCompliancePage = page(TenantComplianceItem, 'TenantCompliancePage');
export const ScanAccepted = z.strictObject({ scanId: z.string(), commandId: z.string(), status: z.enum(COMMAND_STATUSES) }).meta({ id: 'ScanAccepted' });
export { ComplianceReportQuery } from '../agent/compliance-query.js';
/** kube-bench's --json output as it prints it: checked in depth by core/compliance.ts. */
export const KubeBenchReport = z
  .union([
    z.looseObject({ Controls: z.array(z.record(z.string(), z.unknown())), Totals: z.record(z.string(), z.unknown()).optional() }),
    z.array(z.record(z.string(), z.unknown())),
  ])
  .meta({ id: 'KubeBenchReport', description: "kube-bench --json: {Controls, Totals} or a bare array of controls (each {id, version, text, node_type, tests, total_pass, total_fail, total_warn, total_info})" });
export const ComplianceAck = z.strictObject({ runId: z.string(), totals: z.strictObject({ pass: z.int(), fail: z.int(), warn: z.int(), info: z.int() }) }).meta({ id: 'ComplianceAck' });

export const Project = z
  .strictObject({
    id: z.string(),
    name: z.string().meta({ description: 'also its id' }),
    description: z.string().optional(),
    createdAt: Timestamp,
    memberCount: z.int().min(0).meta({ description: 'clusters, profiles, cloud accounts, registries and API keys that belong to it; a project is deleted only when it has none' }),
    role: z.enum(ROLES).optional().meta({ description: "the caller's role in it, for a caller with roles in projects only" }),
  })
  .meta({ id: 'Project' });
export const ProjectList = z.strictObject({ items: z.array(Project) }).meta({ id: 'ProjectList' });
