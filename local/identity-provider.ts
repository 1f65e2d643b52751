import { generateKeyPair, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
// @ts-expect-error oidc-provider ships no type declarations; the few parts used here are typed below.
import OidcProvider from 'oidc-provider';
import type { Role } from '../core/roles.js';

/**
 * A small OpenID Connect provider for the local runtime, so sign-in can be tried without an
 * account at Okta, Entra ID or Cognito: one public client (`strata`, code flow with PKCE) and
 * two trial users whose groups map to roles in tenant "default". Everything is in memory: the
 * signing key, sessions and refresh tokens last as long as the process.
 */

/** The client the console and the CLI sign in with. */
export const LOCAL_SSO_CLIENT_ID = 'strata';

export interface LocalSsoUser {
  /** Also the subject (`sub`) of the user's tokens. */
  readonly username: string;
  readonly password: string;
  readonly name: string;
  readonly email: string;
  readonly groups: readonly string[];
}

/** Trial accounts of the local provider only; they exist nowhere else. */
export const LOCAL_SSO_USERS: readonly LocalSsoUser[] = [
  { username: 'alice', password: 'alice-local', name: 'Alice Admin', email: 'alice@example.com', groups: ['platform-admins'] },
  { username: 'bob', password: 'bob-local', name: 'Bob Developer', email: 'bob@example.com', groups: ['app-developers'] },
];

/** How tenant "default" maps the trial users' groups to roles. */
export const LOCAL_SSO_GROUP_ROLES: readonly { readonly group: string; readonly role: Role }[] = [
  { group: 'platform-admins', role: 'admin' },
  { group: 'app-developers', role: 'editor' },
];

/** The native apps' redirect URI (RFC 8252 §7.3): any port on 127.0.0.1 is accepted for it. */
export const LOCAL_SSO_NATIVE_REDIRECT_URI = 'http://127.0.0.1/callback';

export interface IdentityProviderOptions {
  /** 0 or absent: a free port. */
  readonly port?: number;
  /** Where the console receives the authorization code: `${runtime.url}/`. */
  readonly consoleRedirectUri: string;
}

export interface IdentityProvider {
  /** `http://127.0.0.1:<port>`, exactly as the ID tokens' `iss`. */
  readonly issuer: string;
  stop(): Promise<void>;
}

// The parts of oidc-provider used here.
interface Interaction {
  readonly uid: string;
  readonly prompt: { readonly name: string };
  readonly params: Readonly<Record<string, unknown>>;
  readonly session?: { readonly accountId?: string };
  readonly grantId?: string;
}
interface Grant {
  readonly accountId: string;
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface Provider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: object, opts?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  Grant: { new (init: { accountId: string; clientId: string }): Grant; find(id: string): Promise<Grant | undefined> };
  Client: { prototype: { redirectUriAllowed(uri: string): boolean } };
}
type Payload = Record<string, unknown> & { uid?: string; userCode?: string; grantId?: string; consumed?: number };

const SCOPES = ['openid', 'profile', 'email', 'groups', 'offline_access'];
const HOUR = 3600;
const DAY = 24 * HOUR;

export async function startIdentityProvider(opts: IdentityProviderOptions): Promise<IdentityProvider> {
  let provider: Provider | undefined;
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (!provider || !handle) return void res.writeHead(503).end();
    void route(provider, handle, req, res).catch((err: Error) => {
      console.error(`identity provider: ${err.stack ?? err.message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    provider = await createProvider(issuer, opts.consoleRedirectUri);
    handle = provider.callback();
  } catch (err) {
    server.close();
    throw err;
  }
  return {
    issuer,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Clients' keep-alive connections would hold close() open.
        server.closeAllConnections();
      }),
  };
}

async function createProvider(issuer: string, consoleRedirectUri: string): Promise<Provider> {
  const consoleOrigin = new URL(consoleRedirectUri).origin;
  const signingKey = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const jwk = { ...signingKey.privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  const provider = new OidcProvider(issuer, {
    adapter: memoryAdapter(),
    jwks: { keys: [jwk] },
    clients: [
      {
        client_id: LOCAL_SSO_CLIENT_ID,
        client_name: 'Strata',
        application_type: 'web',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [consoleRedirectUri, LOCAL_SSO_NATIVE_REDIRECT_URI],
        // Signing out of the console ends the provider's session too, then comes back to the console.
        post_logout_redirect_uris: [consoleRedirectUri],
      },
    ],
    scopes: SCOPES,
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    // The ID token carries the granted scopes' claims (groups above all): the API reads only it.
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, sub: string) => {
      const user = LOCAL_SSO_USERS.find((u) => u.username === sub);
      if (!user) return undefined;
      return {
        accountId: user.username,
        claims: async () => ({
          sub: user.username,
          name: user.name,
          preferred_username: user.username,
          email: user.email,
          email_verified: true,
          groups: [...user.groups],
        }),
      };
    },
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clientBasedCORS: (_ctx: unknown, origin: string) => origin === consoleOrigin,
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    },
    ttl: {
      AccessToken: HOUR,
      AuthorizationCode: 60,
      IdToken: HOUR,
      RefreshToken: 14 * DAY,
      Interaction: HOUR,
      Session: 14 * DAY,
      Grant: 14 * DAY,
    },
    renderError,
  }) as Provider;
  // Native apps listen on a port of their choosing (RFC 8252 §7.3): `http://127.0.0.1:<any>/callback`.
  const registeredOnly = provider.Client.prototype.redirectUriAllowed;
  provider.Client.prototype.redirectUriAllowed = function (uri: string) {
    return registeredOnly.call(this, uri) || isLoopbackCallback(uri);
  };
  return provider;
}

function isLoopbackCallback(uri: string): boolean {
  const url = URL.parse(uri);
  return (
    !!url &&
    url.protocol === 'http:' &&
    url.hostname === '127.0.0.1' &&
    url.pathname === '/callback' &&
    !url.search &&
    !url.hash &&
    !url.username &&
    !url.password
  );
}

async function route(provider: Provider, handle: (req: IncomingMessage, res: ServerResponse) => void, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  // Browsers ask every origin for one; an empty answer keeps their consoles free of 404s.
  if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
  const interaction = /^\/interaction\/([\w-]+)$/.exec(url.pathname);
  if (interaction) {
    if (req.method === 'GET') return showInteraction(provider, interaction[1]!, req, res);
    if (req.method === 'POST') return submitInteraction(provider, interaction[1]!, req, res);
    return void res.writeHead(405, { allow: 'GET, POST' }).end();
  }
  if (url.pathname === '/auth' && req.method === 'GET') {
    // oidc-provider keeps offline_access only with prompt=consent; for its own first-party client
    // the local provider issues the refresh token as other providers do when offline_access is asked.
    const scope = url.searchParams.get('scope')?.split(' ') ?? [];
    const prompt = new Set(url.searchParams.get('prompt')?.split(' ').filter(Boolean));
    if (scope.includes('offline_access') && !prompt.has('consent') && !prompt.has('none')) {
      url.searchParams.set('prompt', [...prompt, 'consent'].join(' '));
      req.url = `${url.pathname}${url.search}`;
    }
  }
  handle(req, res);
}

async function findInteraction(provider: Provider, uid: string, req: IncomingMessage, res: ServerResponse): Promise<Interaction | undefined> {
  const details = await provider.interactionDetails(req, res).catch(() => undefined);
  if (details?.uid === uid) return details;
  sendHtml(res, 400, page('Sign-in expired', '<p>This sign-in has expired or was already completed. Start again from Strata.</p>'));
  return undefined;
}

async function showInteraction(provider: Provider, uid: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await findInteraction(provider, uid, req, res);
  if (!details) return;
  const signedIn = details.session?.accountId;
  // Someone already signed in here is only asked to consent: Strata is this provider's own client, so it is given.
  if (details.prompt.name === 'consent' && signedIn && LOCAL_SSO_USERS.some((u) => u.username === signedIn)) {
    return finish(provider, details, signedIn, req, res, false);
  }
  sendHtml(res, 200, loginForm(uid));
}

async function submitInteraction(provider: Provider, uid: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await findInteraction(provider, uid, req, res);
  if (!details) return;
  const body = await readBody(req).catch(() => undefined);
  if (body === undefined) return sendHtml(res, 413, page('Sign-in failed', '<p>The form sent too much.</p>'));
  const form = new URLSearchParams(body);
  if (form.get('action') === 'cancel') {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'sign-in cancelled' }, { mergeWithLastSubmission: false });
  }
  const username = form.get('username')?.trim() ?? '';
  const user = LOCAL_SSO_USERS.find((u) => u.username === username);
  if (!user || !samePassword(form.get('password') ?? '', user.password)) {
    return sendHtml(res, 400, loginForm(uid, { username, error: 'Wrong username or password.' }));
  }
  return finish(provider, details, user.username, req, res, true);
}

/** Completes login and consent at once: the requested scopes, granted to Strata, and back to the provider. */
async function finish(provider: Provider, details: Interaction, accountId: string, req: IncomingMessage, res: ServerResponse, login: boolean): Promise<void> {
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing?.accountId === accountId ? existing : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  grant.addOIDCScope(typeof details.params.scope === 'string' ? details.params.scope : 'openid');
  const result = { ...(login ? { login: { accountId } } : {}), consent: { grantId: await grant.save() } };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

function samePassword(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage, limit = 16 * 1024): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > limit) throw new Error('request body too large');
  }
  return body;
}

