import type { z } from 'zod';
import type { COMMAND_KINDS } from '../core/agent-commands.js';
import type * as S from '../functions/api/schemas.js';
import type { ClusterPlan as ClusterPlanSchema, PlanPreview as PlanPreviewSchema, PlanStep as PlanStepSchema, PoolSummary as PoolSummarySchema, UpdatePreview as UpdatePreviewSchema } from '../functions/api/plan-schema.js';
import type { Kubeconfig as KubeconfigSchema } from '../functions/api/kubeconfig-schema.js';
import type { LogRequestInput as LogRequestInputSchema } from '../core/log-bundles.js';
import type { SetSsoInput as SetSsoInputSchema } from '../core/sso.js';

/**
 * The shapes the API answers, taken from the schemas its OpenAPI document is made of: type-only
 * imports, so the bundle carries none of that code, yet a change of the API fails the type check here.
 */
export type ErrorBody = z.infer<typeof S.ErrorBody>;
export type Tenant = z.infer<typeof S.Tenant>;
export type Project = z.infer<typeof S.Project>;
export type TenantCreated = z.infer<typeof S.TenantCreated>;
export type ApiKey = z.infer<typeof S.ApiKey>;
export type ApiKeyCreated = z.infer<typeof S.ApiKeyCreated>;
export type Registry = z.infer<typeof S.Registry>;
export type Pack = z.infer<typeof S.Pack>;
export type Profile = z.infer<typeof S.Profile>;
export type ProfileWithLayers = z.infer<typeof S.ProfileWithLayers>;
export type ProfileRevision = z.infer<typeof S.ProfileRevision>;
export type ProfileDiff = z.infer<typeof S.ProfileDiff>;
export type CloudAccount = z.infer<typeof S.CloudAccount>;
export type CredentialCheck = z.infer<typeof S.CredentialCheck>;
export type Image = z.infer<typeof S.Image>;
export type ImageDetail = z.infer<typeof S.ImageDetail>;
export type ImageQuery = z.infer<typeof S.ImageQuery>;
export type Cluster = z.infer<typeof S.Cluster>;
export type ClusterWithStatus = z.infer<typeof S.ClusterWithStatus>;
export type ConditionList = z.infer<typeof S.ConditionList>;
export type Condition = ConditionList['items'][number];
export type ClusterEvent = z.infer<typeof S.EventPage>['items'][number];
export type EventPage = z.infer<typeof S.EventPage>;
export type EventFollow = z.infer<typeof S.EventFollow>;
export type AuditEntry = z.infer<typeof S.AuditEntry>;
export type AuditPage = z.infer<typeof S.AuditPage>;
export type AuditOutcome = AuditEntry['outcome'];
export type Quotas = z.infer<typeof S.Quotas>;
export type NodeList = z.infer<typeof S.NodeList>;
export type ClusterNode = NodeList['items'][number];
export type Usage = z.infer<typeof S.Usage>;
export type ServiceList = z.infer<typeof S.ServiceList>;
export type NodeDetail = z.infer<typeof S.NodeDetail>;
export type TokenRotation = z.infer<typeof S.TokenRotation>;
export type AgentCommand = z.infer<typeof S.Command>;
export type CommandKind = AgentCommand['kind'];
export type CommandStatus = AgentCommand['status'];
/** What a Succeeded command of that kind carries as its result. */
export type CommandResult<K extends CommandKind> = z.infer<(typeof COMMAND_KINDS)[K]['result']>;
/** The kinds people may send through the API; the platform's workflows send the rest. */
export type SendableKind = { [K in CommandKind]: (typeof COMMAND_KINDS)[K]['fromApi'] extends true ? K : never }[CommandKind];
export type PlanStep = z.infer<typeof PlanStepSchema>;
export type PoolSummary = z.infer<typeof PoolSummarySchema>;
export type PlanPreview = z.infer<typeof PlanPreviewSchema>;
export type ClusterPlan = z.infer<typeof ClusterPlanSchema>;
export type Kubeconfig = z.infer<typeof KubeconfigSchema>;
export type ClusterUpdates = z.infer<typeof S.ClusterUpdates>;
export type PackUpdate = ClusterUpdates['packs'][number];
export type ValueUpdate = PackUpdate['values'][number];
export type AppliedUpdate = z.infer<typeof S.AppliedUpdate>;
export type UpdatePreview = z.infer<typeof UpdatePreviewSchema>;
export type RevisionHistoryEntry = z.infer<typeof S.RevisionHistoryEntry>;
export type PackValues = z.infer<typeof S.PackValues>;
export type ProfileClusters = z.infer<typeof S.ProfileClusters>;
export type OsPatchView = z.infer<typeof S.OsPatchView>;
export type OsPatchSettings = OsPatchView['settings'];
export type PatchRun = z.infer<typeof S.PatchRun>;
export type NodePatchResult = PatchRun['nodes'][number];
export type LastPatch = NonNullable<NodeDetail['lastPatch']>;
export type LogRequest = z.infer<typeof S.LogRequestView>;
export type LogRequestStatus = LogRequest['status'];
export type LogType = LogRequest['types'][number];
export type LogRequestInput = z.input<typeof LogRequestInputSchema>;
export type ClusterCompliance = z.infer<typeof S.ClusterCompliance>;
export type ComplianceRun = z.infer<typeof S.ComplianceRun>;
export type ComplianceRunSummary = z.infer<typeof S.ComplianceRunSummary>;
export type ComplianceTotals = ComplianceRun['totals'];
export type ComplianceTarget = ComplianceRun['targets'][number];
export type FailingCheck = ComplianceRun['failing'][number];
export type TenantComplianceItem = z.infer<typeof S.TenantComplianceItem>;
export type ScanAccepted = z.infer<typeof S.ScanAccepted>;
export type SsoConfig = z.infer<typeof S.SsoConfig>;
export type SetSsoInput = z.input<typeof SetSsoInputSchema>;
export type GroupRole = SsoConfig['groupRoles'][number];
export type SignInInfo = z.infer<typeof S.SignInInfo>;
export type SignInTokens = z.infer<typeof S.SignInTokens>;
export type NodePool = Cluster['nodePools'][number];
export type Phase = Cluster['phase'];

/** One page of a paged list. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}
