import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResult, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { lambdaContext } from './lambda-context.js';

type UrlHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

let heartbeat: UrlHandler | undefined;

/**
 * The agent API as a Lambda function URL delivers it (payload format 2.0), on the same local
 * port as the REST API under /agent/.
 */
export async function serveAgentApi(req: IncomingMessage, body: string): Promise<APIGatewayProxyResult | undefined> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (!url.pathname.startsWith('/agent/')) return undefined;
  if (url.pathname !== '/agent/v1/heartbeat') return json(404, { error: 'NotFound', message: `no agent route ${url.pathname}`, details: [] });
  if (req.method !== 'POST') return json(405, { error: 'MethodNotAllowed', message: 'use POST', details: [] });
  heartbeat ??= ((await import('../functions/agent/heartbeat.js')) as unknown as { handler: UrlHandler }).handler;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local-function-url',
      domainName: url.host,
      domainPrefix: 'local',
      http: { method: 'POST', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  };
  const result = await heartbeat(event, lambdaContext('strata-heartbeat'));
  if (typeof result === 'string') return { statusCode: 200, body: result };
  return { statusCode: result.statusCode ?? 200, headers: result.headers as Record<string, string>, body: result.body ?? '' };
}

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
