import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { auditEntry, isAudited, resourceTypeOf } from '../../core/audit.js';
import { clock } from '../../core/clock.js';
import { principalFromContext, type Principal } from '../../core/roles.js';
import { appendAudit } from '../../adapters/dynamodb/audit-store.js';
import { ROUTES } from '../api/routes.js';
import { logger } from './powertools.js';

/** The recorded routes, as `METHOD /resource/{template}` (what API Gateway puts in event.resource). */
const RECORDED = new Set(ROUTES.filter((r) => (!r.public || r.auditSignIn) && isAudited(r)).map((r) => `${r.method} ${r.path}`));

/** The caller the authorizer resolved, or undefined (then there is no one to record). */
const callerOf = (event: APIGatewayProxyEvent): Principal | undefined =>
  principalFromContext(event.requestContext?.authorizer as Record<string, unknown> | null | undefined);

function bodyOf(result: APIGatewayProxyResult): Record<string, unknown> | undefined {
  if (!result.body || !String(result.headers?.['content-type'] ?? '').startsWith('application/json')) return undefined;
  try {
    const body = JSON.parse(result.body) as unknown;
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The id of what a create made: the answer's id, or its resource's (POST /v1/tenants answers {tenant, apiKey}). */
function createdIdOf(body: Record<string, unknown> | undefined, resourceTemplate: string): string | undefined {
  const singular = resourceTypeOf(resourceTemplate).replace(/s$/, '');
  const nested = body?.[singular];
  return text(body?.id) ?? (typeof nested === 'object' && nested !== null ? text((nested as Record<string, unknown>).id) : undefined);
}

function headerOf(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === name) return v ?? undefined;
  return undefined;
}

/**
 * Record a request that reached a handler in its tenant's audit log, with the answer it got: every
 * change, and the reads that hand out credentials. A failed write is logged with the whole entry
 * (the log is the record of last resort) and never turns the answer into an error: what the
 * request did has been done.
 */
export async function recordAudit(event: APIGatewayProxyEvent, result: APIGatewayProxyResult): Promise<void> {
  if (!RECORDED.has(`${event.httpMethod} ${event.resource}`)) return;
  const principal = callerOf(event);
  if (!principal) return;
  const body = bodyOf(result);
  const entry = auditEntry({
    principal,
    method: event.httpMethod,
    resourceTemplate: event.resource,
    path: event.path,
    pathId: text(event.pathParameters?.id),
    createdId: result.statusCode === 201 ? createdIdOf(body, event.resource) : undefined,
    project: text(body?.projectId),
    status: result.statusCode,
    error: text(body?.error),
    message: text(body?.message),
    sourceIp: event.requestContext?.identity?.sourceIp ?? 'unknown',
    requestId: event.requestContext?.requestId ?? 'unknown',
    userAgent: headerOf(event, 'user-agent'),
    at: clock.date(),
  });
  try {
    await appendAudit(entry);
  } catch (err) {
    logger.error('audit entry not written', { auditEntry: entry, error: err as Error });
  }
}
