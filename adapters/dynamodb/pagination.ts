import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { invalidField } from '../../core/errors.js';
import { documentClient } from './client.js';

export type Key = Record<string, unknown>;

/**
 * One page of a list. A page is full (`limit` items) whenever it has a `nextCursor`, except when
 * DynamoDB stopped reading at its 1 MB limit first: then `readLimitReached` says so, and the page
 * may hold fewer items (even none) while more follow.
 */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
  readonly readLimitReached?: true;
}

/** Opaque cursor for list endpoints: the DynamoDB key to continue after, base64url JSON. */
export function encodeCursor(key: Key | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;
}

/** The key attributes of an index a list reads (gsi1): a cursor of it holds the table's key too. */
export interface IndexKeys {
  readonly pk: string;
  readonly sk: string;
}

export function decodeCursor(cursor: string | undefined, expectPk: string, expectSkPrefix = '', index?: IndexKeys): Key | undefined {
  if (!cursor) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Key;
    const pkAttr = index?.pk ?? 'pk';
    const skAttr = index?.sk ?? 'sk';
    // A cursor from another list (or another tenant) must not steer the query elsewhere.
    const foreign =
      typeof key !== 'object' ||
      key === null ||
      Object.keys(key).length !== (index ? 4 : 2) ||
      key[pkAttr] !== expectPk ||
      typeof key[skAttr] !== 'string' ||
      !(key[skAttr] as string).startsWith(expectSkPrefix) ||
      (index !== undefined && (typeof key.pk !== 'string' || typeof key.sk !== 'string'));
    if (foreign) throw new Error('foreign');
    return key;
  } catch {
    throw invalidField('query.cursor', 'not a cursor returned by this list');
  }
}

/** Rounds of reading a filtered list may take before it answers what it has (bounded latency). */
const MAX_ROUNDS = 8;
/** Items read per round of a filtered list, so a sparse filter does not take a round per item. */
const FILTERED_ROUND = 100;

export interface PageQuery<T> {
  /** The query on a table keyed pk + sk, without Limit and ExclusiveStartKey. */
  readonly query: Omit<QueryCommandInput, 'Limit' | 'ExclusiveStartKey'>;
  /** The partition and sort-key prefix a cursor must belong to. */
  readonly pk: string;
  readonly skPrefix?: string;
  /** Set when the query reads an index: its key attributes. */
  readonly index?: IndexKeys;
  readonly limit?: number;
  readonly cursor?: string;
  readonly map: (item: Record<string, unknown>) => T;
}

/**
 * Read one page: as many DynamoDB queries as it takes to fill `limit` items after filtering,
 * one item more to know whether another page follows (so a last page has no cursor), and the
 * cursor taken from the last item shown. Stops early only at DynamoDB's 1 MB read limit (or
 * after MAX_ROUNDS of a sparse filter), and then says so.
 */
export async function queryPage<T>(q: PageQuery<T>): Promise<Page<T>> {
  const limit = q.limit ?? 50;
  const filtered = q.query.FilterExpression !== undefined;
  const raw: Record<string, unknown>[] = [];
  let start = decodeCursor(q.cursor, q.pk, q.skPrefix, q.index);
  const keyOf = (item: Record<string, unknown>): Key =>
    q.index ? { pk: item.pk, sk: item.sk, [q.index.pk]: item[q.index.pk], [q.index.sk]: item[q.index.sk] } : { pk: item.pk, sk: item.sk };
  for (let round = 1; ; round++) {
    const want = limit + 1 - raw.length;
    const ask = filtered ? Math.max(want, FILTERED_ROUND) : want;
    const res = await documentClient().send(new QueryCommand({ ...q.query, Limit: ask, ExclusiveStartKey: start }));
    raw.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
    if (raw.length > limit) {
      const items = raw.slice(0, limit);
      const last = items[limit - 1]!;
      return { items: items.map(q.map), nextCursor: encodeCursor(keyOf(last)) };
    }
    if (!start) return { items: raw.map(q.map) };
    // Fewer items examined than asked for, yet more to read: DynamoDB's 1 MB limit ended the read.
    if ((res.ScannedCount ?? ask) < ask || round >= MAX_ROUNDS) {
      return { items: raw.map(q.map), nextCursor: encodeCursor(start), readLimitReached: true };
    }
  }
}
