import { BakeAck, BakeReport } from '../../core/bake-report.js';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { z } from 'zod';
import { CommandReport, IssueCommandInput } from '../../core/agent-commands.js';
import { Heartbeat } from '../../core/agent-protocol.js';
import { CreateApiKeyInput } from '../../core/api-key-input.js';
import { CreateCloudAccountInput } from '../../core/cloud-accounts.js';
import { CreateClusterInput, UpdateClusterInput } from '../../core/clusters.js';
import { IdempotencyKey } from '../../core/idempotency.js';
import { CreatePackInput } from '../../core/packs.js';
import { CreateProfileInput, UpdateProfileInput } from '../../core/profiles.js';
import { CreateProjectInput } from '../../core/projects.js';
import { CreateRegistryInput } from '../../core/registries.js';
import { CreateTenantInput } from '../../core/tenants.js';
import { ApplyUpdateInput, PackValuesInput } from '../../core/updates.js';
import { PutOsPatchInput } from '../../core/os-patch.js';
import { SetQuotasInput } from '../../core/quotas.js';
import { SetSsoInput, TokenRequestInput } from '../../core/sso.js';
import { LogRequestInput, UploadForm, UploadFormRequest } from '../../core/log-bundles.js';
import { AGENT_ROUTES } from '../agent/routes.js';
import { Kubeconfig, KubeconfigQuery } from './kubeconfig-schema.js';
import { ClusterPlan, DryRunQuery, PlanPreview, UpdatePreview } from './plan-schema.js';
import { ROUTES, type HttpMethod } from './routes.js';
import * as S from './schemas.js';

/** One success answer of an operation. */
interface Answer {
  readonly status: number;
  readonly description: string;
  readonly schema?: z.ZodType;
  /** Media type of the body. @default application/json */
  readonly type?: string;
}

/** What the document says of one operation beyond its route: its inputs and every answer. */
interface OperationSpec {
  readonly summary: string;
  readonly query?: z.ZodObject;
  readonly headers?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly ok: readonly Answer[];
  /** Error statuses besides those every operation of its kind can answer (see errorStatuses). */
  readonly errors?: readonly number[];
}

const ok = (status: number, description: string, schema?: z.ZodType): Answer => ({ status, description, schema });

const IdempotencyHeaders = z.strictObject({
  'idempotency-key': IdempotencyKey.optional().meta({ description: 'the same key and body create one cluster, however often sent; another body with it is 409' }),
});

