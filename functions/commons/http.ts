import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type middy from '@middy/core';
import type { z } from 'zod';
import { DomainError, invalidField, payloadTooLarge, unauthorized, unsupportedMediaType } from '../../core/errors.js';
import { principalFromContext, type Principal } from '../../core/roles.js';
import { busy } from '../../adapters/dynamodb/definitions.js';
import { isTransactionConflict } from '../../adapters/dynamodb/errors.js';
import { logger } from './powertools.js';
import { validate } from './validation.js';

export type ApiEvent = APIGatewayProxyEvent;
export type ApiResult = APIGatewayProxyResult;

export const MAX_BODY_BYTES = 256 * 1024;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: body === undefined ? '' : JSON.stringify(body) };
}

export const noContent = (): ApiResult => ({ statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' });

/** The caller, as the authorizer resolved it. Its absence is a 401, never a crash. */
export function principalOf(event: ApiEvent): Principal {
  const principal = principalFromContext(event.requestContext?.authorizer as Record<string, unknown> | null | undefined);
  if (!principal) throw unauthorized();
  return principal;
}

/** Parse and validate the JSON body: size, syntax, then the schema, each a 4xx naming the field. */
export function parseBody<S extends z.ZodType>(event: ApiEvent, schema: S): z.infer<S> {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw payloadTooLarge(MAX_BODY_BYTES);
  if (text.trim() === '') throw invalidField('body', 'a JSON object is required');
  const type = header(event, 'content-type');
  if (!isJsonMediaType(type)) throw unsupportedMediaType(type);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw invalidField('body', `malformed JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw invalidField('body', 'must be a JSON object');
  return validate(schema, data, '');
}

/** application/json, with or without parameters such as charset=utf-8. */
export const isJsonMediaType = (type: string | undefined) => type !== undefined && /^application\/json\s*(;|$)/i.test(type.trim());

export function parseQuery<S extends z.ZodType>(event: ApiEvent, schema: S): z.infer<S> {
  return validate(schema, event.queryStringParameters ?? {}, 'query');
}

/** Longest id or name any resource has (a node name is a DNS name, up to 253). */
const MAX_PATH_PARAM = 256;

export function pathParam(event: ApiEvent, name: string): string {
  const raw = event.pathParameters?.[name];
  if (!raw) throw invalidField(`path.${name}`, 'is required');
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw invalidField(`path.${name}`, 'is not validly URL-encoded');
  }
  if (value.length > MAX_PATH_PARAM) throw invalidField(`path.${name}`, `is longer than ${MAX_PATH_PARAM} characters`);
  return value;
}

export function header(event: ApiEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === lower) return v ?? undefined;
  return undefined;
}

/**
 * middy middleware: a correlation id on every log line and response, errors turned into
 * {error, message, details}, and the request recorded in the audit log when its route is one
 * (functions/commons/audit-trail.ts). A DomainError keeps its status; anything else is logged and
 * becomes a 500 that leaks nothing.
 */
export function httpApi(): middy.MiddlewareObj<ApiEvent, ApiResult> {
  const correlationId = (event: ApiEvent) => header(event, 'x-correlation-id') ?? event.requestContext?.requestId ?? 'none';
  return {
    before: async (request) => {
      logger.appendKeys({ correlationId: correlationId(request.event) });
    },
    after: async (request) => {
      if (request.response) {
        request.response.headers = { ...request.response.headers, 'x-correlation-id': correlationId(request.event) };
        await auditTrail(request.event, request.response);
      }
    },
    onError: async (request) => {
      const err = asDomainError(request.error);
      const id = correlationId(request.event);
      if (err instanceof DomainError) {
        if (err.status >= 500) logger.error('request failed', { error: err });
        request.response = json(err.status, { error: err.code, message: err.message, details: err.details }, { 'x-correlation-id': id });
      } else {
        logger.error('unhandled error', { error: err as Error });
        request.response = json(500, { error: 'InternalError', message: `internal error; quote correlation id ${id}`, details: [] }, { 'x-correlation-id': id });
      }
      // Refused and failed requests are recorded too, with their outcome.
      await auditTrail(request.event, request.response);
    },
  };
}

/**
 * The audit trail (functions/commons/audit-trail.ts), loaded with the first answer: modules that
 * take only this file's helpers (the agent API) never load the route registry and the audit store.
 */
async function auditTrail(event: ApiEvent, response: ApiResult): Promise<void> {
  const { recordAudit } = await import('./audit-trail.js');
  await recordAudit(event, response);
}

/** Errors of the data layer a caller can act on, as the DomainError they are; others unchanged. */
export function asDomainError(err: unknown): unknown {
  if (isTransactionConflict(err)) return busy();
  return err;
}
