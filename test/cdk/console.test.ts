import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_HEADERS, CONTENT_SECURITY_POLICY } from '../../console/headers.js';
import { API_PATH_PATTERN, StrataConsole } from '../../lib/console.js';
import { StrataStack } from '../../lib/strata-stack.js';

type Resource = { Type: string; Properties: Record<string, any> };

/** AWS managed policies, by their fixed ids. */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

// The whole stack, bundling skipped (the construct tree is what is checked): seconds, not minutes.
const fastApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

let stack: StrataStack;
let template: Template;
let resources: Record<string, Resource>;
const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

beforeAll(() => {
  stack = new StrataStack(fastApp(), 'StrataConsoleTest');
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
}, 120_000);

const distribution = () => resources[logicalId(stack.console.distribution)]!.Properties.DistributionConfig;

describe('the console distribution', () => {
  it('serves the site bucket through Origin Access Control, by default, on HTTPS', () => {
    const config = distribution();
    const s3Origin = config.Origins.find((o: any) => o.S3OriginConfig);
    expect(s3Origin).toMatchObject({
      DomainName: { 'Fn::GetAtt': [logicalId(stack.console.bucket), 'RegionalDomainName'] },
      OriginAccessControlId: { 'Fn::GetAtt': [expect.any(String), 'Id'] },
      S3OriginConfig: { OriginAccessIdentity: '' },
    });
    const [[oacId, oac]] = ofType('AWS::CloudFront::OriginAccessControl') as [[string, Resource]];
    expect(s3Origin.OriginAccessControlId['Fn::GetAtt'][0]).toBe(oacId);
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    expect(config.DefaultCacheBehavior).toMatchObject({
      TargetOriginId: s3Origin.Id,
      ViewerProtocolPolicy: 'redirect-to-https',
      CachePolicyId: CACHING_OPTIMIZED,
      Compress: true,
    });
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.Logging).toMatchObject({ Bucket: { 'Fn::GetAtt': [logicalId(stack.console.logsBucket), 'RegionalDomainName'] }, Prefix: 'cloudfront/' });
  });

  it('sends /v1/* to the REST API stage, HTTPS only end to end, uncached, with every viewer header but Host', () => {
    const config = distribution();
    const api = config.Origins.find((o: any) => o.CustomOriginConfig);
    // The stage's path (/prod), from the API's URL.
    expect(JSON.stringify(api.OriginPath)).toContain(logicalId(stack.api.api.deploymentStage));
    expect(JSON.stringify(api.DomainName)).toContain(logicalId(stack.api.api));
    expect(api.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    expect(config.CacheBehaviors).toEqual([
      expect.objectContaining({
        PathPattern: API_PATH_PATTERN,
        TargetOriginId: api.Id,
        ViewerProtocolPolicy: 'https-only',
        AllowedMethods: expect.arrayContaining(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']),
        CachePolicyId: CACHING_DISABLED,
        OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      }),
    ]);
    expect(API_PATH_PATTERN).toBe('/v1/*');
  });

  it('adds the security headers of console/headers.ts to every answer, pages and API alike', () => {
    const [[policyId, policy]] = ofType('AWS::CloudFront::ResponseHeadersPolicy') as [[string, Resource]];
    const config = policy.Properties.ResponseHeadersPolicyConfig;
    expect(config.SecurityHeadersConfig).toMatchObject({
      // connect-src names the archive bucket's own origin: downloads come from presigned URLs there.
      ContentSecurityPolicy: {
        ContentSecurityPolicy: { 'Fn::Join': ['', [CONTENT_SECURITY_POLICY.replace("connect-src 'self'", "connect-src 'self' https://").split('https://')[0] + 'https://', { 'Fn::GetAtt': [expect.stringMatching(/^ArchivesBucket/), 'RegionalDomainName'] }, CONTENT_SECURITY_POLICY.split("connect-src 'self'")[1]]] },
        Override: true,
      },
      StrictTransportSecurity: { AccessControlMaxAgeSec: 63_072_000, IncludeSubdomains: true, Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
    });
    const custom = Object.fromEntries(config.CustomHeadersConfig.Items.map((i: any) => [i.Header, i.Value]));
    for (const [name, value] of Object.entries(CONSOLE_HEADERS)) {
      const native = ['content-security-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options', 'referrer-policy'].includes(name);
      if (!native) expect(custom[name], name).toBe(value);
    }
    const behaviors = [distribution().DefaultCacheBehavior, ...distribution().CacheBehaviors];
    for (const b of behaviors) expect(b.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
  });

  it('answers index.html for app paths and the files themselves for assets, in a viewer-request function', () => {
    const [[fnId, fn]] = ofType('AWS::CloudFront::Function') as [[string, Resource]];
    expect(distribution().DefaultCacheBehavior.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [fnId, 'FunctionARN'] } }]);
    expect(distribution().CacheBehaviors[0].FunctionAssociations).toBeUndefined();
    const handler = new Function(`${fn.Properties.FunctionCode}; return handler;`)() as (e: unknown) => { uri: string };
    const uri = (path: string) => handler({ request: { uri: path } }).uri;
    expect(uri('/')).toBe('/index.html');
    expect(uri('/clusters/cl-1')).toBe('/index.html');
    expect(uri('/clusters/cl-1/nodes/ip-10-0-1-7.ec2.internal')).toBe('/index.html');
    expect(uri('/assets/index-3bX9.js')).toBe('/assets/index-3bX9.js');
    expect(uri('/favicon.svg')).toBe('/favicon.svg');
  });
});