/** Every operation of ROUTES and AGENT_ROUTES; a route without an entry fails the document's build. */
const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  'GET /healthz': { summary: 'liveness', ok: [ok(200, 'alive', S.Healthz)] },
  'GET /v1/openapi.json': { summary: 'this document', ok: [ok(200, 'the OpenAPI 3.1 document', z.record(z.string(), z.unknown()))] },

  'GET /v1/tenants': { summary: 'list tenants (operators)', ok: [ok(200, 'the tenants', S.TenantList)] },
  'POST /v1/tenants': {
    summary: 'create a tenant and its first admin key (operators); in AWS its rate-limit key is made first (503 when API Gateway cannot be reached: nothing is written)',
    body: CreateTenantInput,
    ok: [ok(201, 'created; the key is shown once', S.TenantCreated)],
    errors: [503],
  },

  'GET /v1/projects': { summary: "list the tenant's projects (a caller with roles in projects only: its own, with its role)", ok: [ok(200, 'the projects', S.ProjectList)] },
  'POST /v1/projects': { summary: 'create a project (tenant-wide admins)', body: CreateProjectInput, ok: [ok(201, 'created', S.Project)] },
  'GET /v1/projects/{id}': { summary: 'read a project', ok: [ok(200, 'the project', S.Project)] },
  'DELETE /v1/projects/{id}': { summary: 'delete a project that holds nothing (409 while clusters, profiles, cloud accounts, registries or API keys belong to it)', ok: [ok(204, 'deleted')] },

  'GET /v1/apikeys': { summary: "list the tenant's API keys (expired ones too, until revoked)", ok: [ok(200, 'the keys, never their secrets', S.ApiKeyList)] },
  'POST /v1/apikeys': {
    summary: 'create an API key, optionally with an expiry (expiresAt, at most 2 years ahead; the key stops working within 5 s of it)',
    body: CreateApiKeyInput,
    ok: [ok(201, 'created; the secret is shown once', S.ApiKeyCreated)],
  },
  'DELETE /v1/apikeys/{id}': { summary: 'revoke an API key (it stops working within 5 s)', ok: [ok(204, 'revoked')] },

  'GET /v1/registries': { summary: 'list registries: the public one and your private ones', ok: [ok(200, 'the registries', S.RegistryList)] },
  'POST /v1/registries': { summary: 'create a private registry', body: CreateRegistryInput, ok: [ok(201, 'created', S.Registry)] },
  'GET /v1/registries/{id}': { summary: 'read a registry', ok: [ok(200, 'the registry', S.Registry)] },
  'DELETE /v1/registries/{id}': { summary: 'delete a private registry that holds no packs', ok: [ok(204, 'deleted')] },

  'GET /v1/registries/{id}/packs': { summary: "list a registry's packs", query: S.PackQuery, ok: [ok(200, 'a page of packs', S.PackPage)] },
  'POST /v1/registries/{id}/packs': { summary: 'publish a pack (immutable: a change is a new version)', body: CreatePackInput, ok: [ok(201, 'published', S.Pack)] },
  'GET /v1/registries/{id}/packs/{packId}': { summary: 'read a pack', ok: [ok(200, 'the pack', S.Pack)] },

  'GET /v1/profiles': { summary: 'list profiles', query: S.ListQuery, ok: [ok(200, 'a page of profiles', S.ProfilePage)] },
  'POST /v1/profiles': { summary: 'create a profile (revision 1)', body: CreateProfileInput, ok: [ok(201, 'created', S.ProfileWithLayers)] },
  'GET /v1/profiles/{id}': { summary: 'read a profile with its latest layers', ok: [ok(200, 'the profile', S.ProfileWithLayers)] },
  'PUT /v1/profiles/{id}': { summary: 'change a profile: a new immutable revision', body: UpdateProfileInput, ok: [ok(200, 'the new revision is the latest', S.ProfileWithLayers)] },
  'DELETE /v1/profiles/{id}': { summary: 'delete a profile no cluster uses', ok: [ok(204, 'deleted')] },
  'GET /v1/profiles/{id}/revisions': { summary: 'list revisions, newest first', query: S.ListQuery, ok: [ok(200, 'a page of revisions', S.RevisionPage)] },
  'GET /v1/profiles/{id}/revisions/{revision}': { summary: 'read one revision', ok: [ok(200, 'the revision', S.ProfileRevision)] },
  'GET /v1/profiles/{id}/diff': { summary: 'every change between two revisions', query: S.DiffQuery, ok: [ok(200, 'packs added, removed, upgraded, downgraded; values key path by key path', S.ProfileDiff)] },
  'GET /v1/profiles/{id}/clusters': { summary: 'the clusters on the profile and how far behind its latest revision each is', query: S.ListQuery, ok: [ok(200, 'a page of clusters', S.ProfileClusters)] },

  'GET /v1/images': { summary: 'list node images Strata baked or copied', query: S.ImageQuery, ok: [ok(200, 'a page of images', S.ImagePage)] },
  'GET /v1/images/{id}': { summary: 'read an image, with the clusters whose nodes run it', ok: [ok(200, 'the image', S.ImageDetail)] },
  'DELETE /v1/images/{id}': { summary: 'delete an image no cluster uses, from the cloud too (409 while clusters use it or a bake runs)', ok: [ok(204, 'deleted')], errors: [409, 502] },

  'GET /v1/cloudaccounts': { summary: 'list cloud accounts', query: S.ListQuery, ok: [ok(200, 'a page of accounts', S.CloudAccountPage)] },
  'POST /v1/cloudaccounts': {
    summary: 'register a cloud account: AWS gets a generated ExternalId and its trust policy; an Azure client secret is stored, never returned',
    body: CreateCloudAccountInput,
    ok: [ok(201, 'registered', S.CloudAccount)],
  },
  'GET /v1/cloudaccounts/{id}': { summary: 'read a cloud account', ok: [ok(200, 'the account', S.CloudAccount)] },
  'POST /v1/cloudaccounts/{id}/validate': {
    summary: "check the account's credentials with the provider, changing nothing",
    query: S.ValidateQuery,
    ok: [ok(200, 'the check; a refusal carries the provider’s own code and message', S.CredentialCheck)],
  },
  'DELETE /v1/cloudaccounts/{id}': { summary: 'delete an account no cluster uses (and the secret Strata stored for it)', ok: [ok(204, 'deleted')] },

  'GET /v1/clusters': { summary: 'list clusters', query: S.ClusterQuery, ok: [ok(200, 'a page of clusters', S.ClusterPage)] },
  'POST /v1/clusters': {
    summary: 'create a cluster and start provisioning it',
    headers: IdempotencyHeaders,
    body: CreateClusterInput,
    ok: [ok(201, 'created; provisioning has started', S.Cluster), ok(200, 'the cluster this Idempotency-Key made before (header idempotent-replayed: true)', S.Cluster)],
  },
  'GET /v1/clusters/{id}': { summary: 'read a cluster with its Ready summary and health', ok: [ok(200, 'the cluster', S.ClusterWithStatus)] },
  'PUT /v1/clusters/{id}': {
    summary: 'change a cluster: a new generation, reconciled by a plan (scale, replace, rebalance, upgrade); with dryRun=true the exact plan, nothing written',
    query: DryRunQuery,
    body: UpdateClusterInput,
    ok: [ok(200, 'the new generation; with dryRun, the plan it would run and the running steps it would cancel', z.union([S.Cluster, PlanPreview]))],
  },
  'GET /v1/clusters/{id}/plan': { summary: "the plan of the cluster's latest change, step by step, with what is done and what the running step waits for", ok: [ok(200, 'the plan', ClusterPlan)] },
  'DELETE /v1/clusters/{id}': {
    summary: 'delete a cluster and everything tagged for it, in any phase',
    ok: [ok(202, 'deletion has started', S.Cluster), ok(204, 'the cluster is already deleted')],
  },
  'POST /v1/clusters/{id}/agent-token/rotate': {
    summary: "rotate the cluster agent's token: the agent gets the new one with its next heartbeat",
    ok: [ok(202, 'rotating', S.TokenRotation)],
  },
  'POST /v1/clusters/{id}/commands': { summary: "send a command to the cluster's agent (of the kinds people may send)", body: IssueCommandInput, ok: [ok(202, 'queued: the agent receives it with its next heartbeat', S.Command)] },
  'GET /v1/clusters/{id}/commands': { summary: "the agent's commands, newest first, with their status and result", query: S.ListQuery, ok: [ok(200, 'a page of commands', S.CommandPage)] },
  'GET /v1/clusters/{id}/commands/{commandId}': { summary: 'one command: status, progress and result', ok: [ok(200, 'the command', S.Command)] },
  'GET /v1/clusters/{id}/updates': {
    summary: "the pending profile update: every change between the revision the cluster runs and the latest (or ?toRevision=), each value marked clean or conflict against the cluster's overrides",
    query: S.UpdateQuery,
    ok: [ok(200, 'the changes and conflicts', S.ClusterUpdates)],
  },
  'POST /v1/clusters/{id}/updates/apply': {
    summary: "move the cluster to a revision of its profile (the latest, or an earlier one to roll back) with the three-way merge of its overrides; 409 lists unresolved conflicts; with dryRun=true the merged values and the plan, nothing written",
    query: DryRunQuery,
    body: ApplyUpdateInput,
    ok: [ok(202, 'the new generation: the reconciler replaces nodes for version changes, the agent applies the values', S.AppliedUpdate), ok(200, 'dryRun: the merged values, the overrides after the merge and the plan', UpdatePreview)],
  },
  'GET /v1/clusters/{id}/revisions': { summary: 'the revisions the cluster has run, newest first, with who applied each and when', query: S.ListQuery, ok: [ok(200, 'a page of history entries', S.RevisionHistoryPage)] },
  'GET /v1/clusters/{id}/packs/{pack}/values': { summary: "a pack's values on the cluster: the profile's, the cluster's partial override, the merged result, every difference, and the pack's reported status", ok: [ok(200, 'the values', S.PackValues)] },
  'PUT /v1/clusters/{id}/packs/{pack}/values': {
    summary: "set the cluster's override of a pack (a partial YAML document): applied at once as a new generation the agent applies; with dryRun=true the result, nothing written",
    query: DryRunQuery,
    body: PackValuesInput,
    ok: [ok(202, 'the new generation; the agent applies it with its next heartbeat', S.PackValues), ok(200, 'dryRun: the values it would apply', S.PackValues)],
  },
  'GET /v1/clusters/{id}/ospatch': { summary: "OS patching: the settings, the Scheduler expression, the next runs in the cluster's time zone, the run in progress and the history of runs with each node's packages", ok: [ok(200, 'the patching view', S.OsPatchView)] },
  'PUT /v1/clusters/{id}/ospatch': {
    summary: "set the patch schedule (daily, weekly, monthly or a 5-field cron, a time zone, a maintenance window), patch on boot and reboots: the schedule changes at once; with dryRun=true the next runs, nothing written",
    query: DryRunQuery,
    body: PutOsPatchInput,
    ok: [ok(200, 'the settings and the next runs (dryRun: as they would be)', S.OsPatchView)],
  },
  'POST /v1/clusters/{id}/ospatch/run': { summary: 'patch now: a run of the patch-os workflow, pool by pool, node by node; 409 while a run is in progress', ok: [ok(202, 'the run, waiting or running', S.PatchRun)] },
  'GET /v1/clusters/{id}/conditions': { summary: 'milestones and health checks', ok: [ok(200, 'the conditions', S.ConditionList)] },
  'GET /v1/clusters/{id}/events': {
    summary: 'the event stream, newest first; filters by type, reason, subject and since; events are kept 30 days',
    query: S.EventQuery,
    ok: [ok(200, 'a page of events', S.EventPage)],
  },
  'GET /v1/clusters/{id}/events/follow': {
    summary: `follow the event stream: long polling, answered as soon as there are events after ?after=, or empty after waitSeconds (at most ${S.FOLLOW_MAX_WAIT_SECONDS})`,
    query: S.EventFollowQuery,
    ok: [ok(200, 'the events since, oldest first, and where to go on from', S.EventFollow)],
  },
  'GET /v1/events': {
    summary: "the event stream of all the tenant's clusters, newest first, with the same filters (and ?cluster=)",
    query: S.TenantEventQuery,
    ok: [ok(200, 'a page of events, each naming its cluster', S.EventPage)],
    errors: [404],
  },
  'GET /v1/events/follow': {
    summary: `follow the events of all the tenant's clusters: long polling, as the cluster's follow`,
    query: S.EventFollowQuery,
    ok: [ok(200, 'the events since, oldest first, and where to go on from', S.EventFollow)],
  },
  'POST /v1/clusters/{id}/logs': {
    summary: "ask for a log bundle (editors): the cluster's agent collects kube-system, platform and node logs into a tar.gz with a manifest and uploads it; poll the request until Ready",
    body: LogRequestInput,
    ok: [ok(202, 'the request, Pending until the agent takes it', S.LogRequestView)],
  },
  'GET /v1/clusters/{id}/logs': { summary: "the cluster's log bundle requests, newest first (editors)", query: S.ListQuery, ok: [ok(200, 'a page of requests', S.LogRequestPage)] },
  'GET /v1/clusters/{id}/logs/{requestId}': {
    summary: 'one log bundle request (editors); when Ready, a presigned download URL valid for 5 minutes',
    ok: [ok(200, 'the request', S.LogRequestView)],
  },
  'GET /v1/quotas': { summary: "the tenant's quotas (clusters, nodes) and what it uses", ok: [ok(200, 'quotas and usage', S.Quotas)] },
  'GET /v1/tenants/{id}/quotas': { summary: "a tenant's quotas and usage (operators)", ok: [ok(200, 'quotas and usage', S.Quotas)] },
  'PUT /v1/tenants/{id}/quotas': {
    summary: "set a tenant's quotas (operators): a number sets one, null lifts it; a create or scale past a quota is 403 QuotaExceeded",
    body: SetQuotasInput,
    ok: [ok(200, 'the quotas, and usage counted afresh', S.Quotas)],
  },
  'GET /v1/signin/{tenant}': {
    summary: "where a tenant's people sign in (no key needed): its identity provider's issuer, client id and authorization endpoint; 404 when the tenant has none",
    ok: [ok(200, 'the sign-in settings a browser or the CLI needs', S.SignInInfo)],
    errors: [503],
  },
  'POST /v1/signin/{tenant}/token': {
    summary:
      "finish a sign-in (no key needed): the authorization code, its PKCE verifier and redirect URI, or a refresh token; the API makes the token request to the tenant's provider and answers the ID token and the role its groups map to (403 when none does)",
    body: TokenRequestInput,
    ok: [ok(200, 'signed in', S.SignInTokens)],
    errors: [403, 503],
  },
  'GET /v1/sso': { summary: "the tenant's sign-in settings (admins): identity provider, client and group-to-role mapping", ok: [ok(200, 'the settings', S.SsoConfig)], errors: [404] },
  'PUT /v1/sso': {
    summary: "set the tenant's sign-in (admins): an OpenID provider (its discovery document must answer), a public client, the groups claim and which groups get which role",
    body: SetSsoInput,
    ok: [ok(200, 'the settings', S.SsoConfig)],
  },
  'DELETE /v1/sso': { summary: "remove the tenant's sign-in (admins): signed-in people are refused within 5 s; API keys keep working", ok: [ok(204, 'removed')], errors: [404] },
  'GET /v1/audit': {
    summary: 'the audit log (admins): every change and every sensitive read (kubeconfig, log bundle download), newest first; entries are kept a year and never changed',
    query: S.AuditQuery,
    ok: [ok(200, 'a page of entries', S.AuditPage)],
  },
  'GET /v1/audit/export': {
    summary: 'the audit log as JSON lines (admins), newest first, up to 5,000 entries an answer; header x-next-cursor, when present, is the cursor of the rest',
    query: S.AuditExportQuery,
    ok: [{ status: 200, description: 'one AuditEntry (JSON) per line', schema: z.string(), type: 'application/x-ndjson' }],
  },
  'GET /v1/compliance': { summary: "CIS results of every cluster of the tenant: each cluster's latest kube-bench run, most failing checks first", query: S.ListQuery, ok: [ok(200, 'a page of clusters', S.TenantCompliancePage)] },
  'GET /v1/clusters/{id}/compliance': {
    summary: "the cluster's CIS results from kube-bench: the latest run with totals per target and its failing checks, and the history of runs",
    query: S.ListQuery,
    ok: [ok(200, 'the latest run and the history', S.ClusterCompliance)],
  },
  'POST /v1/clusters/{id}/compliance/scans': { summary: 'run kube-bench now (editors): a command to the agent, which runs it as a Job and posts the report', ok: [ok(202, 'the scan, sent to the agent', S.ScanAccepted)] },
  'GET /v1/clusters/{id}/compliance/runs/{runId}': { summary: "one kube-bench run: totals per target, failing checks, and a presigned URL of kube-bench's own report (5 minutes)", ok: [ok(200, 'the run', S.ComplianceRun)] },
  'GET /v1/clusters/{id}/nodes': { summary: 'nodes: the instances Strata launched and what the agent reports', ok: [ok(200, 'the nodes', S.NodeList)] },
  'GET /v1/clusters/{id}/nodes/{name}': { summary: "one node's conditions and usage, now and as a series", query: S.NodeQuery, ok: [ok(200, 'the node', S.NodeDetail)] },
  'GET /v1/clusters/{id}/usage': { summary: 'usage now and as a series; worker nodes unless asked', query: S.UsageQuery, ok: [ok(200, 'the usage', S.Usage)] },
  'GET /v1/clusters/{id}/services': { summary: 'LoadBalancer and NodePort services with links that open them', ok: [ok(200, 'the services', S.ServiceList)] },
  'GET /v1/clusters/{id}/kubeconfig': {
    summary: 'a short-lived admin kubeconfig (admins): a fresh client certificate signed by the cluster CA, recorded as a KubeconfigIssued event; never cached',
    query: KubeconfigQuery,
    ok: [ok(200, 'the kubeconfig, its expiry and the Kubernetes user it acts as', Kubeconfig)],
    errors: [409],
  },

  'POST /agent/v1/heartbeat': { summary: "the in-cluster agent's report; the answer is the desired state", body: Heartbeat, ok: [ok(200, 'the desired state', S.HeartbeatAnswer)], errors: [410] },
  'POST /agent/v1/commands/{id}/result': {
    summary: "the agent's report on a command it received: progress, then the outcome",
    body: CommandReport,
    ok: [ok(200, 'recorded (a repeated final report is a no-op)', S.CommandAck)],
    errors: [410],
  },
  'POST /agent/v1/logs/{id}/upload': {
    summary: "a presigned S3 POST for a log bundle's archive (the request's collecting command must be open): its policy admits only this key, a size up to the cap and 5 minutes",
    body: UploadFormRequest,
    ok: [ok(200, 'POST the fields, then the file, as multipart/form-data to url', UploadForm)],
    errors: [409, 410, 413],
  },
  'POST /agent/v1/compliance': {
    summary: "kube-bench's --json output, unchanged (the object form with Totals, or the older array of controls); the raw report is stored, the summary kept",
    query: S.ComplianceReportQuery,
    body: S.KubeBenchReport,
    ok: [ok(201, 'recorded', S.ComplianceAck)],
    errors: [409, 413],
  },
  'POST /agent/v1/bakes/{id}/result': {
    summary: "an image builder's outcome of its playbook, with the bake token from its user data",
    body: BakeReport,
    ok: [ok(200, 'recorded (the same report again is a no-op)', BakeAck)],
    errors: [409, 410],
  },
  'POST /agent/v1/agent': {
    summary: "a booting control-plane node's download of the agent, one bundled file (gzip), with its bootstrap ticket (not spent); the node checks its sha256 from the user data",
    ok: [{ status: 200, description: 'the agent: strata-agent.mjs, gzipped', schema: z.string().meta({ format: 'binary' }), type: 'application/gzip' }],
    errors: [503],
  },
  'POST /agent/v1/bootstrap': {
    summary: "a booting node's one download of its bootstrap bundle, with the one-time ticket from its user data",
    ok: [{ status: 200, description: 'the bundle: a tar.gz to unpack at /', schema: z.string().meta({ format: 'binary' }), type: 'application/gzip' }],
    errors: [409, 410],
  },
};