/** A store for the provider's sessions, interactions and tokens, in this process only. */
function memoryAdapter() {
  const entries = new Map<string, { payload: Payload; expiresAt: number }>();
  const live = (key: string): Payload | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt > Date.now()) return entry.payload;
    entries.delete(key);
    return undefined;
  };
  const findWhere = (model: string, match: (p: Payload) => boolean): Payload | undefined => {
    for (const key of entries.keys()) {
      const payload = key.startsWith(`${model}:`) ? live(key) : undefined;
      if (payload && match(payload)) return payload;
    }
    return undefined;
  };
  return (model: string) => ({
    async upsert(id: string, payload: Payload, expiresIn?: number) {
      for (const key of entries.keys()) live(key);
      entries.set(`${model}:${id}`, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    },
    find: async (id: string) => live(`${model}:${id}`),
    findByUid: async (uid: string) => findWhere(model, (p) => p.uid === uid),
    findByUserCode: async (userCode: string) => findWhere(model, (p) => p.userCode === userCode),
    async consume(id: string) {
      const payload = live(`${model}:${id}`);
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    },
    async destroy(id: string) {
      entries.delete(`${model}:${id}`);
    },
    async revokeByGrantId(grantId: string) {
      for (const [key, entry] of entries) if (entry.payload.grantId === grantId) entries.delete(key);
    },
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE =
  'body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0}main{max-width:22rem;margin:4rem auto;background:#fff;padding:1.5rem 2rem;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.2)}' +
  'h1{font-size:1.3rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;box-sizing:border-box;padding:.4rem}button{margin:1rem .5rem 0 0;padding:.4rem 1rem}' +
  '.error{color:#b00020}.hint{color:#555;font-size:.85rem}';

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`;
}

function loginForm(uid: string, state: { username?: string; error?: string } = {}): string {
  const trial = LOCAL_SSO_USERS.map((u) => `${escapeHtml(u.username)} / ${escapeHtml(u.password)} (${escapeHtml(u.groups.join(', '))})`).join('<br>');
  return page(
    'Sign in to Strata',
    `${state.error ? `<p class="error" role="alert">${escapeHtml(state.error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required autofocus value="${escapeHtml(state.username ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" name="action" value="login">Sign in</button><button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form>
<p class="hint">Local identity provider. Trial accounts:<br>${trial}</p>`,
  );
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // No scripts at all; styles are inline. (No form-action: the form's redirects lead to the client.)
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    'x-content-type-options': 'nosniff',
  });
  res.end(html);
}

interface KoaContext {
  type: string;
  body: string;
  readonly host: string;
}

async function renderError(ctx: KoaContext, out: Record<string, string>): Promise<void> {
  ctx.type = 'html';
  ctx.body = page(
    'Sign-in failed',
    Object.entries(out)
      .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(String(value))}</p>`)
      .join('\n'),
  );
}

/** `form` is the provider's own hidden form (with its CSRF token); the buttons submit it. */
async function logoutSource(ctx: KoaContext, form: string): Promise<void> {
  ctx.type = 'html';
  ctx.body = page(
    'Sign out',
    `<p>Sign out of the local identity provider at ${escapeHtml(ctx.host)}?</p>
${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button><button type="submit" form="op.logoutForm">Stay signed in</button>`,
  );
}

async function postLogoutSuccessSource(ctx: KoaContext): Promise<void> {
  ctx.type = 'html';
  ctx.body = page('Signed out', '<p>You are signed out of the local identity provider.</p>');
}
