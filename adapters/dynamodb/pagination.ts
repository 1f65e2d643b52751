import { invalidField } from '../../core/errors.js';

export type Key = Record<string, unknown>;

/** Opaque cursor for list endpoints: the DynamoDB LastEvaluatedKey, base64url JSON. */
export function encodeCursor(key: Key | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;
}

export function decodeCursor(cursor: string | undefined, expectPk: string, expectSkPrefix = ''): Key | undefined {
  if (!cursor) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Key;
    // A cursor from another list (or another tenant) must not steer the query elsewhere.
    const foreign =
      typeof key !== 'object' ||
      key === null ||
      Object.keys(key).length !== 2 ||
      key.pk !== expectPk ||
      typeof key.sk !== 'string' ||
      !key.sk.startsWith(expectSkPrefix);
    if (foreign) throw new Error('foreign');
    return key;
  } catch {
    throw invalidField('query.cursor', 'not a cursor returned by this list');
  }
}
