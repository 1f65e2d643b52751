import type { Principal } from './roles.js';

/**
 * The audit trail: who changed what in a tenant, and who read what is sensitive. One entry per
 * request that reached a handler; append-only (no API changes or deletes one), kept a year.
 */
export const AUDIT_RETENTION_DAYS = 365;

export const AUDIT_OUTCOMES = ['success', 'refused', 'error'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditActor {
  /** An API key, or a person signed in through the tenant's identity provider. */
  readonly type: 'apiKey' | 'user';
  /** The key's id, or `user:<subject>`. */
  readonly id: string;
  /** A user's e-mail address or name, as their token gave it. */
  readonly name?: string;
  readonly role: Principal['role'];
}

export interface AuditEntry {
  /** `<at>#<requestId>`: sorts by time, unique per request. */
  readonly id: string;
  readonly at: string;
  readonly tenantId: string;
  readonly actor: AuditActor;
  /** The route: method and resource template, e.g. `PUT /v1/clusters/{id}`. */
  readonly action: string;
  readonly method: string;
  /** The concrete path, e.g. /v1/clusters/cl-123. */
  readonly path: string;
  /** The first segment after /v1/, e.g. clusters. */
  readonly resourceType: string;
  /** The path's {id}, or the id a create answered with. */
  readonly resourceId?: string;
  /** The project of the resource, as the answer named it; failing that, the caller's only project. */
  readonly project?: string;
  readonly outcome: AuditOutcome;
  readonly status: number;
  /** The error code of a refused or failed request, e.g. Conflict. */
  readonly error?: string;
  readonly message?: string;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly userAgent?: string;
}

/** What an audit query can be narrowed to; every filter given must hold. */
export interface AuditFilter {
  readonly actor?: string;
  readonly action?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  readonly project?: string;
  readonly outcome?: AuditOutcome;
  /** At or after this ISO time. */
  readonly since?: string;
  /** Before this ISO time. */
  readonly until?: string;
}

export const MAX_AUDIT_MESSAGE = 300;
export const MAX_AUDIT_USER_AGENT = 200;

/** What is recorded of a route: every change, and the reads that hand out credentials or data. */
export interface AuditedRoute {
  readonly method: string;
  /** Sensitive reads say so on their route. */
  readonly auditRead?: boolean;
}

export const isAudited = (route: AuditedRoute): boolean => route.method !== 'GET' || route.auditRead === true;

export const outcomeOf = (status: number): AuditOutcome => (status >= 500 ? 'error' : status >= 400 ? 'refused' : 'success');

/** The first path segment after the version: /v1/clusters/cl-1/logs → clusters. */
export function resourceTypeOf(resourceTemplate: string): string {
  return resourceTemplate.split('/').filter(Boolean)[1] ?? resourceTemplate;
}

/** Cut a text to `max` characters, marking the cut. */
export const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export interface AuditInput {
  readonly principal: Principal;
  readonly method: string;
  readonly resourceTemplate: string;
  readonly path: string;
  readonly pathId?: string;
  /** The id of what a create made, from its answer. */
  readonly createdId?: string;
  /** The project the answer named (its resource's), if any. */
  readonly project?: string;
  readonly status: number;
  readonly error?: string;
  readonly message?: string;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly userAgent?: string;
  readonly at: Date;
}

/** The entry of one request. */
export function auditEntry(i: AuditInput): AuditEntry {
  const at = i.at.toISOString();
  const resourceId = i.pathId ?? i.createdId;
  const outcome = outcomeOf(i.status);
  const callerProjects = Object.keys(i.principal.projects ?? {});
  const project = i.project ?? (callerProjects.length === 1 ? callerProjects[0] : undefined);
  return {
    id: `${at}#${i.requestId}`,
    at,
    tenantId: i.principal.tenantId,
    actor: i.principal.user
      ? { type: 'user', id: i.principal.keyId, ...(i.principal.user.name ? { name: i.principal.user.name } : {}), role: i.principal.role }
      : { type: 'apiKey', id: i.principal.keyId, role: i.principal.role },
    action: `${i.method} ${i.resourceTemplate}`,
    method: i.method,
    path: i.path,
    resourceType: resourceTypeOf(i.resourceTemplate),
    ...(resourceId ? { resourceId } : {}),
    ...(project ? { project } : {}),
    outcome,
    status: i.status,
    ...(outcome !== 'success' && i.error ? { error: i.error } : {}),
    ...(outcome !== 'success' && i.message ? { message: clip(i.message, MAX_AUDIT_MESSAGE) } : {}),
    sourceIp: i.sourceIp,
    requestId: i.requestId,
    ...(i.userAgent ? { userAgent: clip(i.userAgent, MAX_AUDIT_USER_AGENT) } : {}),
  };
}
