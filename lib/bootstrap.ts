import { CustomResource, Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { StrataData } from './data.js';
import type { StrataKeys } from './keys.js';
import { StrataFunction } from './strata-function.js';
import { customResourceProvider } from './custom-resource-provider.js';

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

    const provider = customResourceProvider(this, this.function, 'bootstrap');

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::StrataBootstrap',
      properties: { OperatorKeyParameter: this.operatorKeyName },
    });
  }
}
