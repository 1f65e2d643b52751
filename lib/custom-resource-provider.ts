import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import type { StrataFunction } from './strata-function.js';

/**
 * The custom-resource Provider framework around one of Strata's functions (named `what` in the
 * acknowledgements), with its logs kept a month and cdk-nag's findings on the framework's own
 * function answered: each is true of what aws-cdk-lib makes.
 */
export function customResourceProvider(scope: Construct, fn: StrataFunction, what: string): Provider {
  const fnLogicalId = Stack.of(scope).resolve((fn.node.defaultChild as CfnFunction).logicalId) as string;
  const provider = new Provider(scope, 'Provider', {
    onEventHandler: fn,
    logGroup: new LogGroup(scope, 'ProviderLogs', { retention: RetentionDays.ONE_MONTH }),
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
      reason: `The Provider framework may invoke any version or alias of the ${what} function, and only that function.`,
    },
  );
  return provider;
}