const ERROR_TEXT: Readonly<Record<number, string>> = {
  400: 'invalid input; details name each field',
  401: 'missing or unknown credentials',
  403: 'these credentials may not do this',
  404: 'no such resource for this tenant',
  409: 'name taken, stale version, still in use, or changed meanwhile',
  410: 'the cluster or node is gone',
  413: 'body too large',
  415: 'the body is not application/json',
  429: 'request rate limit exceeded',
  502: "the cloud refused; the message is the cloud's own",
  503: 'not available here now; retry later',
};

/** The errors an operation can answer, from its shape: credentials, path, query, body, writes. */
function errorStatuses(method: HttpMethod, path: string, spec: OperationSpec, isPublic: boolean): number[] {
  const out = new Set<number>(spec.errors ?? []);
  if (!isPublic) [401, 403, 429].forEach((s) => out.add(s));
  if (path.includes('{')) [400, 404].forEach((s) => out.add(s));
  if (spec.query || spec.headers) out.add(400);
  if (spec.body) [400, 404, 413, 415].forEach((s) => out.add(s));
  if (method !== 'GET' && !isPublic) out.add(409);
  return [...out].sort();
}

function operation(method: HttpMethod, path: string, tag: string, isPublic: boolean, security: ZodOpenApiOperationObject['security']): ZodOpenApiOperationObject {
  const spec = OPERATIONS[`${method} ${path}`];
  if (!spec) throw new Error(`openapi: no operation spec for ${method} ${path}`);
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const responses: ZodOpenApiResponsesObject = {};
  for (const a of spec.ok) {
    responses[String(a.status) as '200'] = { description: a.description, ...(a.schema ? { content: { [a.type ?? 'application/json']: { schema: a.schema } } } : {}) };
  }
  for (const status of errorStatuses(method, path, spec, isPublic)) {
    responses[String(status) as '400'] = {
      description: ERROR_TEXT[status]!,
      content: { 'application/json': { schema: S.ErrorBody } },
      // The tenant's rate limit (core/rate-limits.ts): when to try again.
      ...(status === 429 ? { headers: { 'retry-after': { description: 'seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } } } } : {}),
    };
  }
  return {
    operationId: `${method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[/.-]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
    summary: spec.summary,
    tags: [tag],
    security,
    requestParams: {
      ...(params.length ? { path: z.object(Object.fromEntries(params.map((p) => [p, z.string().max(256)]))) } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.headers ? { header: spec.headers } : {}),
    },
    requestBody: spec.body ? { required: true, content: { 'application/json': { schema: spec.body } } } : undefined,
    responses,
  };
}

/** The whole contract: the REST API, and the agent API on its own server (a Lambda function URL in AWS). */
export function openApiDocument() {
  const paths: ZodOpenApiPathsObject = {};
  const add = (method: HttpMethod, path: string, op: ZodOpenApiOperationObject, extra: Record<string, unknown> = {}) => {
    const item = (paths[path] ??= { ...extra });
    (item as Record<string, ZodOpenApiOperationObject>)[method.toLowerCase()] = op;
  };
  for (const route of ROUTES) add(route.method, route.path, operation(route.method, route.path, route.handler, !!route.public, route.public ? [] : [{ apiKey: [] }]));
  for (const route of AGENT_ROUTES) {
    add(route.method, route.path, operation(route.method, route.path, 'agent', false, [{ [route.auth]: [] }]), {
      servers: [{ url: '{agentApiUrl}', description: 'the agent API: the AgentApiUrl stack output (locally, the REST API’s own address)', variables: { agentApiUrl: { default: 'http://127.0.0.1:8787' } } }],
    });
  }
  const unknown = Object.keys(OPERATIONS).filter((key) => ![...ROUTES, ...AGENT_ROUTES].some((r) => `${r.method} ${r.path}` === key));
  if (unknown.length) throw new Error(`openapi: operation specs for routes that do not exist: ${unknown.join(', ')}`);
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Strata API',
      version: '1.0.0',
      description: 'Kubernetes cluster lifecycle: profiles of packs, cloud accounts, clusters, and the agent API their nodes and agents call.',
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
        agentToken: { type: 'http', scheme: 'bearer', description: "Authorization: Bearer <the cluster agent's token>" },
        bootstrapTicket: { type: 'http', scheme: 'bearer', description: "Authorization: Bearer <the node's one-time bootstrap ticket>" },
        bakeToken: { type: 'http', scheme: 'bearer', description: "Authorization: Bearer <the image builder's bake token>" },
      },
    },
    paths,
  });
}
