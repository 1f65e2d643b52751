import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pkcePair, signInThroughLocalIdp } from '../support/sso.js';
import { startApi, type Api } from './harness.js';

/**
 * People signing in through their tenant's identity provider: the local runtime's built-in
 * provider (two seeded users) and tenant default's mapping platform-admins → admin,
 * app-developers → editor. The console and the CLI run this same flow; here it is driven over HTTP.
 */
let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.stop());

const redirectUri = () => `${api.runtime.url}/`;

/** Sign a user in as the console does: the provider's login form, then the code exchange through the API. */
async function signIn(username: string, password: string, tenant = 'default') {
  const info = (await api.call('GET', `/v1/signin/${tenant}`, { key: null })).body;
  const { verifier, challenge } = pkcePair();
  const url = new URL(info.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: info.clientId,
    redirect_uri: redirectUri(),
    scope: info.scopes.join(' '),
    state: 'st-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    prompt: 'consent',
  }).toString();
  const { code, state } = await signInThroughLocalIdp({ authorizeUrl: url.toString(), username, password });
  expect(state).toBe('st-1');
  const body = { code, codeVerifier: verifier, redirectUri: redirectUri() };
  return { body, res: await api.call('POST', `/v1/signin/${tenant}/token`, { key: null, body }) };
}

const mapping = [
  { group: 'platform-admins', role: 'admin' },
  { group: 'app-developers', role: 'editor' },
];
const LOCAL_SCOPES = ['openid', 'profile', 'email', 'groups', 'offline_access'];
const setMapping = (groupRoles: unknown, key?: string) =>
  api.call('PUT', '/v1/sso', { key, body: { issuer: api.runtime.oidcIssuer, clientId: 'strata', scopes: LOCAL_SCOPES, groupRoles } });

