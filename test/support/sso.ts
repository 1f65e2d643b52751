import { createHash, randomBytes } from 'node:crypto';

/** A PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The identity provider showed its sign-in form again (a wrong password) or refused the request. */
export class SignInRefused extends Error {
  constructor(
    readonly status: number,
    readonly page: string,
  ) {
    super(`sign-in refused (${status}): ${pageMessage(page)}`);
  }
}

/**
 * Signs in as a browser would, through the local identity provider's own form: the authorization
 * request, the form, its POST and the provider's redirects, with the provider's cookies kept.
 * Stops at the first redirect that leaves the provider's origin (the client's redirect URI, not
 * fetched) and returns the authorization code it carries.
 */
export async function signInThroughLocalIdp(opts: { authorizeUrl: string; username: string; password: string }): Promise<{ code: string; state: string | null; redirectedTo: URL }> {
  const origin = new URL(opts.authorizeUrl).origin;
  const jar = new Map<string, string>();
  let url = new URL(opts.authorizeUrl);
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader(jar) } });
    keepCookies(jar, res.headers.getSetCookie());
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== origin) return authorizationResponse(next);
      url = next;
      init = {};
      continue;
    }
    const page = await res.text();
    const form = parseForm(page, url);
    const submittedCredentials = init.method === 'POST' && form?.fields.has('username');
    if (!form || res.status >= 400 || submittedCredentials) throw new SignInRefused(res.status, page);
    const body = new URLSearchParams(form.hidden);
    if (form.fields.has('username')) body.set('username', opts.username);
    if (form.fields.has('password')) body.set('password', opts.password);
    url = form.action;
    init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() };
  }
  throw new Error('sign-in did not leave the identity provider within 20 steps');
}

function authorizationResponse(redirectedTo: URL): { code: string; state: string | null; redirectedTo: URL } {
  const code = redirectedTo.searchParams.get('code');
  if (!code) {
    const error = redirectedTo.searchParams.get('error') ?? 'no code';
    throw new Error(`sign-in ended without a code: ${error} ${redirectedTo.searchParams.get('error_description') ?? ''}`.trim());
  }
  return { code, state: redirectedTo.searchParams.get('state'), redirectedTo };
}

function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}

function keepCookies(jar: Map<string, string>, setCookies: string[]): void {
  for (const header of setCookies) {
    const [pair = '', ...attributes] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((a) => {
      const [key = '', val = ''] = a.trim().split('=');
      if (/^max-age$/i.test(key)) return Number(val) <= 0;
      if (/^expires$/i.test(key)) return Date.parse(val) <= Date.now();
      return false;
    });
    if (expired || !value) jar.delete(name);
    else jar.set(name, value);
  }
}

/** The first form of a page: where it posts, its hidden inputs, and the names of all its inputs. */
function parseForm(page: string, base: URL): { action: URL; hidden: [string, string][]; fields: Set<string> } | undefined {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(page);
  if (!form) return undefined;
  const action = attribute(form[1]!, 'action') ?? base.href;
  const hidden: [string, string][] = [];
  const fields = new Set<string>();
  for (const input of form[2]!.matchAll(/<input\b([^>]*)>/gi)) {
    const name = attribute(input[1]!, 'name');
    if (!name) continue;
    fields.add(name);
    if (attribute(input[1]!, 'type')?.toLowerCase() === 'hidden') hidden.push([name, attribute(input[1]!, 'value') ?? '']);
  }
  return { action: new URL(action, base), hidden, fields };
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  if (!match) return undefined;
  return decodeEntities(match[1] ?? match[2] ?? match[3] ?? '');
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCharCode(parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The page's error message (role="alert"), or its text, for the error. */
function pageMessage(page: string): string {
  const alert = /<[^>]*role="alert"[^>]*>([\s\S]*?)</i.exec(page);
  const text = alert?.[1] ?? page.replace(/<style[\s\S]*?<\/style>/gi, '').replace(/<[^>]+>/g, ' ');
  return decodeEntities(text).replace(/\s+/g, ' ').trim().slice(0, 300);
}
