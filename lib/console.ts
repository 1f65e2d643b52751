import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AssetHashType, DefaultStackSynthesizer, DockerImage, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  Function as CloudFrontFunction,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { RestApiOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { ASSETS_PREFIX, CONSOLE_HEADERS, contentSecurityPolicy, HSTS_SECONDS } from '../console/headers.js';
import { REPO_ROOT } from './strata-function.js';

export const CONSOLE_DIR = join(REPO_ROOT, 'console');

/** The REST API's paths, served by the API origin on the console's own domain. */
export const API_PATH_PATTERN = '/v1/*';

export interface StrataConsoleProps {
  /** The REST API: a second origin of the distribution, behind /v1/*, so the console calls it on its own origin. */
  readonly api: RestApi;
  /**
   * Origins the console fetches downloads from (the archive bucket, through presigned URLs), added
   * to the Content-Security-Policy's connect-src.
   * @default none: downloads cannot be fetched with progress
   */
  readonly downloadOrigins?: readonly string[];
  /**
   * A custom domain for the console, with its ACM certificate (us-east-1). Without one, the
   * distribution's cloudfront.net name serves it.
   */
  readonly domain?: { readonly name: string; readonly certificate: ICertificate };
  /** @default PriceClass.PRICE_CLASS_100 */
  readonly priceClass?: PriceClass;
  /**
   * Days the distribution's and the site bucket's access logs are kept.
   * @default 90
   */
  readonly accessLogExpirationDays?: number;
  /**
   * What happens to the buckets when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The console's build output, made at synth with Vite when the asset is not staged yet (its hash
 * is of the sources, so an unchanged console is not built again): `cdk synth` on a fresh clone
 * needs no earlier step. Skipped bundling (cdk-nag checks) stages the sources instead.
 */
function consoleBuild() {
  return Source.asset(CONSOLE_DIR, {
    assetHashType: AssetHashType.SOURCE,
    exclude: ['dist', 'node_modules', '*.tsbuildinfo'],
    bundling: {
      // Never used: the local build below always answers, or fails saying why.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
      local: {
        tryBundle(outputDir: string) {
          const vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
          execFileSync(process.execPath, [vite, 'build', CONSOLE_DIR, '--outDir', outputDir, '--emptyOutDir', '--logLevel', 'warn'], { stdio: 'inherit' });
          return true;
        },
      },
    },
  });
}

/**
 * Where the app routes in the browser, CloudFront must answer index.html: every path but the
 * build's files (hashed assets, and what console/public holds at the root). A viewer-request
 * function, so the API behaviour and its own 403/404 answers stay untouched.
 */
function spaFallbackCode(): string {
  const publicDir = join(CONSOLE_DIR, 'public');
  const rootFiles = existsSync(publicDir) ? readdirSync(publicDir).map((f) => `/${f}`) : [];
  return `function handler(event) {
  var request = event.request;
  var files = ${JSON.stringify(rootFiles)};
  if (request.uri.indexOf(${JSON.stringify(ASSETS_PREFIX)}) !== 0 && files.indexOf(request.uri) < 0) request.uri = '/index.html';
  return request;
}`;
}

/** CONSOLE_HEADERS as a CloudFront response headers policy: the security ones natively, the rest as custom headers. */
function securityHeaders(scope: Construct, downloadOrigins: readonly string[]): ResponseHeadersPolicy {
  const native = new Set(['content-security-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options', 'referrer-policy']);
  if (CONSOLE_HEADERS['x-frame-options'] !== 'DENY' || CONSOLE_HEADERS['referrer-policy'] !== 'no-referrer') {
    throw new Error('StrataConsole: console/headers.ts changed x-frame-options or referrer-policy; map the new value here');
  }
  return new ResponseHeadersPolicy(scope, 'SecurityHeaders', {
    comment: 'Strata console: CSP, HSTS and the other security headers of console/headers.ts',
    securityHeadersBehavior: {
      contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy(downloadOrigins), override: true },
      strictTransportSecurity: { accessControlMaxAge: Duration.seconds(HSTS_SECONDS), includeSubdomains: true, override: true },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
      referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
    },
    customHeadersBehavior: {
      customHeaders: Object.entries(CONSOLE_HEADERS)
        .filter(([name]) => !native.has(name))
        .map(([header, value]) => ({ header, value, override: true })),
    },
  });
}

/**
 * The web console on AWS: the built app in a private bucket that only this distribution reads
 * (Origin Access Control), and the REST API as the distribution's second origin behind /v1/*, so
 * the browser talks to one origin (no CORS). HTTPS only, security headers on every answer,
 * access logs for the distribution and the bucket.
 */
export class StrataConsole extends Construct {
  public readonly bucket: Bucket;
  public readonly logsBucket: Bucket;
  public readonly distribution: Distribution;
  /** https://<domain>: the console, and the API under /v1. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: StrataConsoleProps) {
    super(scope, id);
    const logDays = props.accessLogExpirationDays ?? 90;
    if (!Number.isInteger(logDays) || logDays < 1) throw new Error(`StrataConsole: accessLogExpirationDays must be a whole number of days >= 1, got ${logDays}`);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    // CloudFront standard logs are written with an ACL (awslogsdelivery): this bucket keeps ACLs, owner preferred.
    this.logsBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(logDays) }],
      removalPolicy,
    });
    Validations.of(this.logsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: "This is the console's access log bucket itself; logging its own access would log into itself without end.",
    });

    this.bucket = new Bucket(this, 'Site', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: 's3/',
      removalPolicy,
    });

    const headers = securityHeaders(this, props.downloadOrigins ?? []);
    const spaFallback = new CloudFrontFunction(this, 'SpaFallback', {
      comment: 'Strata console: app paths answer index.html',
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(spaFallbackCode()),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Strata console and REST API',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? PriceClass.PRICE_CLASS_100,
      ...(props.domain ? { domainNames: [props.domain.name], certificate: props.domain.certificate, minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021 } : {}),
      enableLogging: true,
      logBucket: this.logsBucket,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        // Pages only: nothing secret is in a request for one, so plain HTTP is redirected (and HSTS stops it next time).
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
        functionAssociations: [{ function: spaFallback, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        [API_PATH_PATTERN]: {
          origin: new RestApiOrigin(props.api),
          // Requests carry the API key: refused over plain HTTP, never redirected after the key went out.
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          // Every answer is per key and live; API Gateway must see its own Host, and the key.
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: headers,
          compress: true,
        },
      },
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: "Operators reach the console from wherever they work; every page and API call needs the tenant's API key, so no country is refused.",
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'No WAF web ACL by default, as for the REST API behind it: every API call needs an API key checked by the authorizer, and the API stage is throttled. Attach a WAFv2 ACL per deployment where managed rule sets are wanted.',
      },
      ...(props.domain
        ? []
        : [
            {
              id: 'AwsSolutions-CFR4',
              reason:
                "Without a custom domain CloudFront serves its default *.cloudfront.net certificate, whose minimum protocol it does not let a distribution raise; give the console a domain and certificate and the distribution requires TLSv1.2_2021.",
            },
          ]),
    );

    const site = consoleBuild();
    // Hashed assets never change under their name; index.html is checked on every load. Neither prunes the other.
    const assets = new BucketDeployment(this, 'DeployAssets', {
      sources: [site],
      destinationBucket: this.bucket,
      exclude: ['index.html'],
      prune: false,
      cacheControl: [CacheControl.fromString('public, max-age=31536000, immutable')],
    });
    const page = new BucketDeployment(this, 'DeployPage', {
      sources: [site],
      destinationBucket: this.bucket,
      exclude: ['*'],
      include: ['index.html'],
      prune: false,
      cacheControl: [CacheControl.noCache()],
    });
    page.node.addDependency(assets);
    this.acknowledgeDeploymentFunction(assets);

    this.url = `https://${props.domain?.name ?? this.distribution.distributionDomainName}`;
  }

  /** BucketDeployment's one function per stack, made by aws-cdk-lib: what cdk-nag finds on it, and why it is so. */
  private acknowledgeDeploymentFunction(deployment: BucketDeployment): void {
    const stack = Stack.of(this);
    const qualifier = (this.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') as string | undefined) ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    const site = stack.resolve((this.bucket.node.defaultChild as CfnBucket).logicalId) as string;
    const reads = 'It reads the console build from the CDK asset bucket only (the grant aws-cdk-lib gives it).';
    const writes = "It writes the console's files to the console bucket only (the grant aws-cdk-lib gives it).";
    Validations.of(deployment.handlerRole.node.scope!).acknowledge(
      { id: 'AwsSolutions-L1', reason: 'The BucketDeployment function is created by aws-cdk-lib, which chooses and updates its runtime.' },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "The BucketDeployment function's role, made by aws-cdk-lib: the AWS-documented minimum to write its own logs.",
      },
      { id: 'AwsSolutions-IAM5[Action::s3:GetObject*]', reason: reads },
      { id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: reads },
      { id: 'AwsSolutions-IAM5[Action::s3:List*]', reason: reads },
      { id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*]`, reason: reads },
      { id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]', reason: writes },
      { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: writes },
      { id: `AwsSolutions-IAM5[Resource::<${site}.Arn>/*]`, reason: writes },
    );
  }
}
