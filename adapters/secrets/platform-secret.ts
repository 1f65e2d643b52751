import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let cached: Promise<string> | undefined;

/**
 * The platform secret that derives agent tokens and kubeadm bootstrap secrets. On AWS it lives
 * in Secrets Manager (PLATFORM_SECRET_ARN); the local runtime hands it over as PLATFORM_SECRET.
 */
export function platformSecret(): Promise<string> {
  cached ??= (async () => {
    if (process.env.PLATFORM_SECRET) return process.env.PLATFORM_SECRET;
    const arn = process.env.PLATFORM_SECRET_ARN;
    if (!arn) throw new Error('PLATFORM_SECRET_ARN is not set');
    const res = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arn }));
    if (!res.SecretString) throw new Error('the platform secret has no value');
    return res.SecretString;
  })();
  cached.catch(() => (cached = undefined));
  return cached;
}
