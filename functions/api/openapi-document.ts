import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { z } from 'zod';
import { CreateApiKeyInput } from '../../core/api-key-input.js';
import { CreateCloudAccountInput } from '../../core/cloud-accounts.js';
import { CreateClusterInput, UpdateClusterInput } from '../../core/clusters.js';
import { CreatePackInput } from '../../core/packs.js';
import { CreateProfileInput, UpdateProfileInput } from '../../core/profiles.js';
import { CreateRegistryInput } from '../../core/registries.js';
import { CreateTenantInput } from '../../core/tenants.js';
import { ROUTES } from './routes.js';

/** The request schemas that validate each write are the ones documented. */
const REQUEST_BODIES: Record<string, z.ZodType> = {
  'POST /v1/tenants': CreateTenantInput,
  'POST /v1/apikeys': CreateApiKeyInput,
  'POST /v1/registries': CreateRegistryInput,
  'POST /v1/registries/{id}/packs': CreatePackInput,
  'POST /v1/profiles': CreateProfileInput,
  'PUT /v1/profiles/{id}': UpdateProfileInput,
  'POST /v1/cloudaccounts': CreateCloudAccountInput,
  'POST /v1/clusters': CreateClusterInput,
  'PUT /v1/clusters/{id}': UpdateClusterInput,
};

const ErrorBody = z
  .object({
    error: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .meta({ id: 'Error' });

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });

export function openApiDocument() {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of ROUTES) {
    const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const body = REQUEST_BODIES[`${route.method} ${route.path}`];
    const op: ZodOpenApiOperationObject = {
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[{}]/g, '').replace(/[/.]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
      tags: [route.handler],
      security: route.public ? [] : [{ apiKey: [] }],
      requestParams: params.length ? { path: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) } : undefined,
      requestBody: body ? { content: { 'application/json': { schema: body } } } : undefined,
      responses: {
        [route.method === 'POST' ? '201' : route.method === 'DELETE' ? '204' : '200']: { description: 'OK' },
        '400': errorResponse('invalid input; details name each field'),
        '401': errorResponse('missing or unknown API key'),
        '403': errorResponse('the key role may not do this'),
        '404': errorResponse('no such resource for this tenant'),
        '409': errorResponse('name taken, stale version, or still referenced'),
        '413': errorResponse('body over 256 KiB'),
      },
    };
    const methods = (paths[route.path] ??= {});
    (methods as Record<string, ZodOpenApiOperationObject>)[route.method.toLowerCase()] = op;
  }
  return createDocument({
    openapi: '3.1.0',
    info: { title: 'Strata API', version: '1.0.0', description: 'Kubernetes cluster lifecycle: profiles of packs, cloud accounts, clusters.' },
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' } } },
    paths,
  });
}
