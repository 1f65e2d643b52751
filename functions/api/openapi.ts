import type { ApiResult } from '../commons/http.js';
import { openApiDocument } from './openapi-document.js';

let cached: string | undefined;

/** GET /v1/openapi.json: built once per process from the zod schemas that validate requests. */
export async function handler(): Promise<ApiResult> {
  cached ??= JSON.stringify(openApiDocument());
  return { statusCode: 200, headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' }, body: cached };
}
