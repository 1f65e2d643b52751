import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateApiKey, isJwtShaped } from '../../../core/api-keys.js';
import { ROLES } from '../../../core/roles.js';
import { SetSsoInput, TokenRequestInput, grantForGroups, groupsOf, userOf } from '../../../core/sso.js';

const config = {
  groupRoles: [
    { group: 'platform-admins', role: 'admin' as const },
    { group: 'app-developers', role: 'editor' as const },
    { group: 'auditors', role: 'viewer' as const },
  ],
};

const roleForGroups = (c: Parameters<typeof grantForGroups>[0], groups: readonly string[]) => grantForGroups(c, groups)?.role;

describe('sign-in rules', () => {
  it("a user's role is the highest of their mapped groups, none when no group is mapped", () => {
    expect(roleForGroups(config, ['auditors', 'app-developers'])).toBe('editor');
    expect(roleForGroups(config, ['platform-admins', 'auditors'])).toBe('admin');
    expect(roleForGroups(config, ['auditors'])).toBe('viewer');
    expect(roleForGroups(config, ['someone-else'])).toBeUndefined();
    expect(roleForGroups(config, [])).toBeUndefined();
    // Group names are compared exactly: no case folding, no prefixes.
    expect(roleForGroups(config, ['Platform-Admins', 'platform-admins-x'])).toBeUndefined();
  });

  it('project mappings give roles in those projects only, to people with no tenant-wide role', () => {
    const mapping = {
      groupRoles: [
        { group: 'payments-devs', role: 'editor' as const, project: 'payments' },
        { group: 'payments-leads', role: 'admin' as const, project: 'payments' },
        { group: 'web-devs', role: 'viewer' as const, project: 'web' },
        { group: 'platform-admins', role: 'admin' as const },
      ],
    };
    expect(grantForGroups(mapping, ['payments-devs', 'web-devs'])).toEqual({ role: 'editor', projects: { payments: 'editor', web: 'viewer' } });
    expect(grantForGroups(mapping, ['payments-devs', 'payments-leads'])).toEqual({ role: 'admin', projects: { payments: 'admin' } });
    // A tenant-wide role holds in every project.
    expect(grantForGroups(mapping, ['payments-devs', 'platform-admins'])).toEqual({ role: 'admin' });
    expect(grantForGroups(mapping, ['others'])).toBeUndefined();
    // A group may be mapped once tenant-wide and once per project, never twice to the same place.
    expect(SetSsoInput.safeParse({ issuer: 'https://idp.example.com', clientId: 'c', groupRoles: [{ group: 'g', role: 'viewer' }, { group: 'g', role: 'admin', project: 'payments' }] }).success).toBe(true);
    expect(SetSsoInput.safeParse({ issuer: 'https://idp.example.com', clientId: 'c', groupRoles: [{ group: 'g', role: 'viewer', project: 'web' }, { group: 'g', role: 'admin', project: 'web' }] }).success).toBe(false);
    expect(SetSsoInput.safeParse({ issuer: 'https://idp.example.com', clientId: 'c', groupRoles: [{ group: 'g', role: 'viewer', project: 'Not A Project' }] }).success).toBe(false);
  });

  it('the role never exceeds what some group of the user is mapped to', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ group: fc.string({ minLength: 1, maxLength: 5 }), role: fc.constantFrom(...ROLES) })), fc.array(fc.string({ maxLength: 5 })), (groupRoles, groups) => {
        const role = roleForGroups({ groupRoles }, groups);
        const mapped = groupRoles.filter((g) => groups.includes(g.group)).map((g) => ROLES.indexOf(g.role));
        // ROLES lists admin first: the lowest index is the highest role.
        expect(role === undefined ? undefined : ROLES.indexOf(role)).toBe(mapped.length ? Math.min(...mapped) : undefined);
      }),
    );
  });

  it('takes groups from a list or a single string, ignoring what is not text', () => {
    expect(groupsOf({ groups: ['a', 3, '', { x: 1 }, 'b'] }, 'groups')).toEqual(['a', 'b']);
    expect(groupsOf({ 'cognito:groups': 'ops' }, 'cognito:groups')).toEqual(['ops']);
    expect(groupsOf({ groups: { a: 1 } }, 'groups')).toEqual([]);
    expect(groupsOf({}, 'groups')).toEqual([]);
    expect(userOf({ groups: ['a'] }, 'groups')).toBeUndefined();
    expect(userOf({ sub: 'u1', email: 'e@x', name: 'x'.repeat(300), groups: ['a'] }, 'groups')).toEqual({ subject: 'u1', email: 'e@x', groups: ['a'] });
  });

  it('tells an ID token from an API key by its shape', () => {
    expect(isJwtShaped('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).toBe(true);
    for (let i = 0; i < 20; i++) expect(isJwtShaped(generateApiKey())).toBe(false);
    expect(isJwtShaped('a.b')).toBe(false);
  });

  it('accepts https issuers, and http only on loopback', () => {
    const parse = (issuer: string) => SetSsoInput.safeParse({ issuer, clientId: 'c', groupRoles: config.groupRoles }).success;
    expect(parse('https://login.example.com/tenant-1/v2.0')).toBe(true);
    expect(parse('http://127.0.0.1:5556')).toBe(true);
    for (const bad of ['http://idp.example.com', 'https://idp.example.com/?x=1', 'https://idp.example.com/#', 'ftp://x', 'not a url', 'https://user:pw@idp.example.com'])
      expect(parse(bad), bad).toBe(false);
    expect(SetSsoInput.parse({ issuer: 'https://idp.example.com', clientId: 'c', groupRoles: config.groupRoles }).groupsClaim).toBe('groups');
    // Scopes every provider takes, unless the tenant names more; openid always.
    expect(SetSsoInput.parse({ issuer: 'https://idp.example.com', clientId: 'c', groupRoles: config.groupRoles }).scopes).toEqual(['openid', 'profile', 'email']);
    expect(SetSsoInput.safeParse({ issuer: 'https://idp.example.com', clientId: 'c', scopes: ['profile'], groupRoles: config.groupRoles }).success).toBe(false);
  });

  it('a token request is a code with its verifier and redirect URI, or a refresh token alone', () => {
    const verifier = 'v'.repeat(43);
    expect(TokenRequestInput.safeParse({ code: 'c', codeVerifier: verifier, redirectUri: 'http://127.0.0.1:1/callback' }).success).toBe(true);
    expect(TokenRequestInput.safeParse({ refreshToken: 'r' }).success).toBe(true);
    expect(TokenRequestInput.safeParse({}).success).toBe(false);
    expect(TokenRequestInput.safeParse({ code: 'c', codeVerifier: verifier }).success).toBe(false);
    expect(TokenRequestInput.safeParse({ refreshToken: 'r', codeVerifier: verifier }).success).toBe(false);
  });
});
