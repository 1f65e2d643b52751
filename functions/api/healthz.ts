import type { ApiResult } from '../commons/http.js';

/** Liveness for load balancers and the local runtime; no auth, no dependencies. */
export async function handler(): Promise<ApiResult> {
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'ok' }) };
}
