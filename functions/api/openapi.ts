import type { ApiResult } from '../commons/http.js';

let cached: string | undefined;

/** GET /v1/openapi.json: built once per process from the zod schemas that validate requests. */
export async function handler(): Promise<ApiResult> {
  // The schemas and zod-openapi load with the first request, which builds the document anyway.
  cached ??= JSON.stringify((await import('./openapi-document.js')).openApiDocument());
  return { statusCode: 200, headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' }, body: cached };
}
