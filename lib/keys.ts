import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { PLATFORM_SECRET_ENV } from '../adapters/secrets/platform-secret.js';
import { SECRETS_PATH_ENV } from '../adapters/secrets/secrets-store.js';
import { StrataFunction } from './strata-function.js';
import { customResourceProvider } from './custom-resource-provider.js';

/** The variables the adapters read the key material's names from. */
export { PLATFORM_SECRET_ENV, SECRETS_PATH_ENV };
export const CLUSTER_SECRETS_KEY_ENV = 'CLUSTER_SECRETS_KEY_ARN';

/** The encryption context every sealed cluster secret carries (core/pki.ts pkiSealContext). */
const SEAL_PURPOSE = 'cluster-pki';

/** Secrets Manager names the Azure client secrets had before Parameter Store. */
const LEGACY_AZURE_PREFIX = 'strata/azure/';

export interface StrataKeysProps {
  /**
   * What happens to the key and the platform secret when they leave the stack. Losing either
   * orphans every running cluster (agent tokens, CA keys), so both are kept by default.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Upgrading a stack that kept the platform secret in Secrets Manager: that secret's ARN (its
   * former PlatformSecretArn output). Its value is copied once into the parameter, so the tokens
   * and tickets of running clusters stay valid.
   * @default - none: the first deploy generates a platform secret
   */
  readonly legacyPlatformSecretArn?: string;
  /**
   * Upgrading a stack that kept Azure client secrets in Secrets Manager under strata/azure/: copy
   * each once to its tenant's parameter path, where the account's record now resolves.
   * @default false
   */
  readonly legacyAzureSecrets?: boolean;
}

/** What a function may do with one parameter, or with every parameter under a path (a name ending in `*`). */
export interface ParameterAccess {
  readonly read?: boolean;
  readonly write?: boolean;
  readonly delete?: boolean;
}

/**
 * Strata's own key material: one KMS key that envelope-encrypts every cluster's CA keys and
 * encrypts Strata's secrets, which are SSM Parameter Store standard SecureString parameters under
 * /strata/<stack>/ (free to keep). The platform secret (derives agent tokens, bootstrap tickets
 * and join tokens) is made by a custom resource, as CloudFormation cannot create a SecureString.
 * Each function is granted only the parameters it uses, and the key only for those parameters.
 */
export class StrataKeys extends Construct {
  public readonly clusterSecretsKey: Key;
  /** The stack's parameter path, /strata/<stack name>. */
  public readonly secretsPath: string;
  /** The platform secret's parameter name. */
  public readonly platformSecretName: string;
  /** The custom resource that makes the platform secret: every function that reads it deploys after it. */
  public readonly secretParameters: CustomResource;
  /** The function behind that custom resource. */
  public readonly parametersFunction: StrataFunction;

