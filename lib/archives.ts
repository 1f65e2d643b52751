import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface StrataArchivesProps {
  /**
   * Days a log archive is kept before S3 expires it.
   * @default 30
   */
  readonly archiveExpirationDays?: number;
  /**
   * Days the archive bucket's server access logs are kept.
   * @default 90
   */
  readonly accessLogExpirationDays?: number;
  /**
   * What happens to both buckets when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Log-bundle archives: a private bucket (all public access blocked, TLS only, S3-managed
 * encryption, objects expire), whose server access logs go to a second bucket just as locked down.
 * Clients never read it directly; they get short-lived presigned URLs.
 */
export class StrataArchives extends Construct {
  public readonly bucket: Bucket;
  public readonly accessLogsBucket: Bucket;

  constructor(scope: Construct, id: string, props: StrataArchivesProps = {}) {
    super(scope, id);
    const archiveDays = props.archiveExpirationDays ?? 30;
    const accessLogDays = props.accessLogExpirationDays ?? 90;
    for (const [name, days] of [['archiveExpirationDays', archiveDays], ['accessLogExpirationDays', accessLogDays]] as const) {
      if (!Number.isInteger(days) || days < 1) throw new Error(`StrataArchives: ${name} must be a whole number of days >= 1, got ${days}`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // Log delivery is granted by a bucket policy, not by the legacy LogDeliveryWrite ACL, so
    // both buckets can keep ACLs disabled (BucketOwnerEnforced).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    const secure = {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      removalPolicy,
    };

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      ...secure,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(accessLogDays) }],
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket itself; logging its own access would log into itself without end.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      ...secure,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'archives/',
      lifecycleRules: [
        {
          id: 'expire-archives',
          expiration: Duration.days(archiveDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
  }
}
