import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { AUDIT_RETENTION_DAYS, type AuditEntry, type AuditFilter } from '../../core/audit.js';
import { documentClient } from './client.js';
import { strip } from './definitions.js';
import { queryPage, type Page } from './pagination.js';
import { tableName } from './tables.js';

/**
 * The audit log of one tenant: pk A#<tenant>, sk = the entry id (`<at>#<requestId>`), newest first
 * by a reverse query; a time range is a key condition, the other filters a filter expression.
 * Entries expire a year after they are written (DynamoDB TTL) and are never updated.
 */
const pk = (tenantId: string) => `A#${tenantId}`;
const table = () => tableName('audit');

/** Append one entry. Never overwrites: an entry with the same id (a retried write of it) stands. */
export async function appendAudit(entry: AuditEntry): Promise<void> {
  const expiresAt = Math.floor(Date.parse(entry.at) / 1000) + AUDIT_RETENTION_DAYS * 86_400;
  try {
    await documentClient().send(
      new PutCommand({ TableName: table(), Item: { pk: pk(entry.tenantId), sk: entry.id, ...entry, expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  } catch (err) {
    if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
  }
}

/** The fields in the order the API documents them (a stored item's map has none), so exports read alike. */
const FIELD_ORDER: readonly (keyof AuditEntry)[] = ['id', 'at', 'tenantId', 'actor', 'action', 'method', 'path', 'resourceType', 'resourceId', 'project', 'outcome', 'status', 'error', 'message', 'sourceIp', 'requestId', 'userAgent'];
function shown(item: Record<string, unknown>): AuditEntry {
  const e = strip<Record<string, unknown>>(item);
  return Object.fromEntries(FIELD_ORDER.filter((k) => e[k] !== undefined).map((k) => [k, e[k]])) as unknown as AuditEntry;
}

/** Attribute paths of the filters that are not part of the key. */
const FILTER_PATHS: ReadonlyArray<[keyof AuditFilter, string[]]> = [
  ['actor', ['actor', 'id']],
  ['action', ['action']],
  ['resourceType', ['resourceType']],
  ['resourceId', ['resourceId']],
  ['project', ['project']],
  ['outcome', ['outcome']],
];

function filterExpression(f: AuditFilter) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const terms: string[] = [];
  FILTER_PATHS.forEach(([field, path], i) => {
    const value = f[field];
    if (value === undefined) return;
    terms.push(`${path.map((seg, j) => `#f${i}_${j}`).join('.')} = :f${i}`);
    path.forEach((seg, j) => (names[`#f${i}_${j}`] = seg));
    values[`:f${i}`] = value;
  });
  return terms.length ? { FilterExpression: terms.join(' AND '), ExpressionAttributeNames: names, values } : { values };
}

/** One page of a tenant's audit log, newest first, narrowed by the filter. */
export async function listAudit(tenantId: string, f: AuditFilter, opts: { limit?: number; cursor?: string } = {}): Promise<Page<AuditEntry>> {
  const { values, ...filter } = filterExpression(f);
  // The entry id starts with its time: `since` is inclusive; `until` sorts before any id at that time, so it is exclusive.
  const range = f.since && f.until ? ' AND sk BETWEEN :since AND :until' : f.since ? ' AND sk >= :since' : f.until ? ' AND sk < :until' : '';
  return queryPage({
    query: {
      TableName: table(),
      KeyConditionExpression: `pk = :pk${range}`,
      ...filter,
      ExpressionAttributeValues: { ...values, ':pk': pk(tenantId), ...(f.since ? { ':since': f.since } : {}), ...(f.until ? { ':until': f.until } : {}) },
      ScanIndexForward: false,
    },
    pk: pk(tenantId),
    limit: opts.limit,
    cursor: opts.cursor,
    map: shown,
  });
}
