import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { startJsonService, ServiceError } from './aws-json-service.js';

/** The one key of the local runtime, as a KMS key ARN. */
export const LOCAL_KEY_ARN = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000001';

/**
 * KMS's envelope-encryption calls (GenerateDataKey, Decrypt) with one local master key: data keys
 * are wrapped with AES-256-GCM under it, bound to the encryption context as AWS binds them (a
 * Decrypt with another context fails with InvalidCiphertextException).
 */
export async function startLocalKms(masterKey: Buffer): Promise<{ endpoint: string; keyArn: string; stop(): Promise<void> }> {
  if (masterKey.length !== 32) throw new Error('the local KMS master key must be 32 bytes');
  const contextDigest = (ctx: unknown) =>
    createHash('sha256')
      .update(JSON.stringify(Object.entries((ctx as Record<string, string>) ?? {}).sort(([a], [b]) => a.localeCompare(b))))
      .digest();
  const wrap = (plain: Buffer, ctx: unknown) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
    cipher.setAAD(contextDigest(ctx));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  };
  const unwrap = (blob: Buffer, ctx: unknown) => {
    try {
      const decipher = createDecipheriv('aes-256-gcm', masterKey, blob.subarray(0, 12));
      decipher.setAAD(contextDigest(ctx));
      decipher.setAuthTag(blob.subarray(12, 28));
      return Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
    } catch {
      throw new ServiceError('InvalidCiphertextException', 'The ciphertext is invalid, or was encrypted under another key or encryption context.');
    }
  };
  const service = await startJsonService('KMS', 'TrentService', {
    GenerateDataKey: (i) => {
      if (i.KeyId !== LOCAL_KEY_ARN) throw new ServiceError('NotFoundException', `Key '${String(i.KeyId)}' does not exist`);
      const plain = randomBytes(i.KeySpec === 'AES_128' ? 16 : Number(i.NumberOfBytes ?? 32));
      return { KeyId: LOCAL_KEY_ARN, Plaintext: plain.toString('base64'), CiphertextBlob: wrap(plain, i.EncryptionContext).toString('base64') };
    },
    Decrypt: (i) => ({ KeyId: LOCAL_KEY_ARN, Plaintext: unwrap(Buffer.from(String(i.CiphertextBlob ?? ''), 'base64'), i.EncryptionContext).toString('base64') }),
  });
  return { ...service, keyArn: LOCAL_KEY_ARN };
}