describe('the console buckets', () => {
  it('keeps the site bucket private: public access blocked, TLS only, read by this distribution alone', () => {
    const bucket = resources[logicalId(stack.console.bucket)]!.Properties;
    expect(bucket).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(stack.console.logsBucket) }, LogFilePrefix: 's3/' },
    });
    expect(bucket.WebsiteConfiguration).toBeUndefined();
    const policy = ofType('AWS::S3::BucketPolicy').find(([, r]) => JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: logicalId(stack.console.bucket) }))![1];
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Action: 's3:GetObject',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
      }),
    ]);
    expect(JSON.stringify(allows[0].Condition)).toContain(logicalId(stack.console.distribution));
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('keeps the log bucket private too, its logs expiring', () => {
    expect(resources[logicalId(stack.console.logsBucket)]!.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 90, Status: 'Enabled' })] },
    });
  });

  it('deploys the build to the site bucket: hashed assets cached for good, index.html revalidated', () => {
    const deployments = ofType('Custom::CDKBucketDeployment').map(([, r]) => r.Properties);
    expect(deployments).toHaveLength(2);
    for (const d of deployments) {
      expect(d.DestinationBucketName).toEqual({ Ref: logicalId(stack.console.bucket) });
      expect(d.Prune).toBe(false);
    }
    expect(deployments.map((d) => d.SystemMetadata['cache-control']).sort()).toEqual(['no-cache', 'public, max-age=31536000, immutable']);
  });

  it('exports the console URL', () => {
    template.hasOutput('ConsoleUrl', { Value: Match.objectLike({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(stack.console.distribution), 'DomainName'] }]] }) });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('has zero unacknowledged findings, errors or warnings, console included', () => {
    const nagStack = new StrataStack(fastApp(), 'StrataConsoleNag');
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(nagStack);
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });
});

describe('synth', () => {
  it('builds the console with Vite when the stack is synthesized: a fresh clone needs no earlier step', () => {
    // A fresh output directory: nothing staged before, so the build really runs.
    const outdir = mkdtempSync(join(tmpdir(), 'strata-console-synth-'));
    const app = new App({ outdir });
    const small = new Stack(app, 'ConsoleOnly');
    const api = new RestApi(small, 'Api');
    api.root.addResource('v1').addMethod('GET', new MockIntegration());
    new StrataConsole(small, 'Console', { api });
    const assembly = app.synth();
    const staged = readdirSync(assembly.directory).filter((d) => d.startsWith('asset.') && existsSync(join(assembly.directory, d, 'index.html')));
    expect(staged).toHaveLength(1);
    const assets = readdirSync(join(assembly.directory, staged[0]!, 'assets'));
    expect(assets.some((f) => f.endsWith('.js'))).toBe(true);
    expect(assets.some((f) => f.endsWith('.css'))).toBe(true);
    // The build output only: no sources, no dependencies.
    expect(existsSync(join(assembly.directory, staged[0]!, 'src'))).toBe(false);
    rmSync(outdir, { recursive: true, force: true });
  }, 120_000);
});
