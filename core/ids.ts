import { randomBytes } from 'node:crypto';
import { clock } from './clock.js';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Short random id with a readable prefix, e.g. cl-3k9x0q2m7vza. 60 bits of randomness. */
export function newId(prefix: string): string {
  const bytes = randomBytes(12);
  let out = '';
  for (const b of bytes) out += ALPHABET[b & 31];
  return `${prefix}-${out}`;
}

export const ID_PATTERN = /^[a-z]{1,4}-[0-9a-z]{4,40}$|^[a-z][a-z0-9-]{0,62}$/;

/** An id that sorts by creation time (to the millisecond), then at random: `<prefix>-<time><random>`. */
export function newTimeId(prefix: string, now = clock.now()): string {
  return `${prefix}-${now.toString(36).padStart(9, '0')}${newId('x').slice(2, 10)}`;
}
