import { z } from 'zod';
import { ProjectId } from './projects.js';
import { ROLES, higherRole, type Grant, type Role } from './roles.js';
import { CLEAN_TEXT_MESSAGE, isCleanText } from './text.js';

/**
 * Sign-in through a tenant's own OpenID Connect provider (Cognito, Okta, Entra ID…): the console
 * and the CLI run the authorization code flow with PKCE, the API checks the ID token on every
 * request, and the groups in the token decide the role by a mapping the tenant's admins set.
 * API keys stay for automation.
 */

/**
 * What sign-in asks the provider for unless the tenant says otherwise. Providers differ beyond
 * these: Okta releases groups under a `groups` scope, Cognito refuses `offline_access` (it issues
 * refresh tokens anyway), Entra ID wants `offline_access` for them; so the scopes are a setting.
 */
export const DEFAULT_SIGN_IN_SCOPES: readonly string[] = ['openid', 'profile', 'email'];

/** Loopback hosts: plain http is fine there (a provider on the operator's own machine), nowhere else. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function isIssuerUrl(value: string): boolean {
  if (/[#?\s]/.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.search || url.hash || url.username || url.password) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

const MAX_GROUP_ROLES = 100;

export const SetSsoInput = z
  .strictObject({
    issuer: z
      .string()
      .max(500)
      .refine(isIssuerUrl, 'an https URL with no query or fragment (http only on loopback), exactly as the provider names itself in `iss`'),
    clientId: z.string().min(1).max(200).refine(isCleanText, CLEAN_TEXT_MESSAGE),
    groupsClaim: z
      .string()
      .regex(/^[A-Za-z0-9_.:/-]{1,100}$/, 'a claim name such as groups or cognito:groups')
      .default('groups'),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/, 'a scope token (RFC 6749 §3.3), e.g. offline_access'))
      .min(1)
      .max(20)
      .refine((list) => list.includes('openid'), 'must include openid')
      .refine((list) => new Set(list).size === list.length, 'each scope once')
      .default([...DEFAULT_SIGN_IN_SCOPES])
      .meta({ description: `what sign-in asks the provider for; default ${DEFAULT_SIGN_IN_SCOPES.join(' ')}` }),
    groupRoles: z
      .array(
        z.strictObject({
          group: z.string().min(1).max(256).refine(isCleanText, CLEAN_TEXT_MESSAGE),
          role: z.enum(ROLES),
          project: ProjectId.optional().meta({ description: 'the project the role holds in; without it, the role holds over the whole tenant' }),
        }),
      )
      .min(1)
      .max(MAX_GROUP_ROLES)
      .refine((list) => new Set(list.map((g) => `${g.group}\n${g.project ?? ''}`)).size === list.length, 'each group may be mapped once per project and once tenant-wide'),
  })
  .meta({ id: 'SetSsoInput' });
export type SetSsoInput = z.infer<typeof SetSsoInput>;

export interface SsoConfig extends SetSsoInput {
  readonly tenantId: string;
  readonly updatedAt: string;
}

/** A person signed in through their tenant's provider, as the API knows them. */
export interface SsoUser {
  readonly subject: string;
  readonly name?: string;
  readonly email?: string;
  readonly groups: readonly string[];
}

/**
 * What the user's groups grant: the highest tenant-wide role any of them is mapped to; failing
 * that, the highest role per project; none when no group is mapped. A tenant-wide role holds in
 * every project, so project mappings matter only to people with none.
 */
export function grantForGroups(config: Pick<SsoConfig, 'groupRoles'>, groups: readonly string[]): Grant | undefined {
  const member = new Set(groups);
  let tenantWide: Role | undefined;
  const projects: Record<string, Role> = {};
  for (const { group, role, project } of config.groupRoles) {
    if (!member.has(group)) continue;
    if (project === undefined) tenantWide = tenantWide ? higherRole(tenantWide, role) : role;
    else projects[project] = projects[project] ? higherRole(projects[project], role) : role;
  }
  if (tenantWide) return { role: tenantWide };
  const roles = Object.values(projects);
  if (roles.length === 0) return undefined;
  return { role: roles.reduce(higherRole), projects };
}

/** Tokens are from the provider, but nothing in them is trusted further than it needs to be. */
const MAX_GROUPS = 500;
const MAX_CLAIM_TEXT = 256;

/** The groups claim: an array of strings (or one string); anything else counts as no groups. */
export function groupsOf(claims: Readonly<Record<string, unknown>>, claim: string): string[] {
  const raw = claims[claim];
  const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
  return list.filter((g): g is string => typeof g === 'string' && g.length > 0 && g.length <= MAX_CLAIM_TEXT).slice(0, MAX_GROUPS);
}

const shortText = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= MAX_CLAIM_TEXT && isCleanText(v) ? v : undefined);

/** Who a verified ID token names. */
export function userOf(claims: Readonly<Record<string, unknown>>, groupsClaim: string): SsoUser | undefined {
  const subject = shortText(claims.sub);
  if (!subject) return undefined;
  return { subject, name: shortText(claims.name), email: shortText(claims.email), groups: groupsOf(claims, groupsClaim) };
}

/** What sign-in needs to know of a tenant before anyone is signed in: where to go. */
export interface SignInInfo {
  readonly tenant: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly authorizationEndpoint: string;
  /** Where signing out ends the provider's own session too (OpenID Connect RP-Initiated Logout), when it has one. */
  readonly endSessionEndpoint?: string;
  readonly scopes: readonly string[];
}

/** PKCE (RFC 7636): a verifier is 43–128 unreserved characters. */
export const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

const printable = (max: number) => z.string().min(1).max(max).regex(/^[\x21-\x7e]+$/, 'printable characters only');

/** Either the code of a finished authorization (with its PKCE verifier and redirect URI) or a refresh token. */
export const TokenRequestInput = z
  .strictObject({
    code: printable(2048).optional(),
    codeVerifier: z.string().regex(PKCE_VERIFIER, 'a PKCE verifier: 43-128 letters, digits or -._~').optional(),
    redirectUri: z.url({ protocol: /^https?$/ }).max(2048).optional(),
    refreshToken: printable(4096).optional(),
  })
  .superRefine((input, ctx) => {
    if (input.refreshToken !== undefined) {
      for (const f of ['code', 'codeVerifier', 'redirectUri'] as const)
        if (input[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: 'give either refreshToken, or code with codeVerifier and redirectUri' });
      return;
    }
    for (const f of ['code', 'codeVerifier', 'redirectUri'] as const)
      if (input[f] === undefined) ctx.addIssue({ code: 'custom', path: [f], message: 'is required (or give refreshToken alone)' });
  })
  .meta({ id: 'SignInTokenRequest' });
export type TokenRequestInput = z.infer<typeof TokenRequestInput>;
