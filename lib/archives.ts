import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, HttpMethods, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { COMPLIANCE_HISTORY_DAYS } from '../core/compliance.js';
import { LOG_ARCHIVE_DAYS } from '../core/log-bundles.js';

/** Where each kind of archive lives in the bucket. */
export const LOGS_PREFIX = 'logs/';
export const COMPLIANCE_PREFIX = 'compliance/';

export interface StrataArchivesProps {
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
 * Archives: log bundles (logs/) and raw kube-bench reports (compliance/) in a private bucket (all
 * public access blocked, TLS only, S3-managed encryption, objects expire by prefix), whose server
 * access logs go to a second bucket just as locked down. Clients never read it directly; agents
 * upload and people download through short-lived presigned URLs.
 */
export class StrataArchives extends Construct {
  public readonly bucket: Bucket;
  public readonly accessLogsBucket: Bucket;

  constructor(scope: Construct, id: string, props: StrataArchivesProps = {}) {
    super(scope, id);
    // The days archives are kept are the domain's (core/): the API promises them (archiveExpiresAt, the run history).
    const archiveDays = LOG_ARCHIVE_DAYS;
    const complianceDays = COMPLIANCE_HISTORY_DAYS;
    const accessLogDays = props.accessLogExpirationDays ?? 90;
    for (const [name, days] of [['accessLogExpirationDays', accessLogDays]] as const) {
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
      // The console fetches downloads with progress: a presigned URL is the credential, so any origin may read with one.
      cors: [{ allowedMethods: [HttpMethods.GET], allowedOrigins: ['*'], exposedHeaders: ['Content-Length', 'Content-Disposition'], maxAge: 3600 }],
      lifecycleRules: [
        { id: 'expire-log-bundles', prefix: LOGS_PREFIX, expiration: Duration.days(archiveDays) },
        { id: 'expire-compliance-reports', prefix: COMPLIANCE_PREFIX, expiration: Duration.days(complianceDays) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }

  /**
   * What the agent API needs: upload forms for log bundles are signed with its credentials (so it
   * may put them), it checks (HeadObject) and deletes an oversized bundle, and it stores
   * kube-bench reports.
   */
  grantAgentUploads(grantee: IGrantable & Construct): void {
    this.allow(grantee, ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'], LOGS_PREFIX, "an upload form, a size check and the deletion of an oversized one name one request's key");
    this.allowListing(grantee, LOGS_PREFIX);
    this.allow(grantee, ['s3:PutObject'], COMPLIANCE_PREFIX, "each kube-bench run writes its own report key");
  }

  /** Download URLs of one kind of archive are signed with the grantee's credentials. */
  grantDownloads(grantee: IGrantable & Construct, prefix: typeof LOGS_PREFIX | typeof COMPLIANCE_PREFIX): void {
    this.allow(grantee, ['s3:GetObject'], prefix, "a download URL names one archive's key");
  }

  /** Checking a reported bundle when the agent API could not (HeadObject), deleting one over the cap. */
  grantLogChecks(grantee: IGrantable & Construct): void {
    this.allow(grantee, ['s3:GetObject', 's3:DeleteObject'], LOGS_PREFIX, "a size check and the deletion of an oversized bundle name one request's key");
    this.allowListing(grantee, LOGS_PREFIX);
  }

  /** Exactly these object actions under one prefix: keys are made per request, so the prefix is as narrow as a grant can be. */
  private allow(grantee: IGrantable & Construct, actions: string[], prefix: string, why: string): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [this.bucket.arnForObjects(`${prefix}*`)] }));
    Validations.of(grantee).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.logicalId()}.Arn>/${prefix}*]`,
      reason: `Objects under ${prefix} only, with ${actions.join(', ')}: ${why}, which exists only at run time (<tenant>/<cluster>/<id>).`,
    });
  }

  /**
   * ListBucket for keys under one prefix only: without it S3 answers HeadObject of a missing key
   * 403, not 404, and a bundle the agent said it uploaded but did not could not be told apart from a denial.
   */
  private allowListing(grantee: IGrantable & Construct, prefix: string): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } }));
  }

  private logicalId(): string {
    return Stack.of(this.bucket).resolve((this.bucket.node.defaultChild as CfnBucket).logicalId) as string;
  }
}
