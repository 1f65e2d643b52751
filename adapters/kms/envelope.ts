import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';

/**
 * A secret sealed by envelope encryption: a fresh AES-256 data key encrypts it (GCM), and KMS
 * encrypts the data key under Strata's one key, bound to an encryption context (tenant and
 * cluster), so a sealed blob copied to another cluster's record cannot be opened there.
 */
export interface Sealed {
  /** The KMS key that wrapped the data key. */
  readonly keyId: string;
  /** The data key, encrypted by KMS; base64. */
  readonly wrappedKey: string;
  readonly iv: string;
  readonly tag: string;
  readonly ciphertext: string;
}

export type EncryptionContext = Readonly<Record<string, string>>;

let client: KMSClient | undefined;
const kms = () => (client ??= new KMSClient({ maxAttempts: 5 }));

/** The key Strata seals cluster secrets with (CLUSTER_SECRETS_KEY_ARN; the CDK stack and the local runtime set it). */
function keyId(): string {
  const id = process.env.CLUSTER_SECRETS_KEY_ARN;
  if (!id) throw new Error('CLUSTER_SECRETS_KEY_ARN is not set');
  return id;
}

export async function seal(plaintext: Buffer, context: EncryptionContext): Promise<Sealed> {
  const out = await kms().send(new GenerateDataKeyCommand({ KeyId: keyId(), KeySpec: 'AES_256', EncryptionContext: { ...context } }));
  if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
  const dataKey = Buffer.from(out.Plaintext);
  try {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      keyId: out.KeyId ?? keyId(),
      wrappedKey: Buffer.from(out.CiphertextBlob).toString('base64'),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  } finally {
    dataKey.fill(0);
  }
}

export async function open(sealed: Sealed, context: EncryptionContext): Promise<Buffer> {
  const out = await kms().send(
    new DecryptCommand({ KeyId: sealed.keyId, CiphertextBlob: Buffer.from(sealed.wrappedKey, 'base64'), EncryptionContext: { ...context } }),
  );
  if (!out.Plaintext) throw new Error('KMS Decrypt returned no key');
  const dataKey = Buffer.from(out.Plaintext);
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(sealed.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
  } finally {
    dataKey.fill(0);
  }
}
