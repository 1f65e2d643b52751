import { json, type ApiResult } from '../commons/http.js';
import { openApiDocument } from './openapi-document.js';

let cached: string | undefined;

/** GET /v1/openapi.json: built once per process from the zod schemas that validate requests. */
export async function handler(): Promise<ApiResult> {
  cached ??= JSON.stringify(openApiDocument());
  return { ...json(200, undefined), body: cached, headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' } };
}
