import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResult, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { AGENT_API_ENTRY } from '../functions/agent/routes.js';
import { loadHandler } from './handlers.js';
import { lambdaContext } from './lambda-context.js';
import { clock } from '../core/clock.js';

type UrlHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/**
 * The agent API as a Lambda function URL delivers it (payload format 2.0), on the same local port
 * as the REST API under /agent/: every path goes to the one function, which routes by itself.
 */
export async function serveAgentApi(req: IncomingMessage, body: string): Promise<APIGatewayProxyResult | undefined> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (!url.pathname.startsWith('/agent/')) return undefined;
  const agentApi = await loadHandler<UrlHandler>(AGENT_API_ENTRY);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  const method = (req.method ?? 'GET').toUpperCase();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    // As a function URL passes them: present only when there are some, repeated names joined by commas.
    ...(url.search.length > 1 ? { queryStringParameters: Object.fromEntries([...new Set(url.searchParams.keys())].map((k) => [k, url.searchParams.getAll(k).join(',')])) } : {}),
    headers,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local-function-url',
      domainName: url.host,
      domainPrefix: 'local',
      http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: clock.date().toISOString(),
      timeEpoch: clock.now(),
    },
  };
  const result = await agentApi(event, lambdaContext('strata-agent-api'));
  if (typeof result === 'string') return { statusCode: 200, body: result };
  return { statusCode: result.statusCode ?? 200, headers: result.headers as Record<string, string>, body: result.body ?? '', isBase64Encoded: result.isBase64Encoded };
}
