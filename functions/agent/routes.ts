/**
 * The agent API: what in-cluster agents and booting nodes call. Plain data, like functions/api/routes.ts:
 * the CDK stack serves it from one Lambda function URL, the local runtime from the same handler,
 * and the OpenAPI document lists it.
 */
export type AgentAuth =
  /** `Authorization: Bearer <agent token>` of one cluster. */
  | 'agentToken'
  /** `Authorization: Bearer <one-time bootstrap ticket>` of one node. */
  | 'bootstrapTicket'
  /** `Authorization: Bearer <bake token>` of one image builder. */
  | 'bakeToken';

export interface AgentRoute {
  readonly method: 'POST';
  readonly path: string;
  readonly auth: AgentAuth;
  /** Whether the route takes a JSON body. */
  readonly body: boolean;
  /** Largest body the route takes, in bytes. @default MAX_AGENT_BODY (1 MiB) */
  readonly maxBody?: number;
  readonly summary: string;
}

/**
 * Largest kube-bench report taken: core/compliance.ts COMPLIANCE_MAX_REPORT_BYTES, which the
 * bundle tests hold equal. Not imported: the compliance rules bring YAML into every heartbeat's cold start.
 */
export const COMPLIANCE_MAX_BODY = 4 * 1024 * 1024;

export const AGENT_ROUTES: readonly AgentRoute[] = [
  { method: 'POST', path: '/agent/v1/heartbeat', auth: 'agentToken', body: true, summary: 'report the cluster; the answer is its desired state' },
  { method: 'POST', path: '/agent/v1/commands/{id}/result', auth: 'agentToken', body: true, summary: 'progress and outcome of a command the agent received' },
  { method: 'POST', path: '/agent/v1/logs/{id}/upload', auth: 'agentToken', body: true, summary: "a presigned S3 POST form for a log bundle's archive, its policy capping size and time" },
  { method: 'POST', path: '/agent/v1/compliance', auth: 'agentToken', body: true, maxBody: COMPLIANCE_MAX_BODY, summary: "kube-bench's --json output, as kube-bench prints it (?node=&scanId=)" },
  { method: 'POST', path: '/agent/v1/bakes/{id}/result', auth: 'bakeToken', body: true, summary: "an image builder's outcome of its customization" },
  { method: 'POST', path: '/agent/v1/agent', auth: 'bootstrapTicket', body: false, summary: "a booting control-plane node's download of the agent (gzip of one file), unless its image carries that version" },
  { method: 'POST', path: '/agent/v1/bootstrap', auth: 'bootstrapTicket', body: false, summary: "a booting node's one-time download of its bootstrap bundle (tar.gz)" },
];

/** The one function behind the agent API's function URL. */
export const AGENT_API_ENTRY = 'functions/agent/api.ts';
