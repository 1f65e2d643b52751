import { CustomResource, Duration } from 'aws-cdk-lib';
import type { IUsagePlan } from 'aws-cdk-lib/aws-apigateway';
import { DATA_MIGRATIONS } from '../adapters/dynamodb/migrations.js';
import { Construct } from 'constructs';
import type { StrataData } from './data.js';
import type { StrataKeys } from './keys.js';
import { StrataFunction } from './strata-function.js';
import { customResourceProvider } from './custom-resource-provider.js';
import { grantTenantUsageKeys } from './usage-keys.js';
import { USAGE_PLAN_ID_ENV } from '../adapters/apigateway/usage-plan.js';

export interface StrataBootstrapProps {
  /** The tables; the bootstrap writes the default tenant, the operator key's hash and the seed packs to definitions. */
  readonly data: StrataData;
  /** Environment for the bootstrap function (table names, archive bucket name). */
  readonly environment: Record<string, string>;
  /** The key and the parameter path the operator key is kept under (a SecureString parameter, never deleted by the stack, like the table that holds its hash). */
  readonly keys: StrataKeys;
  /**
   * The API's tenant usage plan (StrataApi.tenantUsagePlan): every tenant gets its usage key in it,
   * without which API Gateway answers 403 on the methods that require one. Without a plan no usage
   * keys are made.
   */
  readonly usagePlan?: IUsagePlan;
}

/**
 * First-deploy bootstrap: a custom resource (functions/ops/bootstrap.ts through the Provider
 * framework) that generates the platform-operator API key into a SecureString parameter
 * (<path>/operator-key) unless one is there, creates the default tenant, registers the key's hash
 * seeds the public pack registry and puts every tenant's usage key in the API's usage plan. Its
 * properties are stable, so it runs on create and only again when the parameter's name, the plan
 * or the list of data migrations changes (a stack deployed before the plan existed runs it once
 * more, for its tenants; one deployed before projects, to move each tenant's resources into its
 * default project).
 *
 * It runs after the plan, so after the API stage the plan names: the stage cannot wait for it. On
 * an update that first makes the API require usage keys, tenants made before get 403 from the
 * stage's update until this resource has made their keys.
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
      description: 'Strata bootstrap: default tenant, first operator key, public pack registry, tenant usage keys',
      environment: props.usagePlan ? { ...props.environment, [USAGE_PLAN_ID_ENV]: props.usagePlan.usagePlanId } : props.environment,
      timeout: Duration.minutes(5),
    });
    props.keys.grantParameter(this.function, this.operatorKeyName, { read: true, write: true });
    props.data.grant('definitions', this.function, 'readwrite');

    const provider = customResourceProvider(this, this.function, 'bootstrap');

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::StrataBootstrap',
      properties: {
        OperatorKeyParameter: this.operatorKeyName,
        DataMigrations: DATA_MIGRATIONS.join(','),
        ...(props.usagePlan ? { UsagePlanId: props.usagePlan.usagePlanId } : {}),
      },
    });
    if (props.usagePlan) {
      // Its own policy (lib/usage-keys.ts), which the function does not wait for: the resource does.
      this.resource.node.addDependency(grantTenantUsageKeys(this, 'UsageKeysPolicy', this.function, props.usagePlan));
    }
  }
}
