import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { clock } from '../../core/clock.js';
import { DomainError, forbidden, invalidField } from '../../core/errors.js';
import { requireRole, userContext } from '../../core/roles.js';
import { SetSsoInput, TokenRequestInput, type SignInInfo, type SsoConfig } from '../../core/sso.js';
import { TENANT_NAME } from '../../core/tenants.js';
import { deleteSsoConfig, getSsoConfig, putSsoConfig } from '../../adapters/dynamodb/sso-store.js';
import { discover, requestTokens } from '../../adapters/oidc/provider.js';
import { listProjects } from '../../adapters/dynamodb/projects-store.js';
import { httpApi, json, noContent, parseBody, pathParam, principalOf, type ApiEvent } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { signedInUser } from '../commons/signed-in-user.js';

/** The tenant named in a public path, with its sign-in settings; one 404 whether the tenant is unknown or has no sign-in. */
async function signInOf(event: ApiEvent): Promise<SsoConfig> {
  const tenant = pathParam(event, 'tenant');
  const config = TENANT_NAME.test(tenant) ? await getSsoConfig(tenant) : undefined;
  if (!config) throw new DomainError(404, 'NotFound', `tenant ${tenant} has no sign-in through an identity provider; use an API key`, [{ path: 'path.tenant', message: 'no sign-in configured' }]);
  return config;
}

const noSignIn = (tenantId: string) =>
  new DomainError(404, 'NotFound', `tenant ${tenantId} has no sign-in configured`, [{ path: 'path', message: 'no sign-in configured' }]);

/**
 * The caller the sign-in names, for the audit trail: a public route has no authorizer context, so
 * the handler puts the one it established there, as the authorizer would have.
 */
function recordCaller(event: ApiEvent, context: Record<string, string | boolean>): void {
  (event.requestContext as { authorizer?: unknown }).authorizer = context;
}

/**
 * Sign-in through the tenant's OpenID provider. Public: where to go, and the code exchange (the
 * console and the CLI run the authorization code flow with PKCE; the API makes the token request
 * so the browser needs no CORS or CSP allowance for each tenant's provider). Admins: the settings.
 */
export const handler = middy(
  router({
    'GET /v1/signin/{tenant}': async (event) => {
      const config = await signInOf(event);
      const { authorization_endpoint, end_session_endpoint } = await discover(config.issuer);
      const info: SignInInfo = {
        tenant: config.tenantId,
        issuer: config.issuer,
        clientId: config.clientId,
        authorizationEndpoint: authorization_endpoint,
        ...(end_session_endpoint ? { endSessionEndpoint: end_session_endpoint } : {}),
        scopes: config.scopes,
      };
      return json(200, info);
    },
    'POST /v1/signin/{tenant}/token': async (event) => {
      const config = await signInOf(event);
      const input = parseBody(event, TokenRequestInput);
      const request = input.refreshToken !== undefined ? { refreshToken: input.refreshToken } : { code: input.code!, codeVerifier: input.codeVerifier!, redirectUri: input.redirectUri! };
      const tokens = await requestTokens(config, request);
      const who = await signedInUser(tokens.idToken);
      if (!who.ok) {
        if (who.user) throw forbidden(`${who.user.email ?? who.user.subject}: ${who.reason}; ask an admin of the tenant to map one of your groups to a role`, 'groups');
        throw new DomainError(503, 'ServiceUnavailable', `the identity provider's ID token was not accepted (${who.reason})`);
      }
      if (who.config.tenantId !== config.tenantId) throw new DomainError(503, 'ServiceUnavailable', `the identity provider issued a token for another client`);
      const { user, grant } = who;
      recordCaller(event, userContext(config.tenantId, grant, user));
      return json(200, {
        idToken: tokens.idToken,
        expiresAt: who.expiresAt,
        ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
        tenantId: config.tenantId,
        role: grant.role,
        ...(grant.projects ? { projects: grant.projects } : {}),
        user,
      });
    },
    'GET /v1/sso': async (event) => {
      const principal = principalOf(event);
      requireRole(principal, 'admin');
      const config = await getSsoConfig(principal.tenantId);
      if (!config) throw noSignIn(principal.tenantId);
      return json(200, config);
    },
    'PUT /v1/sso': async (event) => {
      const principal = principalOf(event);
      requireRole(principal, 'admin');
      const input = parseBody(event, SetSsoInput);
      // In a Lambda function loopback is the function's own runtime API, never a provider.
      if (input.issuer.startsWith('http:') && process.env.SSO_LOOPBACK_ISSUERS !== 'allow') throw invalidField('issuer', 'must be an https URL (plain http on loopback is for the local runtime only)');
      // A mapping names projects that exist (a project deleted later simply grants nothing).
      const known = new Set((await listProjects(principal.tenantId)).map((p) => p.id));
      input.groupRoles.forEach(({ project }, i) => {
        if (project !== undefined && !known.has(project)) throw invalidField(`groupRoles[${i}].project`, `the tenant has no project ${project}`);
      });
      // The provider must answer its discovery document now, or no one could sign in with these settings.
      await discover(input.issuer).catch((err: Error) => {
        throw invalidField('issuer', err.message);
      });
      return json(200, await putSsoConfig({ ...input, tenantId: principal.tenantId, updatedAt: clock.date().toISOString() }));
    },
    'DELETE /v1/sso': async (event) => {
      const principal = principalOf(event);
      requireRole(principal, 'admin');
      if (!(await deleteSsoConfig(principal.tenantId))) throw noSignIn(principal.tenantId);
      return noContent();
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
