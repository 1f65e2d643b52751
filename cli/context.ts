import { Command } from 'commander';
import { ApiClient, type Credential } from './api-client.js';
import type { Cluster, SignInTokens } from './api-types.js';
import { resolvePlatform, saveSession, type SsoSession } from './config.js';
import { ApiError, UsageError } from './errors.js';
import { clusters } from './kinds/cluster.js';
import { Resolver } from './resolver.js';

/** An ID token this close to its expiry is refreshed first: it must outlive the request it goes with. */
export const REFRESH_MARGIN_MS = 60_000;

/** What a sign-in keeps of the API's token answer. */
export function sessionOf(tenant: string, tokens: SignInTokens, previous?: SsoSession): SsoSession {
  // A provider that does not rotate refresh tokens answers a refresh without one: the old one still holds.
  const refreshToken = tokens.refreshToken ?? previous?.refreshToken;
  return { tenant, idToken: tokens.idToken, expiresAt: tokens.expiresAt, ...(refreshToken ? { refreshToken } : {}) };
}

export interface RefreshDeps {
  readonly now: () => number;
  /** POST /v1/signin/{tenant}/token {refreshToken}. */
  readonly refresh: (tenant: string, refreshToken: string) => Promise<SignInTokens>;
  readonly store: (session: SsoSession) => void;
}

/**
 * The sign-in to use now: the stored one while its ID token has more than a minute left, else one
 * refreshed with its refresh token (and stored). No refresh token, or one the API refuses: the user
 * signs in again.
 */
export async function freshSession(url: string, session: SsoSession, deps: RefreshDeps): Promise<SsoSession> {
  if (Date.parse(session.expiresAt) - deps.now() > REFRESH_MARGIN_MS) return session;
  const expired = new UsageError(`your sign-in to ${url} expired; run strata login --sso --url ${url} --tenant ${session.tenant}`);
  if (!session.refreshToken) throw expired;
  let tokens: SignInTokens;
  try {
    tokens = await deps.refresh(session.tenant, session.refreshToken);
  } catch (err) {
    // A refusal (revoked, expired, the groups no longer map to a role) means signing in again; the API being unreachable does not.
    if (err instanceof ApiError && err.status >= 400 && err.status < 500) throw expired;
    throw err;
  }
  const fresh = sessionOf(session.tenant, tokens, session);
  deps.store(fresh);
  return fresh;
}

/** The bearer token of a stored sign-in at each request, refreshed once however many requests wait for it. */
function signInCredential(url: string, profile: string, stored: SsoSession): Credential {
  let session = stored;
  let pending: Promise<SsoSession> | undefined;
  const deps: RefreshDeps = {
    now: Date.now,
    refresh: (tenant, refreshToken) => new ApiClient(url, undefined).request<SignInTokens>('POST', `/v1/signin/${encodeURIComponent(tenant)}/token`, { body: { refreshToken } }),
    store: (fresh) => saveSession(profile, session, fresh),
  };
  return async () => {
    pending ??= freshSession(url, session, deps).finally(() => (pending = undefined));
    session = await pending;
    return session.idToken;
  };
}

/** The API client of this run: the platform from the environment, or --profile's (or the default) in the config file. */
export function apiOf(cmd: Command): ApiClient {
  const { profile } = cmd.optsWithGlobals<{ profile?: string }>();
  const platform = resolvePlatform(profile);
  return new ApiClient(platform.url, 'key' in platform ? platform.key : signInCredential(platform.url, platform.profile, platform.sso));
}

export function resolverOf(cmd: Command): Resolver {
  return new Resolver(apiOf(cmd));
}

/** `<verb> cluster NAME`: a verb whose object is one cluster (describe, events, wait, usage, …). */
export function clusterVerb(verb: string, description: string): { verb: Command; cluster: Command } {
  const parent = new Command(verb).description(description);
  const cluster = parent.command('cluster').aliases(['clusters', 'cl']).argument('<name>', 'the cluster: its name or id').description(description);
  return { verb: parent, cluster };
}

/** The cluster a command names, by name or id. */
export async function namedCluster(cmd: Command, name: string): Promise<{ resolver: Resolver; cluster: Cluster }> {
  const resolver = resolverOf(cmd);
  return { resolver, cluster: await resolver.one(clusters, name) };
}
