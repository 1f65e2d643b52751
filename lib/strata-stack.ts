import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TABLE_ENV, type TableId } from '../adapters/dynamodb/tables.js';
import { StrataApi } from './api.js';
import { StrataArchives } from './archives.js';
import { StrataBootstrap } from './bootstrap.js';
import { StrataData } from './data.js';

/** The whole Strata control plane on AWS: tables, archives, the REST API and the first-deploy bootstrap. */
export class StrataStack extends Stack {
  public readonly data: StrataData;
  public readonly archives: StrataArchives;
  public readonly api: StrataApi;
  public readonly bootstrap: StrataBootstrap;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, { description: 'Strata: Kubernetes cluster lifecycle platform (control plane)', ...props });

    this.data = new StrataData(this, 'Data');
    this.archives = new StrataArchives(this, 'Archives');
    const environment = { ...this.data.environment, ARCHIVE_BUCKET: this.archives.bucket.bucketName };

    this.api = new StrataApi(this, 'Api', { data: this.data, environment });
    this.bootstrap = new StrataBootstrap(this, 'Bootstrap', { data: this.data, environment });

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the REST API (routes start with /v1 and /healthz)' });
    new CfnOutput(this, 'OperatorKeySecretArn', {
      value: this.bootstrap.operatorKey.secretArn,
      description: 'Secrets Manager secret holding the first platform-operator API key',
    });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archives.bucket.bucketName });
    for (const [tableId, table] of Object.entries(this.data.tables) as [TableId, (typeof this.data.tables)[TableId]][]) {
      new CfnOutput(this, outputId(TABLE_ENV[tableId]), { value: table.tableName, description: `DynamoDB table "${tableId}"` });
    }
  }
}

/** DEFINITIONS_TABLE → DefinitionsTableName */
function outputId(envName: string): string {
  const words = envName.toLowerCase().split('_');
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('') + 'Name';
}
