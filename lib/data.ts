import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, type CfnTable, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLE_ENV, TABLES, type TableId, type TableSchema } from '../adapters/dynamodb/tables.js';

export interface StrataDataProps {
  /**
   * What happens to the tables when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** How much of a table a grantee may touch. */
export type TableAccess = 'read' | 'readwrite' | 'ingest' | 'append';

/**
 * The DynamoDB actions of each access level: only what the adapters call. No Scan anywhere (every
 * read is a Query or a GetItem on a key), and BatchWriteItem only for heartbeat ingest, the one
 * caller of it (transactions need only the per-item actions).
 */
export const TABLE_ACTIONS: Readonly<Record<TableAccess, readonly string[]>> = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  readwrite: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  ingest: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
  // The audit log: new entries only, never read, changed or deleted by the writer.
  append: ['dynamodb:PutItem'],
};

const TABLE_IDS = Object.keys(TABLES) as TableId[];

/**
 * The four DynamoDB tables, built from the one schema declaration the local runtime also uses
 * (adapters/dynamodb/tables.ts): string pk/sk, every GSI projecting ALL, TTL where declared,
 * on-demand billing, point-in-time recovery, AWS-managed encryption, retained on delete.
 */
export class StrataData extends Construct {
  public readonly tables: Readonly<Record<TableId, Table>>;

  constructor(scope: Construct, id: string, props: StrataDataProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const tables = {} as Record<TableId, Table>;
    for (const tableId of TABLE_IDS) tables[tableId] = this.createTable(TABLES[tableId], removalPolicy);
    this.tables = tables;
  }

  /** Every table's physical name, under the variable the adapters read (TABLE_ENV). */
  public get environment(): Record<string, string> {
    return Object.fromEntries(TABLE_IDS.map((tableId) => [TABLE_ENV[tableId], this.tables[tableId].tableName]));
  }

  /**
   * Grant `grantee` read or read-write data access to one table. Grants on a table with indexes
   * include `<table>/index/*`; that wildcard is acknowledged for cdk-nag on the grantee, and on
   * that table only.
   */
  public grant(tableId: TableId, grantee: IGrantable & Construct, access: TableAccess): void {
    const table = this.tables[tableId];
    table.grant(grantee, ...TABLE_ACTIONS[access]);
    if (TABLES[tableId].indexes.length > 0) {
      const logicalId = Stack.of(table).resolve((table.node.defaultChild as CfnTable).logicalId) as string;
      Validations.of(grantee).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/index/*]`,
        reason: `Querying the ${tableId} table's GSIs needs its index ARNs; index/* covers only the indexes of that one table.`,
      });
    }
  }

  private createTable(schema: TableSchema, removalPolicy: RemovalPolicy): Table {
    const table = new Table(this, pascal(schema.id), {
      partitionKey: { name: schema.partitionKey, type: AttributeType.STRING },
      sortKey: { name: schema.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: schema.ttlAttribute,
      // A table dropped by mistake is every cluster's record gone: CloudFormation may not delete it.
      deletionProtection: true,
      removalPolicy,
    });
    for (const index of schema.indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
    return table;
  }
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
