import { invalidField } from '../../core/errors.js';

export type Key = Record<string, unknown>;

/** Opaque cursor for list endpoints: the DynamoDB LastEvaluatedKey, base64url JSON. */
export function encodeCursor(key: Key | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;
}

export function decodeCursor(cursor: string | undefined, expectPk: string): Key | undefined {
  if (!cursor) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Key;
    // A cursor from another list (or another tenant) must not steer the query elsewhere.
    if (typeof key !== 'object' || key === null || key.pk !== expectPk || typeof key.sk !== 'string') throw new Error('foreign');
    return key;
  } catch {
    throw invalidField('query.cursor', 'not a cursor returned by this list');
  }
}
