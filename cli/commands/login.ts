import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { ApiClient } from '../api-client.js';
import type { SignInInfo, SignInTokens } from '../api-types.js';
import { DEFAULT_PROFILE, removeProfile, saveProfile } from '../config.js';
import { sessionOf } from '../context.js';
import { Failure, UsageError } from '../errors.js';

/** The key from stdin, so it stays out of the shell's history and the process list. */
async function keyFromStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('give the API key with --key KEY, or on stdin: strata login --url URL < key-file');
  const key = (await text(process.stdin)).trim();
  if (!key) throw new UsageError('stdin held no API key');
  return key;
}

function checkedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url ${url} is not a URL such as https://api.strata.example.com`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new UsageError(`--url ${url}: the API speaks http or https`);
  return url.replace(/\/+$/, '');
}

/** How long the browser has to come back to the loopback address. */
const SIGN_IN_WAIT_MS = 5 * 60_000;

/** 256 random bits, base64url: a PKCE verifier (43 characters), a state, a nonce. */
const randomToken = () => randomBytes(32).toString('base64url');

/** Where the browser goes to sign in: the authorization code flow with PKCE S256 (RFC 7636), for a native app (RFC 8252). */
export function authorizeUrlOf(info: SignInInfo, flow: { redirectUri: string; state: string; nonce: string; verifier: string }): string {
  const url = new URL(info.authorizationEndpoint);
  const params = {
    response_type: 'code',
    client_id: info.clientId,
    redirect_uri: flow.redirectUri,
    scope: info.scopes.join(' '),
    state: flow.state,
    nonce: flow.nonce,
    code_challenge: createHash('sha256').update(flow.verifier).digest('base64url'),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page the browser shows at the end: the tab is of no more use either way. */
function answerPage(res: ServerResponse, status: number, title: string, message: string): void {
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>Strata: ${escapeHtml(title)}</title></head><body style="font-family:sans-serif;margin:3em"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' }).end(body);
}

/** The browser came back with a code; the page it shows is answered once the sign-in is done or refused. */
interface Callback {
  readonly code: string;
  finish(ok: boolean, message: string): void;
}

/**
 * A server on 127.0.0.1, on a port the system picks, that the provider sends the browser back to
 * (the loopback redirect of RFC 8252 §7.3). An answer with another state than ours, or the
 * provider's error, fails the sign-in.
 */
async function loopbackCallback(state: string): Promise<{ redirectUri: string; callback: Promise<Callback>; close(): void }> {
  let settle!: { resolve: (c: Callback) => void; reject: (e: Error) => void };
  const callback = new Promise<Callback>((resolve, reject) => (settle = { resolve, reject }));
  let answered = false;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return answerPage(res, 404, 'Not found', 'This address only takes the answer of a sign-in.');
    if (answered) return answerPage(res, 409, 'Already answered', 'This sign-in has had its answer; you may close this window.');
    answered = true;
    const error = url.searchParams.get('error');
    const code = url.searchParams.get('code');
    if (url.searchParams.get('state') !== state) {
      answerPage(res, 400, 'Sign-in failed', 'This answer is not for the sign-in strata started (its state differs). Run strata login --sso again.');
      return settle.reject(new Failure('the answer that came back to the sign-in was not for this sign-in (its state differs); run strata login --sso again'));
    }
    if (error || !code) {
      const description = url.searchParams.get('error_description');
      const reason = `${error ?? 'no code in the answer'}${description ? ` (${description})` : ''}`;
      answerPage(res, 400, 'Sign-in failed', `The identity provider refused the sign-in: ${reason}. You may close this window.`);
      return settle.reject(new Failure(`the identity provider refused the sign-in: ${reason}`));
    }
    settle.resolve({ code, finish: (ok, message) => answerPage(res, ok ? 200 : 403, ok ? 'Signed in' : 'Sign-in failed', `${message} You may close this window.`) });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const timer = setTimeout(() => settle.reject(new Failure(`no sign-in came back within ${SIGN_IN_WAIT_MS / 60_000} minutes; run strata login --sso again`)), SIGN_IN_WAIT_MS);
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    callback,
    close: () => {
      clearTimeout(timer);
      server.close();
      server.closeIdleConnections();
      // A browser's spare connection must not keep the CLI running.
      setTimeout(() => server.closeAllConnections(), 1000).unref();
    },
  };
}

/** Starts the system's browser on the URL, if there is one; the URL printed is enough without. */
function openBrowser(url: string): void {
  const [command, args]: [string, string[]] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true, windowsVerbatimArguments: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No browser to start: the URL is on stderr.
  }
}

/** The roles a sign-in gives: tenant-wide, or per project for a person whose groups map to project roles only. */
function rolesText(tokens: Pick<SignInTokens, 'role' | 'projects'>): string {
  if (!tokens.projects) return `role ${tokens.role}`;
  const roles = Object.entries(tokens.projects)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([project, role]) => `${role} in project ${project}`);
  return `${roles.length === 1 ? 'role' : 'roles'} ${roles.join(', ')}`;
}

