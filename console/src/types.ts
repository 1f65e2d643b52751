/**
 * The shapes the console reads, as GET /v1/openapi.json documents them (functions/api/schemas.ts).
 * Only the fields the console shows; the API may send more.
 */

export type Role = 'admin' | 'editor' | 'viewer';
export type Status = 'True' | 'False' | 'Unknown';
export type HealthState = 'Healthy' | 'Unhealthy' | 'Unknown';
export type Phase = 'Pending' | 'Provisioning' | 'Running' | 'Deleting' | 'Deleted' | 'Failed';
export type Layer = 'os' | 'k8s' | 'cni' | 'csi' | 'addon';
export type UsageWindow = '1h' | '24h' | '7d' | '30d';

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface FieldDetail {
  path: string;
  message: string;
}

export interface NodePool {
  name: string;
  role: 'controlPlane' | 'worker';
  count: number;
  instanceType: string;
  zones: string[];
  diskGiB?: number;
  rollout?: { maxSurge?: number; maxUnavailable?: number };
  repair?: { enabled?: boolean; notReadyMinutes?: number; maxUnhealthyPercent?: number };
}

export interface Cluster {
  id: string;
  name: string;
  /** The project it belongs to; absent: shared by the tenant's projects. */
  projectId?: string;
  profileId: string;
  profileRevision: number;
  cloudAccountId: string;
  cloud: 'aws' | 'azure' | 'local';
  region: string;
  nodePools: NodePool[];
  phase: Phase;
  generation: number;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** imageId: the cloud's id of the image the nodes run (an image Strata baked is listed under /v1/images). */
  status?: { observedGeneration?: number; apiEndpoint?: string; imageId?: string };
  /** The cluster's partial values documents, by pack name. */
  overrides?: Record<string, string>;
  /** Present in lists when the profile has a later revision with other packs or values. */
  pendingUpdate?: { latestRevision: number; revisionsBehind: number };
}

export interface Health {
  health: HealthState;
  reasons: string[];
}

export interface ClusterWithStatus extends Cluster {
  ready: { status: Status; reason: string; message: string };
  health: Health;
}

export interface Condition {
  type: string;
  status: Status;
  reason: string;
  message: string;
  lastTransitionTime: string;
  attempts: number;
  observedGeneration: number;
  title: string;
}

export interface ConditionList {
  phase: Phase;
  health: Health;
  items: Condition[];
}

