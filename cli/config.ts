import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError } from './errors.js';

/** A sign-in through the tenant's identity provider: its ID token is the bearer token until expiresAt. */
export interface SsoSession {
  readonly tenant: string;
  readonly idToken: string;
  /** ISO time. */
  readonly expiresAt: string;
  readonly refreshToken?: string;
}

/** What the config file holds of one platform: its URL, and an API key or a sign-in. */
export type StoredProfile = { readonly url: string; readonly key: string } | { readonly url: string; readonly sso: SsoSession };

/**
 * Where one Strata platform is and what to use with it: an API key, or a sign-in (the profile it
 * is stored in, where a refresh stores its new tokens).
 */
export type Platform = { readonly url: string; readonly key: string } | { readonly url: string; readonly sso: SsoSession; readonly profile: string };

interface ConfigFile {
  profiles: Record<string, Partial<{ url: string; key: string; sso: SsoSession }>>;
}

export const DEFAULT_PROFILE = 'default';
/** Only its owner may read a file that holds API keys. */
const PRIVATE = 0o600;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'strata', 'config.json');
}

/** The config file, its mode tightened to 0600 first if anyone else could read it. */
function readConfig(path: string): ConfigFile {
  if (!existsSync(path)) return { profiles: {} };
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    chmodSync(path, PRIVATE);
    process.stderr.write(`warning: ${path} was readable by others (mode ${mode.toString(8)}); its mode is now 600\n`);
  }
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<ConfigFile>;
    return { profiles: parsed.profiles ?? {} };
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON (${(err as Error).message}); fix it or run strata login again`);
  }
}

/** Written to a temporary file with mode 0600 and renamed, so the key is never readable by others, not even for a moment. */
function writeConfig(path: string, config: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: PRIVATE });
  chmodSync(tmp, PRIVATE);
  renameSync(tmp, path);
}

export function saveProfile(name: string, platform: StoredProfile): string {
  const path = configPath();
  const config = readConfig(path);
  config.profiles[name] = platform;
  writeConfig(path, config);
  return path;
}

/** The tokens of a refreshed sign-in, in place of the old ones; none when the profile was since changed to something else. */
export function saveSession(name: string, previous: SsoSession, session: SsoSession): void {
  const path = configPath();
  const config = readConfig(path);
  const stored = config.profiles[name];
  if (stored?.sso?.idToken !== previous.idToken) return;
  config.profiles[name] = { ...stored, sso: session };
  writeConfig(path, config);
}

export function removeProfile(name: string): boolean {
  const path = configPath();
  const config = readConfig(path);
  if (!config.profiles[name]) return false;
  delete config.profiles[name];
  writeConfig(path, config);
  return true;
}

/**
 * The platform to talk to: STRATA_API_URL and STRATA_API_KEY win over the config file, whose
 * profile is --profile's, or "default".
 */
export function resolvePlatform(profile: string | undefined, env: NodeJS.ProcessEnv = process.env): Platform {
  const fromEnv = { url: env.STRATA_API_URL, key: env.STRATA_API_KEY };
  if (fromEnv.url && fromEnv.key) return { url: fromEnv.url, key: fromEnv.key };
  const path = configPath(env);
  const config = readConfig(path);
  const name = profile ?? DEFAULT_PROFILE;
  const stored = config.profiles[name];
  if (profile && !stored && !(fromEnv.url || fromEnv.key)) {
    const known = Object.keys(config.profiles);
    throw new UsageError(`no profile "${profile}" in ${path}${known.length ? ` (profiles: ${known.join(', ')})` : ''}; run strata login --profile ${profile} --url URL --key KEY (or --sso --tenant NAME)`);
  }
  const url = fromEnv.url || stored?.url;
  const key = fromEnv.key || stored?.key;
  if (url && key) return { url, key };
  if (url && stored?.sso) return { url, sso: stored.sso, profile: name };
  throw new UsageError(`no Strata API configured: set STRATA_API_URL and STRATA_API_KEY, or run strata login --url URL --key KEY (or strata login --sso --url URL --tenant NAME)`);
}