/** The ID token must be the answer to this sign-in's request: its nonce is ours, when the provider sets one. */
function checkNonce(idToken: string, nonce: string): void {
  let claims: { nonce?: unknown };
  try {
    claims = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { nonce?: unknown };
  } catch {
    return;
  }
  if (claims.nonce !== undefined && claims.nonce !== nonce) throw new Failure('the ID token is not the answer to this sign-in (its nonce differs); run strata login --sso again');
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Sign-in in a browser through the tenant's identity provider: the code comes back to a loopback
 * address, the API exchanges it (with the PKCE verifier) for an ID token, and the ID token is the
 * bearer token of the profile, refreshed when it expires.
 */
async function signIn(url: string, profile: string, opts: { tenant?: string; key?: string; browser: boolean; verify: boolean }): Promise<void> {
  if (opts.key !== undefined) throw new UsageError('--sso signs in through the identity provider: give it no --key');
  if (!opts.tenant) throw new UsageError('--sso needs --tenant NAME: the tenant whose identity provider to sign in with');
  const tenant = opts.tenant;
  const signInPath = `/v1/signin/${encodeURIComponent(tenant)}`;
  const publicApi = new ApiClient(url, undefined);
  const info = await publicApi.get<SignInInfo>(signInPath);
  const flow = { state: randomToken(), nonce: randomToken(), verifier: randomToken() };
  const loopback = await loopbackCallback(flow.state);
  try {
    const authorizeUrl = authorizeUrlOf(info, { ...flow, redirectUri: loopback.redirectUri });
    process.stderr.write(`Open this URL to sign in: ${authorizeUrl}\n`);
    if (opts.browser) openBrowser(authorizeUrl);
    const callback = await loopback.callback;
    let tokens: SignInTokens;
    try {
      tokens = await publicApi.request<SignInTokens>('POST', `${signInPath}/token`, { body: { code: callback.code, codeVerifier: flow.verifier, redirectUri: loopback.redirectUri } });
      checkNonce(tokens.idToken, flow.nonce);
      // As with a key: every role may list registries, a proof that the API takes the token.
      if (opts.verify) await new ApiClient(url, tokens.idToken).get('/v1/registries');
    } catch (err) {
      callback.finish(false, `Strata refused the sign-in: ${messageOf(err)}.`);
      throw err;
    }
    const who = tokens.user.email ?? tokens.user.subject;
    const path = saveProfile(profile, { url, sso: sessionOf(tenant, tokens) });
    const roles = rolesText(tokens);
    callback.finish(true, `Signed in to Strata as ${who} (${roles}, tenant ${tokens.tenantId}).`);
    process.stdout.write(`Signed in to ${url} as ${who} (${roles}, tenant ${tokens.tenantId}) as profile "${profile}"; stored in ${path} (mode 600).\n`);
  } finally {
    loopback.close();
  }
}

export function loginCommand(): Command {
  return new Command('login')
    .description('store the URL and API key of a Strata platform in the config file (mode 0600), as --profile or "default"; or sign in through the tenant\'s identity provider with --sso')
    .requiredOption('--url <url>', "the API's base URL")
    .option('--key <key>', 'the API key; read from stdin when not given')
    .option('--sso', "sign in in a browser through the tenant's identity provider (OpenID Connect) instead of with an API key")
    .option('--tenant <name>', 'with --sso: the tenant to sign in to')
    .option('--no-browser', 'with --sso: print the URL to open, start no browser')
    .option('--no-verify', 'store it without checking the key with the API')
    .action(async (opts: { url: string; key?: string; sso?: boolean; tenant?: string; browser: boolean; verify: boolean }, cmd: Command) => {
      const { profile = DEFAULT_PROFILE } = cmd.optsWithGlobals<{ profile?: string }>();
      const url = checkedUrl(opts.url);
      if (opts.sso) return signIn(url, profile, opts);
      if (opts.tenant !== undefined) throw new UsageError('--tenant goes with --sso: an API key belongs to its tenant already');
      const key = opts.key ?? (await keyFromStdin());
      // Every role may list registries: a cheap proof that the URL is Strata's and the key works.
      if (opts.verify) await new ApiClient(url, key).get('/v1/registries');
      const path = saveProfile(profile, { url, key });
      process.stdout.write(`Logged in to ${url} as profile "${profile}"; stored in ${path} (mode 600).\n`);
    });
}

export function logoutCommand(): Command {
  return new Command('logout').description('forget the stored URL and key (or sign-in) of --profile (or "default")').action((_opts: unknown, cmd: Command) => {
    const { profile = DEFAULT_PROFILE } = cmd.optsWithGlobals<{ profile?: string }>();
    process.stdout.write(removeProfile(profile) ? `Profile "${profile}" removed.\n` : `No profile "${profile}" was stored.\n`);
  });
}