export interface ClusterEvent {
  id: string;
  clusterId: string;
  /** In the tenant-wide stream: the cluster the event is about. */
  clusterName?: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  subject?: string;
  at: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

export interface EventFollow {
  items: ClusterEvent[];
  after: string;
}

export type AuditOutcome = 'success' | 'refused' | 'error';

/** One request that changed something or read something sensitive. */
export interface AuditEntry {
  id: string;
  at: string;
  /** An API key, or a person signed in through the identity provider (id user:<subject>, name their e-mail address or name). */
  actor: { type: 'apiKey' | 'user'; id: string; name?: string; role: Role };
  /** Method and route, e.g. PUT /v1/clusters/{id}. */
  action: string;
  path: string;
  resourceType: string;
  resourceId?: string;
  /** The resource's project, or the caller's only project. */
  project?: string;
  outcome: AuditOutcome;
  status: number;
  error?: string;
  message?: string;
  sourceIp: string;
  requestId: string;
  userAgent?: string;
}

/** What a platform operator lets the tenant run, and what it uses (GET /v1/quotas). */
export interface Quotas {
  tenantId: string;
  quotas: { clusters?: number; nodes?: number };
  usage: { clusters: number; nodes: number };
}

export interface NodeCondition {
  type: string;
  status: Status;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface NodeFacts {
  kubeletVersion?: string;
  osImage?: string;
  kernelVersion?: string;
  containerRuntimeVersion?: string;
  unschedulable?: boolean;
}

export interface NodeSummary extends NodeFacts {
  name: string;
  pool?: string;
  role: 'controlPlane' | 'worker';
  zone?: string;
  instanceType?: string;
  instanceId?: string;
  instanceState?: string;
  privateIp?: string;
  phase?: 'draining' | 'drained' | 'terminating';
  ready: boolean;
  conditions: NodeCondition[];
}

export interface NodeList {
  reportedAt?: string;
  items: NodeSummary[];
}

export interface NodeUsage {
  name: string;
  role: 'controlPlane' | 'worker';
  cpuUsedCores: number;
  memoryUsedBytes: number;
  cpuAllocatableCores: number;
  memoryAllocatableBytes: number;
  cpuRequestedCores: number;
  memoryRequestedBytes: number;
  diskUsedPercent?: number;
  cpuUsagePercent: number;
  memoryUsagePercent: number;
  cpuRequestsPercent: number;
  memoryRequestsPercent: number;
}

export interface NodeDetail extends NodeFacts {
  name: string;
  role: 'controlPlane' | 'worker';
  zone?: string;
  instanceType?: string;
  addresses: { type: string; address: string }[];
  ready: boolean;
  conditions: NodeCondition[];
  capacity?: Record<string, string>;
  allocatable?: Record<string, string>;
  usage: NodeUsage;
  lastPatch?: LastPatch;
  window: UsageWindow;
  series: { t: string; coresUsed: number; memoryUsedBytes: number; diskUsedPercent?: number }[];
}

export interface Usage {
  window: UsageWindow;
  resolution: string;
  at?: string;
  now: {
    nodes: number;
    coresUsed: number;
    cpuAllocatableCores: number;
    cpuUsagePercent: number;
    memoryUsedBytes: number;
    memoryAllocatableBytes: number;
    memoryUsagePercent: number;
    cpuRequestedCores: number;
    cpuRequestsPercent: number;
    memoryRequestedBytes: number;
    memoryRequestsPercent: number;
  };
  nodes: NodeUsage[];
  series: { t: string; coresUsed: number; cpuUsagePercent: number; memoryUsagePercent: number }[];
}

export interface Service {
  namespace: string;
  name: string;
  type: 'LoadBalancer' | 'NodePort';
  status: 'Ready' | 'Pending';
  ports: { name?: string; port: number; nodePort?: number; protocol: string }[];
  links: string[];
}

export interface PlanStep {
  id: string;
  kind: 'launch' | 'waitReady' | 'drain' | 'terminate';
  pool: string;
  node: string;
  zone?: string;
  reason: string;
  details?: string[];
  replaces?: string;
}

export interface PoolSummary {
  pool: string;
  removed: boolean;
  desired: number;
  current: number;
  toLaunch: number;
  toRemove: number;
  toReplace: number;
  leaving: number;
}

export interface ClusterPlan {
  generation: number;
  state: 'Running' | 'Succeeded';
  done: number;
  steps: (PlanStep & { status: 'done' | 'running' | 'pending'; finishedAt?: string })[];
  pools: PoolSummary[];
  waiting?: { since: string; message: string };
  cancelled: PlanStep[];
  startedAt: string;
  updatedAt: string;
}

export interface PlanPreview {
  dryRun: true;
  cluster: Cluster;
  plan: { steps: PlanStep[]; pools: PoolSummary[] };
  cancels: PlanStep[];
}

export interface ResolvedLayer {
  layer: Layer;
  registryId: string;
  packId: string;
  name: string;
  version: string;
  values: string;
  content?: unknown;
}

export interface Profile {
  id: string;
  name: string;
  projectId?: string;
  description?: string;
  latestRevision: number;
  version: number;
  createdAt: string;
  updatedAt: string;
  clusterCount?: number;
}

export interface ProfileWithLayers extends Profile {
  layers: ResolvedLayer[];
}

export interface ProfileRevision {
  profileId: string;
  revision: number;
  layers: ResolvedLayer[];
  createdAt: string;
}

export interface ValueChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  from?: unknown;
  to?: unknown;
}

export interface ProfileDiff {
  from: number;
  to: number;
  changes: { name: string; layer: Layer; change: PackUpdateKind; fromVersion?: string; toVersion?: string; values: ValueChange[] }[];
}

export interface Registry {
  id: string;
  name: string;
  projectId?: string;
  description?: string;
  scope: 'public' | 'private';
  createdAt: string;
  packCount?: number;
}

export interface Pack {
  id: string;
  registryId: string;
  layer: Layer;
  name: string;
  version: string;
  description?: string;
  values: string;
  content?: unknown;
  os?: unknown;
  createdAt: string;
}

export interface CloudAccount {
  id: string;
  name: string;
  projectId?: string;
  spec: { type: 'aws' | 'azure' | 'local'; [field: string]: unknown };
  createdAt: string;
  lastCheck?: { valid: boolean; code?: string; message: string; checkedAt: string };
  clusterCount?: number;
  trustPolicy?: Record<string, unknown>;
}

/** A team's part of the tenant (GET /v1/projects); its name is its id. */
export interface Project {
  id: string;
  name: string;
  description?: string;
  createdAt: string;
  /** Clusters, profiles, cloud accounts, registries and API keys in it: deleted only at 0. */
  memberCount: number;
  /** The caller's role in it, for a caller with roles in projects only. */
  role?: Role;
}

/** GET /v1/signin/{tenant}: where a person of the tenant signs in. */
export interface SignInInfo {
  tenant: string;
  issuer: string;
  clientId: string;
  authorizationEndpoint: string;
  endSessionEndpoint?: string;
  scopes: string[];
}

/** POST /v1/signin/{tenant}/token: the bearer token for the API, and who it names. */
export interface SignInTokens {
  idToken: string;
  expiresAt: string;
  refreshToken?: string;
  tenantId: string;
  role: Role;
  /** For a person whose groups map to project roles only: the role in each project. */
  projects?: Record<string, Role>;
  user: { subject: string; name?: string; email?: string; groups: string[] };
}

export interface GroupRole {
  group: string;
  role: Role;
  /** The project the role holds in; absent: the whole tenant. */
  project?: string;
}

/** GET/PUT /v1/sso: the tenant's sign-in through its identity provider. */
export interface SsoConfig {
  tenantId: string;
  issuer: string;
  clientId: string;
  groupsClaim: string;
  scopes: string[];
  groupRoles: GroupRole[];
  updatedAt: string;
}

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  operator: boolean;
  /** The project the key is limited to; absent: the whole tenant. */
  projectId?: string;
  createdAt: string;
  /** Absent: the key works until revoked. */
  expiresAt?: string;
}

