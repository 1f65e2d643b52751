/**
 * Every REST route and the handler (one Lambda function each) that serves it.
 * Plain data: the CDK stack builds API Gateway resources from it and the local runtime
 * dispatches with it, so both serve exactly the same paths.
 */
export type HandlerName =
  | 'tenants'
  | 'apikeys'
  | 'projects'
  | 'registries'
  | 'packs'
  | 'profiles'
  | 'cloudaccounts'
  | 'images'
  | 'clusters'
  | 'clusterstatus'
  | 'updates'
  | 'ospatch'
  | 'kubeconfig'
  | 'logs'
  | 'compliance'
  | 'audit'
  | 'quotas'
  | 'sso'
  | 'openapi'
  | 'healthz';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Route {
  readonly method: HttpMethod;
  /** API Gateway resource template, e.g. /v1/clusters/{id}. */
  readonly path: string;
  readonly handler: HandlerName;
  /** Public routes skip the authorizer. */
  readonly public?: boolean;
  /** A read that hands out credentials or data is recorded in the audit log as every change is (core/audit.ts). */
  readonly auditRead?: boolean;
  /** A public route whose success names a caller (a sign-in): recorded under the caller it names. */
  readonly auditSignIn?: boolean;
}

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/healthz', handler: 'healthz', public: true },
  { method: 'GET', path: '/v1/openapi.json', handler: 'openapi', public: true },

  { method: 'GET', path: '/v1/tenants', handler: 'tenants' },
  { method: 'POST', path: '/v1/tenants', handler: 'tenants' },

  { method: 'GET', path: '/v1/projects', handler: 'projects' },
  { method: 'POST', path: '/v1/projects', handler: 'projects' },
  { method: 'GET', path: '/v1/projects/{id}', handler: 'projects' },
  { method: 'DELETE', path: '/v1/projects/{id}', handler: 'projects' },

  { method: 'GET', path: '/v1/apikeys', handler: 'apikeys' },
  { method: 'POST', path: '/v1/apikeys', handler: 'apikeys' },
  { method: 'DELETE', path: '/v1/apikeys/{id}', handler: 'apikeys' },

  { method: 'GET', path: '/v1/registries', handler: 'registries' },
  { method: 'POST', path: '/v1/registries', handler: 'registries' },
  { method: 'GET', path: '/v1/registries/{id}', handler: 'registries' },
  { method: 'DELETE', path: '/v1/registries/{id}', handler: 'registries' },

  { method: 'GET', path: '/v1/registries/{id}/packs', handler: 'packs' },
  { method: 'POST', path: '/v1/registries/{id}/packs', handler: 'packs' },
  { method: 'GET', path: '/v1/registries/{id}/packs/{packId}', handler: 'packs' },

  { method: 'GET', path: '/v1/profiles', handler: 'profiles' },
  { method: 'POST', path: '/v1/profiles', handler: 'profiles' },
  { method: 'GET', path: '/v1/profiles/{id}', handler: 'profiles' },
  { method: 'PUT', path: '/v1/profiles/{id}', handler: 'profiles' },
  { method: 'DELETE', path: '/v1/profiles/{id}', handler: 'profiles' },
  { method: 'GET', path: '/v1/profiles/{id}/revisions', handler: 'profiles' },
  { method: 'GET', path: '/v1/profiles/{id}/revisions/{revision}', handler: 'profiles' },
  { method: 'GET', path: '/v1/profiles/{id}/diff', handler: 'profiles' },
  { method: 'GET', path: '/v1/profiles/{id}/clusters', handler: 'updates' },

  { method: 'GET', path: '/v1/cloudaccounts', handler: 'cloudaccounts' },
  { method: 'POST', path: '/v1/cloudaccounts', handler: 'cloudaccounts' },
  { method: 'GET', path: '/v1/cloudaccounts/{id}', handler: 'cloudaccounts' },
  { method: 'POST', path: '/v1/cloudaccounts/{id}/validate', handler: 'cloudaccounts' },
  { method: 'DELETE', path: '/v1/cloudaccounts/{id}', handler: 'cloudaccounts' },

  { method: 'GET', path: '/v1/images', handler: 'images' },
  { method: 'GET', path: '/v1/images/{id}', handler: 'images' },
  { method: 'DELETE', path: '/v1/images/{id}', handler: 'images' },

  { method: 'GET', path: '/v1/clusters', handler: 'clusters' },
  { method: 'POST', path: '/v1/clusters', handler: 'clusters' },
  { method: 'GET', path: '/v1/clusters/{id}', handler: 'clusters' },
  { method: 'PUT', path: '/v1/clusters/{id}', handler: 'clusters' },
  { method: 'DELETE', path: '/v1/clusters/{id}', handler: 'clusters' },
  { method: 'GET', path: '/v1/clusters/{id}/plan', handler: 'clusters' },
  { method: 'POST', path: '/v1/clusters/{id}/agent-token/rotate', handler: 'clusters' },
  { method: 'POST', path: '/v1/clusters/{id}/commands', handler: 'clusters' },
  { method: 'GET', path: '/v1/clusters/{id}/commands', handler: 'clusters' },
  { method: 'GET', path: '/v1/clusters/{id}/commands/{commandId}', handler: 'clusters' },
  { method: 'GET', path: '/v1/clusters/{id}/updates', handler: 'updates' },
  { method: 'POST', path: '/v1/clusters/{id}/updates/apply', handler: 'updates' },
  { method: 'GET', path: '/v1/clusters/{id}/revisions', handler: 'updates' },
  { method: 'GET', path: '/v1/clusters/{id}/packs/{pack}/values', handler: 'updates' },
  { method: 'PUT', path: '/v1/clusters/{id}/packs/{pack}/values', handler: 'updates' },
  { method: 'GET', path: '/v1/clusters/{id}/ospatch', handler: 'ospatch' },
  { method: 'PUT', path: '/v1/clusters/{id}/ospatch', handler: 'ospatch' },
  { method: 'POST', path: '/v1/clusters/{id}/ospatch/run', handler: 'ospatch' },
  { method: 'GET', path: '/v1/clusters/{id}/conditions', handler: 'clusterstatus' },
  { method: 'GET', path: '/v1/clusters/{id}/events', handler: 'clusterstatus' },
  { method: 'GET', path: '/v1/clusters/{id}/nodes', handler: 'clusterstatus' },
  { method: 'GET', path: '/v1/clusters/{id}/nodes/{name}', handler: 'clusterstatus' },
  { method: 'GET', path: '/v1/clusters/{id}/usage', handler: 'clusterstatus' },
  { method: 'GET', path: '/v1/clusters/{id}/services', handler: 'clusterstatus' },
  // A function of its own: the only API handler that may open a cluster's CA key.
  { method: 'GET', path: '/v1/clusters/{id}/kubeconfig', handler: 'kubeconfig', auditRead: true },
  { method: 'GET', path: '/v1/clusters/{id}/events/follow', handler: 'clusterstatus' },
  { method: 'GET', path: '/v1/events', handler: 'clusterstatus' },
  { method: 'GET', path: '/v1/events/follow', handler: 'clusterstatus' },

  { method: 'POST', path: '/v1/clusters/{id}/logs', handler: 'logs' },
  { method: 'GET', path: '/v1/clusters/{id}/logs', handler: 'logs' },
  // Answers the bundle's download URL once it is ready.
  { method: 'GET', path: '/v1/clusters/{id}/logs/{requestId}', handler: 'logs', auditRead: true },

  { method: 'GET', path: '/v1/compliance', handler: 'compliance' },
  { method: 'GET', path: '/v1/clusters/{id}/compliance', handler: 'compliance' },
  { method: 'POST', path: '/v1/clusters/{id}/compliance/scans', handler: 'compliance' },
  { method: 'GET', path: '/v1/clusters/{id}/compliance/runs/{runId}', handler: 'compliance' },

  // Sign-in through the tenant's identity provider: where to go (public, by tenant name), the code exchange, and the admins' settings.
  { method: 'GET', path: '/v1/signin/{tenant}', handler: 'sso', public: true },
  { method: 'POST', path: '/v1/signin/{tenant}/token', handler: 'sso', public: true, auditSignIn: true },
  { method: 'GET', path: '/v1/sso', handler: 'sso' },
  { method: 'PUT', path: '/v1/sso', handler: 'sso' },
  { method: 'DELETE', path: '/v1/sso', handler: 'sso' },

  { method: 'GET', path: '/v1/quotas', handler: 'quotas' },
  { method: 'GET', path: '/v1/tenants/{id}/quotas', handler: 'quotas' },
  { method: 'PUT', path: '/v1/tenants/{id}/quotas', handler: 'quotas' },

  { method: 'GET', path: '/v1/audit', handler: 'audit' },
  { method: 'GET', path: '/v1/audit/export', handler: 'audit' },
];

/** Handler entry file, relative to the repo root. */
export function handlerEntry(name: HandlerName): string {
  return name === 'clusterstatus' ? 'functions/api/cluster-status.ts' : `functions/api/${name}.ts`;
}

export const AUTHORIZER_ENTRY = 'functions/api/authorizer.ts';

/**
 * How long an authorizer decision is kept, per Authorization header (so per key): a revoked key
 * stops working within this time. API Gateway caches it in AWS; the local gateway the same.
 */
export const AUTHORIZER_CACHE_SECONDS = 5;