  constructor(scope: Construct, id: string, props: StrataKeysProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.clusterSecretsKey = new Key(this, 'ClusterSecretsKey', {
      description: "Strata: envelope encryption of every cluster's CA and service-account keys, and of Strata's SecureString parameters",
      enableKeyRotation: true,
      removalPolicy,
    });
    this.secretsPath = `/strata/${Stack.of(this).stackName}`;
    this.platformSecretName = `${this.secretsPath}/platform-secret`;

    const deleteOnRemoval = removalPolicy === RemovalPolicy.DESTROY;
    const fn = new StrataFunction(this, 'ParametersFunction', {
      entry: 'functions/ops/secret-parameters.ts',
      description: 'Strata: makes the platform secret (a SecureString parameter) on the first deploy',
      timeout: Duration.minutes(5),
    });
    this.parametersFunction = fn;
    this.grantParameter(fn, this.platformSecretName, { write: true, delete: deleteOnRemoval });
    if (props.legacyPlatformSecretArn) {
      fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.legacyPlatformSecretArn] }));
    }
    if (props.legacyAzureSecrets) this.grantLegacyAzureCopy(fn);

    const provider = customResourceProvider(this, fn, 'secret-parameters');
    this.secretParameters = new CustomResource(this, 'SecretParameters', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::StrataSecretParameters',
      properties: {
        PlatformSecret: this.platformSecretName,
        SecretsPath: this.secretsPath,
        ...(props.legacyPlatformSecretArn ? { LegacyPlatformSecretArn: props.legacyPlatformSecretArn } : {}),
        ...(props.legacyAzureSecrets ? { LegacyAzureSecrets: 'true' } : {}),
        ...(deleteOnRemoval ? { DeleteOnRemoval: 'true' } : {}),
      },
    });
  }

  /** Read the platform secret (its name in PLATFORM_SECRET_PARAMETER); the function deploys after the secret exists. */
  public grantPlatformSecret(fn: StrataFunction): void {
    this.grantParameter(fn, this.platformSecretName, { read: true });
    fn.addEnvironment(PLATFORM_SECRET_ENV, this.platformSecretName);
    fn.node.addDependency(this.secretParameters);
  }

  /**
   * The tenants' cloud account credentials, under <path>/tenants/ (each tenant's own path is
   * checked in code): read them, or with `manage` also store and delete them.
   */
  public grantCloudAccountSecrets(fn: StrataFunction, manage = false): void {
    const tenants = `${this.secretsPath}/tenants/*`;
    this.grantParameter(fn, tenants, { read: true, write: manage, delete: manage });
    fn.addEnvironment(SECRETS_PATH_ENV, this.secretsPath);
    Validations.of(fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter${tenants}]`,
      reason:
        "Cloud account credentials are stored at run time per tenant and account under <path>/tenants/<tenant>/cloudaccounts/; the wildcard covers that path of this stack only, the key only for parameters there, and the code reads only the acting tenant's own path.",
    });
  }

  /**
   * Use one parameter (or every parameter under a path, `name` ending in `*`): ssm actions on its
   * ARN, and the key only through Parameter Store for that parameter: kms:Decrypt to read,
   * kms:Encrypt to write (standard parameters are encrypted directly, with no data key).
   */
  public grantParameter(fn: StrataFunction, name: string, access: ParameterAccess): void {
    const stack = Stack.of(this);
    const arn = stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.slice(1) });
    const ssmActions = [...(access.read ? ['ssm:GetParameter'] : []), ...(access.write ? ['ssm:PutParameter'] : []), ...(access.delete ? ['ssm:DeleteParameter'] : [])];
    fn.addToRolePolicy(new PolicyStatement({ actions: ssmActions, resources: [arn] }));
    const kmsActions = [...(access.read ? ['kms:Decrypt'] : []), ...(access.write ? ['kms:Encrypt'] : [])];
    if (kmsActions.length === 0) return;
    const viaSsm = { 'kms:ViaService': `ssm.${stack.region}.${stack.urlSuffix}` };
    const context = { 'kms:EncryptionContext:PARAMETER_ARN': arn };
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: kmsActions,
        resources: [this.clusterSecretsKey.keyArn],
        conditions: name.endsWith('*') ? { StringEquals: viaSsm, StringLike: context } : { StringEquals: { ...viaSsm, ...context } },
      }),
    );
    // Writes name the key; reads find it in the parameter.
    if (access.write) fn.addEnvironment(CLUSTER_SECRETS_KEY_ENV, this.clusterSecretsKey.keyArn);
  }

  /** Seal cluster secrets: data keys from the key, for that purpose only. */
  public grantSeal(fn: StrataFunction): void {
    this.grantKey(fn, 'kms:GenerateDataKey');
  }

  /** Open sealed cluster secrets, for that purpose only. */
  public grantOpen(fn: StrataFunction): void {
    this.grantKey(fn, 'kms:Decrypt');
  }

  private grantKey(fn: StrataFunction, action: string): void {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: [action],
        resources: [this.clusterSecretsKey.keyArn],
        conditions: { StringEquals: { 'kms:EncryptionContext:purpose': SEAL_PURPOSE } },
      }),
    );
    fn.addEnvironment(CLUSTER_SECRETS_KEY_ENV, this.clusterSecretsKey.keyArn);
  }

  /** Upgrading: list the old Azure secrets, read them, and write them to the tenants' paths. */
  private grantLegacyAzureCopy(fn: StrataFunction): void {
    const stack = Stack.of(this);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${LEGACY_AZURE_PREFIX}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    const tenants = `${this.secretsPath}/tenants/*`;
    this.grantParameter(fn, tenants, { write: true });
    Validations.of(fn).acknowledge(
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'secretsmanager:ListSecrets has no resource-level permission; it lists names and metadata, never values.' },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${LEGACY_AZURE_PREFIX}*]`,
        reason: 'Only for an upgrade that asks for it: reads the Azure client secrets the previous version kept under strata/azure/ (and the suffix Secrets Manager appends), nothing else.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter${tenants}]`,
        reason: "Only for an upgrade that asks for it: writes each copied secret to its tenant's path under <path>/tenants/, this stack's only.",
      },
    );
  }
}