export type CommandStatus = 'Pending' | 'Delivered' | 'Running' | 'Succeeded' | 'Failed' | 'Expired';

/** A command for the cluster's agent (core/agent-commands.ts); people send ping, cordon and drain. */
export interface AgentCommand {
  id: string;
  kind: string;
  args: Record<string, unknown>;
  status: CommandStatus;
  createdAt: string;
  deadline: string;
  deliveredAt?: string;
  updatedAt: string;
  progress?: number;
  message?: string;
  result?: unknown;
}

export interface TokenRotation {
  epoch: number;
  previousEpoch: number;
  previousValidUntil: string;
  message: string;
}

export interface Kubeconfig {
  kubeconfig: string;
  expiresAt: string;
  user: string;
}

export type ImageStatus = 'Pending' | 'Baking' | 'Copying' | 'Available' | 'Failed' | 'Deleting';
export type BakeStage = 'launchingBuilder' | 'customizing' | 'creatingImage' | 'copying' | 'cleaningUp' | 'done';

/** A node image Strata baked for an OS pack (or copied to another region), in one cloud account and region. */
export interface Image {
  id: string;
  signature: string;
  cloud: 'aws' | 'azure' | 'local';
  cloudAccountId: string;
  region: string;
  imageId?: string;
  name: string;
  status: ImageStatus;
  stage?: BakeStage;
  source: { registryId: string; packId: string; packName: string; packVersion: string; profileId: string; profileRevision: number };
  contents: { kubernetesVersion?: string; roles: string[]; arch: 'amd64' | 'arm64' };
  copiedFrom?: { region: string; imageId: string };
  attempt: number;
  requestedBy: string;
  builderId?: string;
  customization?: { succeeded: boolean; message: string; at: string };
  failure?: { code: string; message: string; retryable: boolean; at: string };
  createdAt: string;
  updatedAt: string;
  lastUsedAt?: string;
  version: number;
}

export interface ImageDetail extends Image {
  usedBy: { clusterId: string; name: string; phase: Phase }[];
}

export type PackUpdateKind = 'added' | 'removed' | 'upgraded' | 'downgraded' | 'values';

/** One key path of a pack the profile changes, against the cluster's override of it. */
export interface ValueUpdate extends ValueChange {
  cluster?: unknown;
  merge: 'clean' | 'conflict';
  /** <pack>/<path>: the key of its resolution. */
  key: string;
}

export interface PackUpdate {
  name: string;
  layer: Layer;
  change: PackUpdateKind;
  fromVersion?: string;
  toVersion?: string;
  values: ValueUpdate[];
  overridesDropped?: true;
}

export interface ClusterUpdates {
  clusterId: string;
  profileId: string;
  profileName: string;
  currentRevision: number;
  latestRevision: number;
  toRevision: number;
  updateAvailable: boolean;
  revisionsBehind: number;
  packs: PackUpdate[];
  conflicts: string[];
}

export type Resolution = 'keepCluster' | 'takeProfile' | { value: unknown };

export interface AppliedUpdate {
  cluster: Cluster;
  fromRevision: number;
  toRevision: number;
  overrides: Record<string, string>;
}

export interface UpdatePreview {
  dryRun: true;
  fromRevision: number;
  toRevision: number;
  packs: PackUpdate[];
  values: Record<string, string>;
  overrides: Record<string, string>;
  plan: unknown;
}

export interface RevisionHistoryEntry {
  clusterId: string;
  revision: number;
  fromRevision?: number;
  action: 'create' | 'update' | 'apply' | 'rollback';
  appliedBy: string;
  appliedAt: string;
  generation: number;
}

export interface PackValues {
  clusterId: string;
  pack: string;
  layer: Layer;
  version: string;
  profileRevision: number;
  profileValues: string;
  overrides: string;
  values: string;
  differences: { path: string; profile?: unknown; cluster: unknown }[];
  generation: number;
  observedGeneration?: number;
  status?: { status: string; version: string; message?: string; valuesApplied: boolean; reportedAt: string };
}

