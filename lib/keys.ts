import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { StrataFunction } from './strata-function.js';

/** The variables the adapters read the key material's names from. */
export const PLATFORM_SECRET_ENV = 'PLATFORM_SECRET_ARN';
export const CLUSTER_SECRETS_KEY_ENV = 'CLUSTER_SECRETS_KEY_ARN';

/** The encryption context every sealed cluster secret carries (core/pki.ts pkiSealContext). */
const SEAL_PURPOSE = 'cluster-pki';

export interface StrataKeysProps {
  /**
   * What happens to the secret and the key when they leave the stack. Losing either orphans every
   * running cluster (agent tokens, CA keys), so both are kept by default.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Strata's own key material: the platform secret (derives agent tokens, bootstrap tickets and join
 * tokens) and one KMS key that envelope-encrypts every cluster's CA keys. Each function is granted
 * only the use it makes of them.
 */
export class StrataKeys extends Construct {
  public readonly platformSecret: Secret;
  public readonly clusterSecretsKey: Key;

  constructor(scope: Construct, id: string, props: StrataKeysProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.platformSecret = new Secret(this, 'PlatformSecret', {
      description: 'derives cluster agent tokens, node bootstrap tickets and kubeadm join tokens',
      generateSecretString: { excludePunctuation: true, passwordLength: 64 },
      removalPolicy,
    });
    Validations.of(this.platformSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: "Rotating it would invalidate every running cluster agent's token at once; tokens are rotated per cluster instead (POST /v1/clusters/{id}/agent-token/rotate).",
    });
    this.clusterSecretsKey = new Key(this, 'ClusterSecretsKey', {
      description: "Strata: envelope encryption of every cluster's CA and service-account keys",
      enableKeyRotation: true,
      removalPolicy,
    });
  }

  /** Read the platform secret (its ARN in PLATFORM_SECRET_ARN). */
  public grantPlatformSecret(fn: StrataFunction): void {
    this.platformSecret.grantRead(fn);
    fn.addEnvironment(PLATFORM_SECRET_ENV, this.platformSecret.secretArn);
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
}
