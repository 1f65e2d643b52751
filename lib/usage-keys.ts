import { Stack } from 'aws-cdk-lib';
import type { IUsagePlan } from 'aws-cdk-lib/aws-apigateway';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { StrataFunction } from './strata-function.js';

/**
 * What putting tenants' usage keys in the plan takes (adapters/apigateway/usage-keys.ts): make an
 * API key, find an existing one by name, add a key to this plan and no other. The statements are a
 * policy of their own, not the function's default policy: a function waits for its default policy,
 * and the API's tenants handler cannot wait for the plan (the plan waits for the stage, the stage
 * for the deployment, the deployment for the handler's methods).
 */
export function grantTenantUsageKeys(scope: Construct, id: string, fn: StrataFunction, plan: IUsagePlan): Policy {
  const stack = Stack.of(scope);
  const apiKeys = stack.formatArn({ service: 'apigateway', account: '', resource: '/apikeys' });
  const planKeys = stack.formatArn({ service: 'apigateway', account: '', resource: `/usageplans/${plan.usagePlanId}/keys` });
  return new Policy(scope, id, {
    roles: [fn.role!],
    statements: [
      new PolicyStatement({ actions: ['apigateway:POST'], resources: [apiKeys, planKeys] }),
      new PolicyStatement({ actions: ['apigateway:GET'], resources: [apiKeys] }),
    ],
  });
}