describe('sign-in through the identity provider', () => {
  it("answers where a tenant signs in without a key, and 404 for a tenant without sign-in", async () => {
    const info = await api.call('GET', '/v1/signin/default', { key: null });
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ tenant: 'default', issuer: api.runtime.oidcIssuer, clientId: 'strata' });
    expect(info.body.authorizationEndpoint.startsWith(api.runtime.oidcIssuer)).toBe(true);
    // The built-in provider ends its own session on sign-out; the console goes there.
    expect(info.body.endSessionEndpoint.startsWith(api.runtime.oidcIssuer)).toBe(true);
    expect(info.body.scopes).toContain('openid');
    for (const tenant of ['nobody-here', 'Not%20A%20Name']) {
      const none = await api.call('GET', `/v1/signin/${tenant}`, { key: null });
      expect(none.status, tenant).toBe(404);
      expect(none.body.details[0].path).toBe('path.tenant');
    }
  });

  it('gives each user exactly the role of their groups, never an operator', async () => {
    const alice = await signIn('alice', 'alice-local');
    expect(alice.res.status).toBe(200);
    expect(alice.res.body).toMatchObject({ tenantId: 'default', role: 'admin', user: { subject: 'alice', email: 'alice@example.com', groups: ['platform-admins'] } });
    const aliceToken = alice.res.body.idToken;
    expect(Date.parse(alice.res.body.expiresAt)).toBeGreaterThan(Date.now());
    expect((await api.call('GET', '/v1/apikeys', { key: aliceToken })).status).toBe(200);
    // The default tenant's operator key can make tenants; its admins signing in cannot.
    expect((await api.call('POST', '/v1/tenants', { key: aliceToken, body: { name: 'by-alice' } })).status).toBe(403);

    const bob = await signIn('bob', 'bob-local');
    expect(bob.res.body).toMatchObject({ role: 'editor', user: { subject: 'bob', groups: ['app-developers'] } });
    const bobToken = bob.res.body.idToken;
    const denied = await api.call('GET', '/v1/apikeys', { key: bobToken });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('role editor');
    const made = await api.call('POST', '/v1/registries', { key: bobToken, body: { name: 'bobs-registry' } });
    expect(made.status).toBe(201);

    // The audit log names the person, and their sign-in.
    const entries = (await api.call('GET', '/v1/audit?resourceType=registries')).body.items;
    expect(entries.find((e: any) => e.resourceId === made.body.id).actor).toEqual({ type: 'user', id: 'user:bob', name: 'bob@example.com', role: 'editor' });
    const signIns = (await api.call('GET', '/v1/audit?resourceType=signin&actor=user:alice')).body.items;
    expect(signIns.length).toBeGreaterThan(0);
    expect(signIns[0]).toMatchObject({ action: 'POST /v1/signin/{tenant}/token', outcome: 'success', actor: { type: 'user', role: 'admin' } });
  });

  it('refuses a spent code, a wrong verifier, a forged token and a token of an unknown provider', async () => {
    const first = await signIn('alice', 'alice-local');
    const again = await api.call('POST', '/v1/signin/default/token', { key: null, body: first.body });
    expect(again.status).toBe(400);
    expect(again.body.details[0].path).toBe('code');

    const token: string = first.res.body.idToken;
    const [head, payload, sig] = token.split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), groups: ['platform-admins', 'x'] })).toString('base64url')}.${sig}`;
    expect((await api.call('GET', '/v1/clusters', { key: tampered })).status).toBe(401);

    // Signed with a key of its own, naming the right issuer and client: the provider's keys decide.
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = (await exportJWK(publicKey)).n!.slice(0, 8);
    const forge = (iss: string) =>
      new SignJWT({ groups: ['platform-admins'], email: 'mallory@example.com' })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(iss)
        .setAudience('strata')
        .setSubject('mallory')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey);
    expect((await api.call('GET', '/v1/clusters', { key: await forge(api.runtime.oidcIssuer) })).status).toBe(401);
    expect((await api.call('GET', '/v1/clusters', { key: await forge('https://idp.example.com') })).status).toBe(401);
  });

  it('refuses malformed token requests naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ code: 'abc', redirectUri: redirectUri() }, 'codeVerifier'],
      [{ code: 'abc', codeVerifier: 'short', redirectUri: redirectUri() }, 'codeVerifier'],
      [{ code: 'abc', codeVerifier: 'v'.repeat(43), redirectUri: 'javascript:alert(1)' }, 'redirectUri'],
      [{ refreshToken: 'r', code: 'abc' }, 'code'],
      [{ refreshToken: 'r', extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const res = await api.call('POST', '/v1/signin/default/token', { key: null, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.details.map((d: { path: string }) => d.path), JSON.stringify(body)).toContain(field);
    }
  });

  it('a refresh token gives a fresh ID token with the role the groups have now', async () => {
    const { res } = await signIn('bob', 'bob-local');
    expect(res.body.refreshToken).toBeTruthy();
    const refreshed = await api.call('POST', '/v1/signin/default/token', { key: null, body: { refreshToken: res.body.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ role: 'editor', user: { subject: 'bob' } });
    expect((await api.call('GET', '/v1/clusters', { key: refreshed.body.idToken })).status).toBe(200);
  });
});

describe('sign-in settings', () => {
  it('admins map groups to roles; a user whose groups map to none is refused', async () => {
    expect((await api.call('GET', '/v1/sso')).body).toMatchObject({ tenantId: 'default', issuer: api.runtime.oidcIssuer, clientId: 'strata', groupsClaim: 'groups', scopes: LOCAL_SCOPES, groupRoles: mapping });
    const bobBefore = (await signIn('bob', 'bob-local')).res.body.idToken;

    const set = await setMapping([{ group: 'platform-admins', role: 'admin' }]);
    expect(set.status).toBe(200);
    const refused = await signIn('bob', 'bob-local');
    expect(refused.res.status).toBe(403);
    expect(refused.res.body.message).toContain('app-developers');
    // A token signed in earlier stops working once the mapping drops its groups (another spelling of the header skips the gateway's cache).
    expect((await api.call('GET', '/v1/clusters', { key: null, headers: { authorization: `bearer ${bobBefore}` } })).status).toBe(401);

    expect((await setMapping([...mapping.slice(0, 1), { group: 'app-developers', role: 'viewer' }])).status).toBe(200);
    expect((await signIn('bob', 'bob-local')).res.body.role).toBe('viewer');
    expect((await setMapping(mapping)).status).toBe(200);
  });

  it('refuses bad settings naming the field, and non-admins', async () => {
    const bad: [unknown, string][] = [
      [{ issuer: 'http://idp.example.com', clientId: 'x', groupRoles: mapping }, 'issuer'],
      [{ issuer: 'https://idp.example.com#frag', clientId: 'x', groupRoles: mapping }, 'issuer'],
      [{ issuer: api.runtime.oidcIssuer, clientId: 'x', groupRoles: [] }, 'groupRoles'],
      [{ issuer: api.runtime.oidcIssuer, clientId: 'x', groupRoles: [mapping[0], mapping[0]] }, 'groupRoles'],
      [{ issuer: api.runtime.oidcIssuer, clientId: 'x', groupRoles: [{ group: 'g', role: 'owner' }] }, 'groupRoles[0].role'],
      [{ issuer: api.runtime.oidcIssuer, clientId: 'x', groupsClaim: 'a b', groupRoles: mapping }, 'groupsClaim'],
      [{ issuer: api.runtime.oidcIssuer, clientId: 'x', scopes: ['profile', 'email'], groupRoles: mapping }, 'scopes'],
      [{ issuer: api.runtime.oidcIssuer, clientId: 'x', scopes: ['openid', 'bad"scope'], groupRoles: mapping }, 'scopes[1]'],
      // A provider that does not answer its discovery document: no one could sign in.
      [{ issuer: 'http://127.0.0.1:9/nothing', clientId: 'x', groupRoles: mapping }, 'issuer'],
    ];
    for (const [body, field] of bad) {
      const res = await api.call('PUT', '/v1/sso', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.details.map((d: { path: string }) => d.path), JSON.stringify(body)).toContain(field);
    }
    // A deployed stack takes https issuers only: in a Lambda function, loopback is its own runtime API.
    delete process.env.SSO_LOOPBACK_ISSUERS;
    try {
      const deployed = await setMapping(mapping);
      expect(deployed.status).toBe(400);
      expect(deployed.body.details[0]).toMatchObject({ path: 'issuer', message: expect.stringContaining('https') });
    } finally {
      process.env.SSO_LOOPBACK_ISSUERS = 'allow';
    }
    const viewer = (await api.call('POST', '/v1/apikeys', { body: { name: 'sso-viewer', role: 'viewer' } })).body.key;
    expect((await api.call('GET', '/v1/sso', { key: viewer })).status).toBe(403);
    expect((await setMapping(mapping, viewer)).status).toBe(403);
  });

  it("one provider client signs in to one tenant; another tenant's settings are its own", async () => {
    const other = (await api.call('POST', '/v1/tenants', { body: { name: 'sso-other' } })).body.apiKey.key;
    const taken = await setMapping(mapping, other);
    expect(taken.status).toBe(409);
    expect(taken.body.details[0].path).toBe('clientId');
    expect((await api.call('GET', '/v1/sso', { key: other })).status).toBe(404);
    expect((await api.call('GET', '/v1/signin/sso-other', { key: null })).status).toBe(404);
    // Its own client of the same provider is fine, and removable.
    const own = await api.call('PUT', '/v1/sso', { key: other, body: { issuer: api.runtime.oidcIssuer, clientId: 'other-client', groupRoles: mapping } });
    expect(own.status).toBe(200);
    // Scopes not given: the ones every provider takes.
    expect(own.body.scopes).toEqual(['openid', 'profile', 'email']);
    expect((await api.call('GET', '/v1/signin/sso-other', { key: null })).body).toMatchObject({ clientId: 'other-client', scopes: ['openid', 'profile', 'email'] });
    expect((await api.call('DELETE', '/v1/sso', { key: other })).status).toBe(204);
    expect((await api.call('DELETE', '/v1/sso', { key: other })).status).toBe(404);
    expect((await api.call('GET', '/v1/signin/sso-other', { key: null })).status).toBe(404);
  });
});
