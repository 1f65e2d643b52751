/**
 * The tables, declared once. The CDK stack and the local bootstrap both read this,
 * so the deployed schema and the local one cannot drift.
 */
export type KeyType = 'S' | 'N';

export interface TableIndex {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export interface TableSchema {
  /** Logical name; the physical name comes from the environment (see tableName). */
  readonly id: TableId;
  readonly partitionKey: string;
  readonly sortKey: string;
  /** Attribute holding an epoch-seconds expiry; reads filter expired items themselves. */
  readonly ttlAttribute?: string;
  readonly indexes: readonly TableIndex[];
}

export type TableId = 'definitions' | 'conditions' | 'events' | 'telemetry' | 'audit';

export const TABLES: Record<TableId, TableSchema> = {
  definitions: {
    id: 'definitions',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
    // gsi1: cross-partition look-ups (e.g. clusters by phase, by heartbeat age).
    indexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
  },
  conditions: { id: 'conditions', partitionKey: 'pk', sortKey: 'sk', indexes: [] },
  // gsi1: the tenant-wide stream (gsi1pk TE#<tenant>, gsi1sk = the event id, which sorts by time).
  events: { id: 'events', partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt', indexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }] },
  telemetry: { id: 'telemetry', partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt', indexes: [] },
  // Apart, so the API handlers may only append to it (PutItem) and only the audit reader may query it.
  audit: { id: 'audit', partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt', indexes: [] },
};

/** Environment variable that carries each table's physical name. */
export const TABLE_ENV: Record<TableId, string> = {
  definitions: 'DEFINITIONS_TABLE',
  conditions: 'CONDITIONS_TABLE',
  events: 'EVENTS_TABLE',
  telemetry: 'TELEMETRY_TABLE',
  audit: 'AUDIT_TABLE',
};

export function tableName(id: TableId): string {
  const name = process.env[TABLE_ENV[id]];
  if (!name) throw new Error(`${TABLE_ENV[id]} is not set`);
  return name;
}
