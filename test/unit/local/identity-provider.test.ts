import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SSO_CLIENT_ID, startIdentityProvider, type IdentityProvider } from '../../../local/identity-provider.js';
import { pkcePair, signInThroughLocalIdp, SignInRefused } from '../../support/sso.js';

const CONSOLE = 'http://127.0.0.1:18787/';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

interface TokenResponse {
  id_token?: string;
  access_token?: string;
  refresh_token?: string;
  error?: string;
}

describe('local identity provider', () => {
  let idp: IdentityProvider;
  let discovery: Discovery;

  beforeAll(async () => {
    idp = await startIdentityProvider({ port: 0, consoleRedirectUri: CONSOLE });
    discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Discovery;
  });
  afterAll(() => idp?.stop());

  function authorizeUrl(opts: { challenge?: string; redirectUri?: string; scope?: string; state?: string }): string {
    const url = new URL(discovery.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: LOCAL_SSO_CLIENT_ID,
      response_type: 'code',
      redirect_uri: opts.redirectUri ?? CONSOLE,
      scope: opts.scope ?? 'openid profile email groups',
      state: opts.state ?? 'st-1',
      ...(opts.challenge ? { code_challenge: opts.challenge, code_challenge_method: 'S256' } : {}),
    }).toString();
    return url.href;
  }

  async function token(params: Record<string, string>): Promise<{ status: number; body: TokenResponse }> {
    const res = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: LOCAL_SSO_CLIENT_ID, ...params }),
    });
    return { status: res.status, body: (await res.json()) as TokenResponse };
  }

  async function signIn(username: string, password: string, opts: { redirectUri?: string; scope?: string } = {}) {
    const pkce = pkcePair();
    const redirectUri = opts.redirectUri ?? CONSOLE;
    const signedIn = await signInThroughLocalIdp({ authorizeUrl: authorizeUrl({ ...opts, challenge: pkce.challenge }), username, password });
    const tokens = await token({ grant_type: 'authorization_code', code: signedIn.code, redirect_uri: redirectUri, code_verifier: pkce.verifier });
    return { signedIn, tokens, pkce };
  }

  it('serves its discovery document on a loopback http issuer', () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(discovery.issuer).toBe(idp.issuer);
  });

  it('signs alice in with code and PKCE; her ID token names her groups and verifies against the JWKS', async () => {
    const { signedIn, tokens } = await signIn('alice', 'alice-local');
    expect(`${signedIn.redirectedTo.origin}${signedIn.redirectedTo.pathname}`).toBe(CONSOLE);
    expect(signedIn.state).toBe('st-1');
    expect(tokens.status).toBe(200);
    expect(tokens.body.id_token).toBeTruthy();
    const claims = decodeJwt(tokens.body.id_token!);
    expect(claims).toMatchObject({ sub: 'alice', email: 'alice@example.com', name: 'Alice Admin', groups: ['platform-admins'] });
    const verified = await jwtVerify(tokens.body.id_token!, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
      issuer: idp.issuer,
      audience: LOCAL_SSO_CLIENT_ID,
    });
    expect(verified.payload.sub).toBe('alice');
  });

  it('gives bob his own groups', async () => {
    const { tokens } = await signIn('bob', 'bob-local');
    expect(decodeJwt(tokens.body.id_token!)).toMatchObject({ sub: 'bob', email: 'bob@example.com', groups: ['app-developers'] });
  });

  it('shows the form again on a wrong password, and gives no code', async () => {
    const refused = await signInThroughLocalIdp({ authorizeUrl: authorizeUrl({ challenge: pkcePair().challenge }), username: 'alice', password: 'bob-local' }).catch(
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(SignInRefused);
    const { status, page, message } = refused as SignInRefused;
    expect(status).toBe(400);
    expect(page).toContain('name="password"');
    expect(message).toMatch(/wrong username or password/i);
  });

  it('escapes what it echoes back in the form', async () => {
    const refused = (await signInThroughLocalIdp({
      authorizeUrl: authorizeUrl({ challenge: pkcePair().challenge }),
      username: '<script>x</script>',
      password: 'nope',
    }).catch((err: unknown) => err)) as SignInRefused;
    expect(refused.page).not.toContain('<script>');
    expect(refused.page).toContain('&#60;script&#62;');
  });

  it('requires PKCE', async () => {
    await expect(signInThroughLocalIdp({ authorizeUrl: authorizeUrl({}), username: 'alice', password: 'alice-local' })).rejects.toThrow(/invalid_request/);
  });

  it('refuses a code with the wrong verifier', async () => {
    const signedIn = await signInThroughLocalIdp({ authorizeUrl: authorizeUrl({ challenge: pkcePair().challenge }), username: 'alice', password: 'alice-local' });
    const res = await token({ grant_type: 'authorization_code', code: signedIn.code, redirect_uri: CONSOLE, code_verifier: pkcePair().verifier });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  it('accepts a native app on any loopback port at /callback', async () => {
    const redirectUri = 'http://127.0.0.1:53127/callback';
    const { signedIn, tokens } = await signIn('alice', 'alice-local', { redirectUri });
    expect(signedIn.redirectedTo.port).toBe('53127');
    expect(signedIn.redirectedTo.pathname).toBe('/callback');
    expect(tokens.status).toBe(200);
  });

  it.each(['https://elsewhere.example/callback', 'http://127.0.0.1:53127/other', 'http://localhost.example:53127/callback'])(
    'refuses the unregistered redirect URI %s without redirecting to it',
    async (redirectUri) => {
      const res = await fetch(authorizeUrl({ challenge: pkcePair().challenge, redirectUri }), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('redirect_uri');
    },
  );

  it('issues a refresh token for offline_access, and it works at the token endpoint', async () => {
    const { tokens } = await signIn('bob', 'bob-local', { scope: 'openid profile email groups offline_access' });
    expect(tokens.body.refresh_token).toBeTruthy();
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token! });
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(refreshed.body.id_token!)).toMatchObject({ sub: 'bob', groups: ['app-developers'] });
  });

  it('issues no refresh token without offline_access', async () => {
    const { tokens } = await signIn('alice', 'alice-local');
    expect(tokens.status).toBe(200);
    expect(tokens.body.refresh_token).toBeUndefined();
  });
});
