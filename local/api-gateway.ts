import { UNAUTHORIZED_MESSAGE } from '../core/errors.js';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { AUTHORIZER_CACHE_SECONDS, AUTHORIZER_ENTRY, ROUTES, handlerEntry, type Route } from '../functions/api/routes.js';
import { loadHandler } from './handlers.js';
import { lambdaContext } from './lambda-context.js';
import type { TenantThrottle } from './tenant-throttle.js';

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type Authorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

/** API Gateway's own payload limit; the handlers enforce the API's smaller one. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

interface CompiledRoute {
  readonly route: Route;
  readonly regex: RegExp;
  readonly params: string[];
}

const compiled: CompiledRoute[] = ROUTES.map((route) => {
  const params: string[] = [];
  const pattern = route.path.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, (_, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { route, regex: new RegExp(`^${pattern}/?$`), params };
});

/** Gateway-generated errors use the API's error shape, as the CDK GatewayResponses do. */
const gatewayError = (statusCode: number, error: string, message: string, path: string): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify({ error, message, details: [{ path, message }] }),
});

/** The usage plan's answer past the tenant's limits: the handler is never invoked, so nothing is written. */
function throttled(retryAfterSeconds: number): APIGatewayProxyResult {
  const message = `this tenant is over its request rate limit; retry after ${retryAfterSeconds} s`;
  const answer = gatewayError(429, 'TooManyRequests', message, 'headers.authorization');
  return { ...answer, headers: { ...answer.headers, 'retry-after': String(retryAfterSeconds) } };
}

export interface GatewayOptions {
  readonly port: number;
  readonly host?: string;
  /** One line per request on stdout. */
  readonly accessLog?: boolean;
  /** Extra local-only routes (e.g. /local/*), tried before the API's. */
  readonly extra?: (req: IncomingMessage, body: string) => Promise<APIGatewayProxyResult | undefined>;
  /** The usage plan's per-tenant throttle, applied after the authorizer; none admits every request. */
  readonly throttle?: TenantThrottle;
}

/**
 * An HTTP server that does what API Gateway REST does for Strata: match the resource,
 * run the REQUEST authorizer (its decision cached per key for AUTHORIZER_CACHE_SECONDS), throttle by
 * the decision's usage identifier key as the usage plan does, build the proxy event, invoke the
 * handler in-process, and write its result.
 */
export async function startGateway(opts: GatewayOptions): Promise<{ server: Server; url: string; stop(): Promise<void> }> {

  /** Allow decisions by Authorization header, kept AUTHORIZER_CACHE_SECONDS as API Gateway keeps them. */
  const decisions = new Map<string, { at: number; decision: APIGatewayAuthorizerResult }>();

  /** The authorizer's decision for these headers, from the cache while it is fresh. */
  async function authorize(headers: Record<string, string>, method: string, resource: string, path: string): Promise<APIGatewayAuthorizerResult> {
    const identity = headers.authorization ?? '';
    const cached = decisions.get(identity);
    if (identity && cached && Date.now() - cached.at < AUTHORIZER_CACHE_SECONDS * 1000) return cached.decision;
    const authorizer = await loadHandler<Authorizer>(AUTHORIZER_ENTRY);
    const decision = await authorizer({
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:us-east-1:000000000000:local/prod/${method}${resource}`,
      resource,
      path,
      httpMethod: method,
      headers,
      multiValueHeaders: {},
      pathParameters: {},
      queryStringParameters: {},
      multiValueQueryStringParameters: {},
      stageVariables: {},
      requestContext: {} as APIGatewayRequestAuthorizerEvent['requestContext'],
    });
    if (decisions.size > 10_000) decisions.clear();
    decisions.set(identity, { at: Date.now(), decision });
    return decision;
  }

  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    handle(req)
      .then((result) => write(res, result))
      .catch((err: unknown) => {
        console.error('local gateway error', err);
        write(res, gatewayError(502, 'BadGateway', 'the handler failed to answer', ''));
      })
      .finally(() => {
        if (opts.accessLog) {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          console.log(`${req.method} ${req.url} ${res.statusCode} ${ms.toFixed(1)}ms`);
        }
      });
  });

  // Idle keep-alive sockets stay open longer than clients keep theirs (undici: 4 s), so a client never
  // sends on a socket the server has just closed (ECONNRESET on a busy machine), as API Gateway does.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function handle(req: IncomingMessage): Promise<APIGatewayProxyResult> {
    const body = await readBody(req);
    if (body === undefined) return gatewayError(413, 'PayloadTooLarge', `request body exceeds ${GATEWAY_MAX_BODY} bytes`, 'body');
    if (opts.extra) {
      const answered = await opts.extra(req, body);
      if (answered) return answered;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const onPath = compiled.filter((c) => c.regex.test(url.pathname));
    if (onPath.length === 0) return gatewayError(404, 'NotFound', `no route for ${url.pathname}`, 'path');
    const match = onPath.find((c) => c.route.method === method);
    if (!match) return gatewayError(405, 'MethodNotAllowed', `${method} is not supported on ${url.pathname}`, 'method');

    const values = match.regex.exec(url.pathname)!.slice(1);
    const headers = flatHeaders(req);
    const requestId = randomUUID();
    let authorizerContext: Record<string, unknown> | null = null;
    let usageKey: string | undefined;
    if (!match.route.public) {
      try {
        const decision = await authorize(headers, method, match.route.path, url.pathname);
        if (decision.policyDocument.Statement.some((s) => s.Effect === 'Deny')) return gatewayError(403, 'Forbidden', 'access denied', 'headers.authorization');
        authorizerContext = { ...(decision.context ?? {}), principalId: decision.principalId };
        usageKey = decision.usageIdentifierKey ?? undefined;
      } catch {
        return gatewayError(401, 'Unauthorized', UNAUTHORIZED_MESSAGE, 'headers.authorization');
      }
      // As API Gateway answers a method that requires an API key when the authorizer (the key source) names none.
      if (!usageKey) return gatewayError(403, 'Forbidden', 'the authorizer named no usage plan key for this caller', 'headers.authorization');
      const retryAfter = opts.throttle?.admit(usageKey, String(authorizerContext.tenantId ?? '')) ?? 0;
      if (retryAfter > 0) return throttled(retryAfter);
    }

    const query = [...url.searchParams.keys()];
    const event: APIGatewayProxyEvent = {
      resource: match.route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: query.length ? Object.fromEntries(url.searchParams.entries()) : null,
      multiValueQueryStringParameters: query.length ? Object.fromEntries(query.map((k) => [k, url.searchParams.getAll(k)])) : null,
      pathParameters: match.params.length ? Object.fromEntries(match.params.map((p, i) => [p, values[i]!])) : null,
      stageVariables: null,
      body: body === '' ? null : body,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        authorizer: authorizerContext,
        httpMethod: method,
        identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1' } as APIGatewayProxyEvent['requestContext']['identity'],
        path: url.pathname,
        protocol: 'HTTP/1.1',
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: 'local',
        resourcePath: match.route.path,
        stage: 'prod',
      },
    };
    const handler = await loadHandler<ApiHandler>(handlerEntry(match.route.handler));
    return handler(event, lambdaContext(`strata-${match.route.handler}`));
  }

  await new Promise<void>((done) => server.listen(opts.port, opts.host ?? '127.0.0.1', done));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    server,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

/** The body as text, or undefined past the gateway limit (the rest is drained). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > GATEWAY_MAX_BODY) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function write(res: ServerResponse, result: APIGatewayProxyResult): void {
  if (res.headersSent) return;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode, headers);
  res.end(body);
}
