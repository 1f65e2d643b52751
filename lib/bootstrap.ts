import { CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { StrataData } from './data.js';
import { StrataFunction } from './strata-function.js';

export interface StrataBootstrapProps {
  /** The tables; the bootstrap writes the default tenant, the operator key's hash and the seed packs to definitions. */
  readonly data: StrataData;
  /** Environment for the bootstrap function (table names, archive bucket name). */
  readonly environment: Record<string, string>;
  /**
   * What happens to the operator key secret when it leaves the stack. Retained by default,
   * like the table that holds the key's hash.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * First-deploy bootstrap: a generated platform-operator API key in Secrets Manager, and a
 * custom resource (functions/ops/bootstrap.ts through the Provider framework) that creates the
 * default tenant, registers the key's hash and seeds the public pack registry. Its properties are
 * stable, so it runs on create and only again when the secret itself changes.
 */
export class StrataBootstrap extends Construct {
  public readonly operatorKey: Secret;
  public readonly function: StrataFunction;
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: StrataBootstrapProps) {
    super(scope, id);

    this.operatorKey = new Secret(this, 'OperatorKey', {
      description: 'Strata first platform-operator API key',
      generateSecretString: { excludePunctuation: true, passwordLength: 48 },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.operatorKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'An API key, rotated by creating a new operator key through the API; automatic rotation would lock operators out.',
    });

    this.function = new StrataFunction(this, 'Function', {
      entry: 'functions/ops/bootstrap.ts',
      description: 'Strata bootstrap: default tenant, first operator key, public pack registry',
      environment: props.environment,
      timeout: Duration.minutes(5),
    });
    this.operatorKey.grantRead(this.function);
    props.data.grant('definitions', this.function, 'readwrite');

    const fnLogicalId = Stack.of(this).resolve((this.function.node.defaultChild as CfnFunction).logicalId) as string;
    const provider = new Provider(this, 'Provider', {
      onEventHandler: this.function,
      logGroup: new LogGroup(this, 'ProviderLogs', { retention: RetentionDays.ONE_MONTH }),
    });
    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-L1',
        reason: 'The Provider framework function is created by aws-cdk-lib, which chooses and updates its runtime.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "The Provider framework function's role, made by aws-cdk-lib: the AWS-documented minimum to write its own logs.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${fnLogicalId}.Arn>:*]`,
        reason: 'The Provider framework may invoke any version or alias of the bootstrap function, and only that function.',
      },
    );

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::StrataBootstrap',
      properties: { OperatorKeySecretArn: this.operatorKey.secretArn },
    });
  }
}
