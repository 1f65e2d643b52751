import { CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { StrataData } from './data.js';
import type { StrataKeys } from './keys.js';
import { StrataFunction } from './strata-function.js';

export interface StrataBootstrapProps {
  /** The tables; the bootstrap writes the default tenant, the operator key's hash and the seed packs to definitions. */
  readonly data: StrataData;
  /** Environment for the bootstrap function (table names, archive bucket name). */
  readonly environment: Record<string, string>;
  /** The key and the parameter path the operator key is kept under (a SecureString parameter, never deleted by the stack, like the table that holds its hash). */
  readonly keys: StrataKeys;
}

/**
 * First-deploy bootstrap: a custom resource (functions/ops/bootstrap.ts through the Provider
 * framework) that generates the platform-operator API key into a SecureString parameter
 * (<path>/operator-key) unless one is there, creates the default tenant, registers the key's hash
 * and seeds the public pack registry. Its properties are stable, so it runs on create and only
 * again when the parameter's name changes.
 */
export class StrataBootstrap extends Construct {
  /** The operator key's parameter name. */
  public readonly operatorKeyName: string;
  public readonly function: StrataFunction;
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: StrataBootstrapProps) {
    super(scope, id);

    this.operatorKeyName = `${props.keys.secretsPath}/operator-key`;
    this.function = new StrataFunction(this, 'Function', {
      entry: 'functions/ops/bootstrap.ts',
      description: 'Strata bootstrap: default tenant, first operator key, public pack registry',
      environment: props.environment,
      timeout: Duration.minutes(5),
    });
    props.keys.grantParameter(this.function, this.operatorKeyName, { read: true, write: true });
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
      properties: { OperatorKeyParameter: this.operatorKeyName },
    });
  }
}