export interface ProfileClusters {
  profileId: string;
  latestRevision: number;
  items: { id: string; name: string; phase: Phase; profileRevision: number; revisionsBehind: number; updateAvailable: boolean }[];
  nextCursor?: string;
}

export type PatchFrequency = 'none' | 'daily' | 'weekly' | 'monthly' | 'cron';
export type Weekday = 'MON' | 'TUE' | 'WED' | 'THU' | 'FRI' | 'SAT' | 'SUN';

/** How and when a cluster's nodes get OS updates (core/os-patch.ts). */
export interface OsPatchSettings {
  frequency: PatchFrequency;
  timeOfDay: string;
  dayOfWeek?: Weekday;
  dayOfMonth?: number | 'last';
  cron?: string;
  timeZone: string;
  windowMinutes: number;
  patchOnBoot: boolean;
  rebootIfRequired: boolean;
}

export type NodePatchStatus = 'pending' | 'patching' | 'patched' | 'failed' | 'notReady' | 'skipped';

export interface PatchedPackage {
  name: string;
  from?: string;
  to: string;
}

export interface NodePatchResult {
  node: string;
  status: NodePatchStatus;
  packages: PatchedPackage[];
  rebootRequired: boolean;
  rebooted: boolean;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
}

export type PatchRunState = 'Waiting' | 'Running' | 'Succeeded' | 'Failed' | 'Paused';

export interface PatchRun {
  id: string;
  trigger: 'schedule' | 'manual';
  scheduledTime: string;
  windowEndsAt: string;
  state: PatchRunState;
  message?: string;
  startedAt: string;
  finishedAt?: string;
  requestedBy?: string;
  nodes: NodePatchResult[];
}

/** GET /v1/clusters/{id}/ospatch; PUT answers it too (with dryRun: true, as it would be). */
export interface OsPatchView {
  clusterId: string;
  settings: OsPatchSettings;
  scheduleExpression?: string;
  nextRuns: { at: string; local: string; windowEndsAt: string }[];
  activeRun?: PatchRun;
  runs: PatchRun[];
  dryRun?: true;
}

export interface LastPatch {
  runId: string;
  at: string;
  status: NodePatchStatus;
  packages: PatchedPackage[];
  rebootRequired: boolean;
  rebooted: boolean;
  message?: string;
}

export type LogType = 'kube-system' | 'platform' | 'node';
export type LogRequestStatus = 'Pending' | 'Collecting' | 'Ready' | 'Failed';

/** POST /v1/clusters/{id}/logs answers it; GET …/logs/{requestId} adds a fresh download URL when Ready. */
export interface LogRequest {
  id: string;
  clusterId: string;
  status: LogRequestStatus;
  types: LogType[];
  nodes?: string[];
  sinceMinutes: number;
  maxLines: number;
  commandId: string;
  requestedAt: string;
  requestedBy: string;
  updatedAt: string;
  finishedAt?: string;
  bytes?: number;
  files?: number;
  missing?: number;
  archiveExpiresAt?: string;
  message?: string;
  /** A presigned GET URL, valid 5 minutes: fetched without the API key. */
  download?: { url: string; expiresAt: string; fileName: string };
}

export interface ComplianceTotals {
  pass: number;
  fail: number;
  warn: number;
  info: number;
}

export interface ComplianceTarget extends ComplianceTotals {
  target: string;
  id: string;
  text: string;
  version: string;
}

export interface FailingCheck {
  id: string;
  target: string;
  section: string;
  text: string;
  remediation: string;
  scored: boolean;
}

export interface ComplianceRunSummary {
  id: string;
  clusterId: string;
  scanId: string;
  node: string;
  trigger: 'command' | 'schedule';
  at: string;
  totals: ComplianceTotals;
  targets: ComplianceTarget[];
}

export interface ComplianceRun extends ComplianceRunSummary {
  failing: FailingCheck[];
  failingTruncated: boolean;
  report: { url: string; expiresAt: string };
}

/** GET /v1/clusters/{id}/compliance. */
export interface ClusterCompliance {
  clusterId: string;
  latest?: ComplianceRun;
  history: ComplianceRunSummary[];
  nextCursor?: string;
  scanning?: { scanId: string; commandId: string; status: CommandStatus; requestedAt: string };
}

/** An item of GET /v1/compliance: a cluster's latest run. */
export interface TenantComplianceItem {
  clusterId: string;
  clusterName: string;
  runId: string;
  at: string;
  totals: ComplianceTotals;
  targets: ComplianceTarget[];
}

export interface ScanAccepted {
  scanId: string;
  commandId: string;
  status: CommandStatus;
}
