import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPair);

/** An SSH wire-format string: uint32 length, then the bytes. */
function sshString(bytes: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** An SSH mpint: big-endian, with a leading zero byte when the high bit is set (it is positive). */
function sshMpint(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return sshString((trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/**
 * A fresh RSA public key in OpenSSH `ssh-rsa AAAA...` form whose private half is never kept.
 * Azure refuses a Linux VM with password authentication disabled and no SSH key; Strata nodes
 * are reached through the agent, never over SSH, so the key only satisfies that rule.
 */
export async function throwawaySshPublicKey(comment = 'strata-no-ssh'): Promise<string> {
  const { publicKey } = await generate('rsa', { modulusLength: 3072 });
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    sshMpint(Buffer.from(jwk.e!, 'base64url')),
    sshMpint(Buffer.from(jwk.n!, 'base64url')),
  ]);
  return `ssh-rsa ${blob.toString('base64')} ${comment}`;
}
