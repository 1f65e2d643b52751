import { getSecret } from './secrets-store.js';

let cached: Promise<string> | undefined;

/**
 * The platform secret that derives agent tokens, bootstrap tickets and join tokens: a Secrets
 * Manager secret (PLATFORM_SECRET_ARN), read once per process. The local runtime keeps it in its
 * own Secrets Manager, so this is the same code in both modes.
 */
export function platformSecret(): Promise<string> {
  cached ??= (async () => {
    const arn = process.env.PLATFORM_SECRET_ARN;
    if (!arn) throw new Error('PLATFORM_SECRET_ARN is not set');
    return getSecret(arn);
  })();
  cached.catch(() => (cached = undefined));
  return cached;
}
