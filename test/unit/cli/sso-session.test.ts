import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SignInTokens } from '../../../cli/api-types.js';
import { configPath, resolvePlatform, saveProfile, saveSession, type SsoSession } from '../../../cli/config.js';
import { freshSession, REFRESH_MARGIN_MS, type RefreshDeps } from '../../../cli/context.js';
import { ApiError, Failure, UsageError } from '../../../cli/errors.js';

const URL = 'https://strata.example.com';
const NOW = Date.parse('2026-12-01T10:00:00Z');
const at = (ms: number) => new Date(NOW + ms).toISOString();
const session = (over: Partial<SsoSession> = {}): SsoSession => ({ tenant: 'acme', idToken: 'id-old', expiresAt: at(10 * 60_000), refreshToken: 'rt-old', ...over });
const tokens = (over: Partial<SignInTokens> = {}): SignInTokens => ({
  idToken: 'id-new',
  expiresAt: at(3600_000),
  refreshToken: 'rt-new',
  tenantId: 'acme',
  role: 'editor',
  user: { subject: 'bob', email: 'bob@example.com', groups: ['app-developers'] },
  ...over,
});

function deps(refresh: RefreshDeps['refresh'] = async () => tokens()) {
  const stored: SsoSession[] = [];
  const calls: [string, string][] = [];
  const d: RefreshDeps = {
    now: () => NOW,
    refresh: (tenant, rt) => {
      calls.push([tenant, rt]);
      return refresh(tenant, rt);
    },
    store: (s) => stored.push(s),
  };
  return { d, stored, calls };
}

describe('an SSO profile\'s ID token', () => {
  it('is used as stored while it has more than a minute left', async () => {
    const { d, stored, calls } = deps();
    const current = session({ expiresAt: at(REFRESH_MARGIN_MS + 1000) });
    expect(await freshSession(URL, current, d)).toBe(current);
    expect(calls).toEqual([]);
    expect(stored).toEqual([]);
  });

  it.each([
    ['within a minute of expiry', at(30_000)],
    ['expired', at(-3600_000)],
  ])('is refreshed with the refresh token when %s, and the new tokens are stored', async (_, expiresAt) => {
    const { d, stored, calls } = deps();
    const fresh = await freshSession(URL, session({ expiresAt }), d);
    expect(calls).toEqual([['acme', 'rt-old']]);
    expect(fresh).toEqual({ tenant: 'acme', idToken: 'id-new', expiresAt: at(3600_000), refreshToken: 'rt-new' });
    expect(stored).toEqual([fresh]);
  });

  it('keeps the refresh token when the provider does not rotate it', async () => {
    const { refreshToken: _, ...noRotation } = tokens();
    const { d } = deps(async () => noRotation);
    expect((await freshSession(URL, session({ expiresAt: at(0) }), d)).refreshToken).toBe('rt-old');
  });

  it('asks to sign in again when there is no refresh token, or the API refuses it', async () => {
    const again = `your sign-in to ${URL} expired; run strata login --sso --url ${URL} --tenant acme`;
    const none = deps();
    const withoutRefresh = session({ expiresAt: at(-1), refreshToken: undefined });
    await expect(freshSession(URL, withoutRefresh, none.d)).rejects.toThrow(new UsageError(again));
    expect(none.calls).toEqual([]);

    for (const status of [400, 401, 403]) {
      const refused = deps(async () => Promise.reject(new ApiError(status, 'Refused', 'no')));
      const err = await freshSession(URL, session({ expiresAt: at(-1) }), refused.d).catch((e: unknown) => e);
      expect(err, String(status)).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(again);
      expect(refused.stored).toEqual([]);
    }
  });

  it('fails as it is when the API cannot be reached, rather than asking to sign in again', async () => {
    const down = deps(async () => Promise.reject(new Failure(`cannot reach the Strata API at ${URL}: ECONNREFUSED`)));
    await expect(freshSession(URL, session({ expiresAt: at(-1) }), down.d)).rejects.toThrow(/cannot reach/);
  });
});

describe('an SSO profile in the config file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-cli-config-'));
    vi.stubEnv('XDG_CONFIG_HOME', dir);
    vi.stubEnv('STRATA_API_URL', '');
    vi.stubEnv('STRATA_API_KEY', '');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves to its sign-in, stores a refreshed one in 0600, and yields to STRATA_API_KEY', () => {
    saveProfile('work', { url: URL, sso: session() });
    expect(resolvePlatform('work')).toEqual({ url: URL, sso: session(), profile: 'work' });

    const refreshed = session({ idToken: 'id-new', refreshToken: 'rt-new' });
    saveSession('work', session(), refreshed);
    expect(JSON.parse(readFileSync(configPath(), 'utf8')).profiles.work).toEqual({ url: URL, sso: refreshed });
    expect(statSync(configPath()).mode & 0o777).toBe(0o600);
    // A sign-in replaced meanwhile (another strata login) is not overwritten with older tokens.
    saveSession('work', session(), session({ idToken: 'id-stale' }));
    expect(resolvePlatform('work')).toMatchObject({ sso: refreshed });

    vi.stubEnv('STRATA_API_KEY', 'strata_env');
    expect(resolvePlatform('work')).toEqual({ url: URL, key: 'strata_env' });
  });
});
