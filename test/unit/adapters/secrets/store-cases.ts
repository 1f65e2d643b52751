import { randomBytes } from 'node:crypto';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { deleteSecret, getSecret, putSecret, SECRET_MAX_BYTES, SecretNotFound, SecretTooLarge } from '../../../../adapters/secrets/secrets-store.js';

/** Point the store's SDK client at `endpoint`, as the local runtime and the SDK's standard variables do. */
export function useSsmEndpoint(endpoint: string): void {
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'test', AWS_ENDPOINT_URL_SSM: endpoint });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}

/**
 * What callers of the secrets store rely on, whatever Parameter Store answers: moto (a real AWS
 * emulator) or the local runtime's own. `endpoint` is read when a test runs.
 */
export function secretsStoreCases(endpoint: () => string): void {
  const name = (leaf: string) => `/strata/test/tenants/t-${randomBytes(4).toString('hex')}/cloudaccounts/${leaf}`;
  const raw = () => new SSMClient({ region: 'us-east-1', endpoint: endpoint(), credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });

  describe('the secrets store on Parameter Store', () => {
    it('keeps a secret as a standard SecureString parameter and gives it back decrypted', async () => {
      const n = name('ca-1');
      const value = `s3cr3t-${randomBytes(8).toString('hex')}-é€`;
      expect(await putSecret(n, value)).toBe(true);
      expect(await getSecret(n)).toBe(value);
      const stored = (await raw().send(new GetParameterCommand({ Name: n }))).Parameter!;
      expect(stored.Type).toBe('SecureString');
      // Without decryption Parameter Store answers something else than the value.
      expect(stored.Value).not.toBe(value);
    });

    it('replaces a value by default, and keeps the existing one when asked not to replace', async () => {
      const n = name('ca-2');
      await putSecret(n, 'first');
      expect(await putSecret(n, 'second')).toBe(true);
      expect(await getSecret(n)).toBe('second');
      expect(await putSecret(n, 'third', { replace: false })).toBe(false);
      expect(await getSecret(n)).toBe('second');
      const fresh = name('ca-3');
      expect(await putSecret(fresh, 'only', { replace: false })).toBe(true);
      expect(await getSecret(fresh)).toBe('only');
    });

    it('names a missing secret in its error, and deletes idempotently', async () => {
      const n = name('ca-4');
      const missing = await getSecret(n).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(SecretNotFound);
      expect((missing as Error).message).toBe(`no secret is stored under ${n}`);
      await putSecret(n, 'v');
      await deleteSecret(n);
      await expect(getSecret(n)).rejects.toBeInstanceOf(SecretNotFound);
      await expect(deleteSecret(n)).resolves.toBeUndefined();
    });

    it('holds up to 4 KB and refuses a larger value without storing anything', async () => {
      const n = name('ca-5');
      const full = 'k'.repeat(SECRET_MAX_BYTES);
      await putSecret(n, full);
      expect(await getSecret(n)).toBe(full);
      // 1,366 three-byte characters: fewer than 4,096 characters, more than 4,096 bytes.
      const tooBig = name('ca-6');
      const err = await putSecret(tooBig, '€'.repeat(1366)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SecretTooLarge);
      expect((err as Error).message).toContain('4098');
      expect((err as Error).message).not.toContain('€');
      await expect(getSecret(tooBig)).rejects.toBeInstanceOf(SecretNotFound);
      expect(await getSecret(n)).toBe(full);
    });
  });
}
