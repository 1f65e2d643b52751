import { App, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TENANT_RATE_LIMITS } from '../../core/rate-limits.js';
import { ROUTES } from '../../functions/api/routes.js';
import { StrataFunction } from '../../lib/strata-function.js';
import { StrataStack } from '../../lib/strata-stack.js';

let stack: StrataStack;
let template: Template;

beforeAll(() => {
  // The construct tree is what is checked: bundling skipped.
  stack = new StrataStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'StrataRateLimits');
  template = Template.fromStack(stack);
}, 300_000);

const ref = (construct: { node: { defaultChild?: unknown } }) => ({ Ref: stack.getLogicalId(construct.node.defaultChild as CfnElement) });

describe('per-tenant rate limits', () => {
  it("takes the usage plan's key from the authorizer, not from a header clients could set", () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
  });

  it("has one usage plan on the API's stage with the plan's rate and burst", () => {
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: TENANT_RATE_LIMITS.ratePerSecond, BurstLimit: TENANT_RATE_LIMITS.burst },
      ApiStages: [{ ApiId: ref(stack.api.api), Stage: ref(stack.api.api.deploymentStage) }],
    });
  });

  it('keeps the tenant limits inside the stage throttle, and answers a throttled request with 429 and Retry-After', () => {
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]!.Properties as { MethodSettings: { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }[] };
    const all = stage.MethodSettings[0]!;
    expect(TENANT_RATE_LIMITS.ratePerSecond).toBeLessThanOrEqual(all.ThrottlingRateLimit);
    expect(TENANT_RATE_LIMITS.burst).toBeLessThanOrEqual(all.ThrottlingBurstLimit);
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      StatusCode: '429',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Retry-After': "'1'" }),
    });
  });
});


type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string | string[] };
const resources = () => template.toJSON().Resources as Record<string, Resource>;
const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
/** The apigateway statements of every policy attached to this function's role. */
const apigatewayStatements = (fn: StrataFunction): Statement[] =>
  Object.values(resources())
    .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify(ref(fn.role!))))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((st) => [st.Action].flat().some((a) => a.startsWith('apigateway:')));
/** arn:<partition>:apigateway:<region>::<path>, as the template joins it. */
const apigatewayArn = (path: string, ...rest: unknown[]) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, `::${path}`, ...rest]] });
const envOf = (fn: StrataFunction) => (resources()[logicalId(fn)]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

describe('tenant usage keys', () => {
  it('requires the usage key on every route behind the authorizer, and not on the public ones', () => {
    const methods = stack.api.api.methods.filter((m) => m.httpMethod !== 'OPTIONS');
    expect(methods).toHaveLength(ROUTES.length);
    for (const route of ROUTES) {
      const method = methods.find((m) => m.httpMethod === route.method && m.resource.path === route.path);
      expect(method, `${route.method} ${route.path}`).toBeDefined();
      const props = resources()[logicalId(method!)]!.Properties;
      expect({ route: `${route.method} ${route.path}`, apiKeyRequired: props.ApiKeyRequired === true }).toEqual({ route: `${route.method} ${route.path}`, apiKeyRequired: !route.public });
    }
    // Before sign-in there is no tenant to count against: the stage's throttle covers these.
    expect(ROUTES.filter((r) => r.public).map((r) => r.path).sort()).toEqual(['/healthz', '/v1/openapi.json', '/v1/signin/{tenant}', '/v1/signin/{tenant}/token']);
  });

  it('lets the tenants handler and the bootstrap make API keys, find them, and add them to the tenant plan only; no other function', () => {
    const expected = [
      { Effect: 'Allow', Action: 'apigateway:POST', Resource: [apigatewayArn('/apikeys'), apigatewayArn('/usageplans/', ref(stack.api.tenantUsagePlan), '/keys')] },
      { Effect: 'Allow', Action: 'apigateway:GET', Resource: apigatewayArn('/apikeys') },
    ];
    const tenants = stack.api.handlers.get('tenants')!;
    expect(apigatewayStatements(tenants)).toEqual(expected);
    expect(apigatewayStatements(stack.bootstrap.function)).toEqual(expected);
    const others = stack.node.findAll().filter((c): c is StrataFunction => c instanceof StrataFunction && c !== tenants && c !== stack.bootstrap.function);
    expect(others.length).toBeGreaterThan(10);
    for (const fn of others) expect(apigatewayStatements(fn), fn.node.path).toEqual([]);
  });

  it("gives the bootstrap the plan's id, and the tenants handler a parameter holding it that it may read", () => {
    expect(envOf(stack.bootstrap.function).USAGE_PLAN_ID).toEqual(ref(stack.api.tenantUsagePlan));
    const tenants = stack.api.handlers.get('tenants')!;
    const name = '/strata/StrataRateLimits/usage-plan-id';
    expect(envOf(tenants)).toMatchObject({ USAGE_PLAN_ID_PARAMETER: name });
    expect(envOf(tenants).USAGE_PLAN_ID).toBeUndefined();
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: name, Type: 'String', Value: ref(stack.api.tenantUsagePlan) });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(tenants.role!)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: 'ssm:GetParameter',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:parameter${name}`]] },
          },
        ]),
      },
    });
  });

  it('runs the bootstrap again when the plan changes, once it may add keys, and after the plan exists', () => {
    const bootstrap = resources()[logicalId(stack.bootstrap.resource)]!;
    expect(bootstrap.Properties.UsagePlanId).toEqual(ref(stack.api.tenantUsagePlan));
    const policy = stack.bootstrap.node.findChild('UsageKeysPolicy');
    expect([bootstrap.DependsOn ?? []].flat()).toContain(logicalId(policy));
    // The stage cannot wait for the bootstrap: the plan names the stage, so the stage comes first.
    const plan = resources()[logicalId(stack.api.tenantUsagePlan)]!;
    expect(JSON.stringify(plan)).toContain(logicalId(stack.api.api.deploymentStage));
  });
});
