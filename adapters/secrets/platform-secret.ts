import { getSecret } from './secrets-store.js';

/** The variable naming the platform secret's parameter. */
export const PLATFORM_SECRET_ENV = 'PLATFORM_SECRET_PARAMETER';

let cached: Promise<string> | undefined;

/**
 * The platform secret that derives agent tokens, bootstrap tickets and join tokens: a SecureString
 * parameter (its name in PLATFORM_SECRET_PARAMETER), read once per process. The local runtime
 * keeps it in its own Parameter Store, so this is the same code in both modes.
 */
export function platformSecret(): Promise<string> {
  cached ??= (async () => {
    const name = process.env[PLATFORM_SECRET_ENV];
    if (!name) throw new Error(`${PLATFORM_SECRET_ENV} is not set`);
    return getSecret(name);
  })();
  cached.catch(() => (cached = undefined));
  return cached;
}
