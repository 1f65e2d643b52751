import { DomainError } from '../../core/errors.js';
import type { ApiEvent, ApiResult } from './http.js';

export type RouteHandler = (event: ApiEvent) => Promise<ApiResult>;

/**
 * One Lambda serves one resource family; this picks the method for the API Gateway resource
 * template (`GET /v1/clusters/{id}`). Keys must match functions/api/routes.ts.
 */
export function router(routes: Record<string, RouteHandler>): RouteHandler {
  return async (event) => {
    const key = `${event.httpMethod} ${event.resource}`;
    const fn = routes[key];
    if (!fn) {
      const message = `${event.httpMethod} is not supported on ${event.resource}`;
      throw new DomainError(405, 'MethodNotAllowed', message, [{ path: 'method', message }]);
    }
    return fn(event);
  };
}
