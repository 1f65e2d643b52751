import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import type { TicketClaims } from '../../core/bootstrap.js';
import { DomainError, invalidField, payloadTooLarge, unsupportedMediaType } from '../../core/errors.js';
import { asDomainError, isJsonMediaType } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { authenticateAgent, authenticateBake, authenticateTicket, type AgentIdentity } from './auth.js';
import { heartbeat } from './heartbeat.js';
import { AGENT_ROUTES, type AgentRoute } from './routes.js';
import { clock } from '../../core/clock.js';

export type AgentResult = Exclude<APIGatewayProxyResultV2, string> & { statusCode: number };

/** What a route handler gets: the caller, authenticated as its route says, and the parsed body. */
export interface AgentRequest {
  readonly event: APIGatewayProxyEventV2;
  readonly now: Date;
  readonly body: unknown;
  /** Path parameters of the route template, e.g. {id}. */
  readonly params: Readonly<Record<string, string>>;
  readonly agent?: AgentIdentity;
  readonly ticket?: TicketClaims;
  readonly bake?: { readonly tenantId: string; readonly bakeId: string };
}

type RouteHandler = (req: AgentRequest) => Promise<AgentResult>;

/**
 * Each route's handler. The heartbeat, nearly every call, is loaded with the function; the other
 * routes' code (bootstrap bundles and KMS, bakes, commands, logs and S3, compliance) on first use.
 */
const HANDLERS: Record<string, () => Promise<RouteHandler>> = {
  '/agent/v1/heartbeat': async () => heartbeat,
  '/agent/v1/commands/{id}/result': async () => (await import('./command-result.js')).commandResult,
  '/agent/v1/bootstrap': async () => (await import('./bootstrap.js')).bootstrap,
  '/agent/v1/agent': async () => (await import('./agent-download.js')).agentDownload,
  '/agent/v1/bakes/{id}/result': async () => (await import('./bake-result.js')).bakeResult,
  '/agent/v1/logs/{id}/upload': async () => (await import('./log-upload.js')).logUploadForm,
  '/agent/v1/compliance': async () => (await import('./compliance-report.js')).complianceReport,
};

const TEMPLATES = AGENT_ROUTES.map((route) => {
  const names: string[] = [];
  const regex = new RegExp(`^${route.path.replace(/\{(\w+)\}/g, (_, n: string) => (names.push(n), '([A-Za-z0-9_-]{1,100})'))}$`);
  return { route, regex, names };
});

function match(path: string): { route: AgentRoute; params: Record<string, string> } | undefined {
  for (const t of TEMPLATES) {
    const m = t.regex.exec(path);
    if (m) return { route: t.route, params: Object.fromEntries(t.names.map((n, i) => [n, m[i + 1]!])) };
  }
  return undefined;
}

/** Agent reports are larger than API bodies (a 5,000-node cluster), but bounded. */
export const MAX_AGENT_BODY = 1024 * 1024;

export const agentReply = (statusCode: number, body: unknown, headers: Record<string, string> = {}): AgentResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

function parseAgentBody(event: APIGatewayProxyEventV2, max = MAX_AGENT_BODY): unknown {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw) > max) throw payloadTooLarge(max);
  const type = event.headers?.['content-type'] ?? event.headers?.['Content-Type'];
  if (!isJsonMediaType(type)) throw unsupportedMediaType(type);
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw invalidField('body', `malformed JSON: ${(err as Error).message}`);
  }
}

async function authenticate(route: AgentRoute, event: APIGatewayProxyEventV2, now: Date): Promise<Pick<AgentRequest, 'agent' | 'ticket' | 'bake'>> {
  switch (route.auth) {
    case 'agentToken':
      return { agent: await authenticateAgent(event, now) };
    case 'bootstrapTicket':
      return { ticket: await authenticateTicket(event) };
    case 'bakeToken':
      return { bake: await authenticateBake(event) };
  }
}

/**
 * The agent API behind one Lambda function URL: route by path (AGENT_ROUTES), authenticate as the
 * route says, parse the JSON body, and answer errors in the REST API's shape
 * {error, message, details} with a correlation id.
 */
async function dispatch(event: APIGatewayProxyEventV2): Promise<AgentResult> {
  const correlationId = event.headers?.['x-correlation-id'] ?? event.requestContext?.requestId ?? randomUUID();
  logger.appendKeys({ correlationId });
  const path = event.rawPath ?? event.requestContext?.http?.path ?? '';
  const method = event.requestContext?.http?.method ?? 'GET';
  try {
    const found = match(path);
    if (!found) throw new DomainError(404, 'NotFound', `no agent route ${path}`, [{ path: 'path', message: `no agent route ${path}` }]);
    const { route, params } = found;
    if (route.method !== method) throw new DomainError(405, 'MethodNotAllowed', `${method} is not supported on ${path}; use ${route.method}`, [{ path: 'method', message: `use ${route.method}` }]);
    const now = clock.date();
    const who = await authenticate(route, event, now);
    const body = route.body ? parseAgentBody(event, route.maxBody) : undefined;
    const result = await (await HANDLERS[route.path]!())({ event, now, body, params, ...who });
    return { ...result, headers: { ...result.headers, 'x-correlation-id': correlationId } };
  } catch (caught) {
    const err = asDomainError(caught);
    if (err instanceof DomainError) return agentReply(err.status, { error: err.code, message: err.message, details: err.details }, { 'x-correlation-id': correlationId });
    logger.error('agent request failed', { error: err as Error });
    return agentReply(500, { error: 'InternalError', message: `internal error; quote correlation id ${correlationId}`, details: [] }, { 'x-correlation-id': correlationId });
  }
}

export const handler = middy(dispatch).use(injectLambdaContext(logger, { resetKeys: true }));
