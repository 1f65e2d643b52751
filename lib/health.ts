import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { workflowArnEnv } from '../adapters/workflows/workflows.js';
import { SUPERSEDED_WORKFLOWS } from '../functions/workflows/registry.js';
import { stateMachineName, type WorkflowId } from './workflows.js';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { StrataData } from './data.js';
import { StrataFunction } from './strata-function.js';
import { SWEEP_SCHEDULE } from '../functions/health/schedule.js';

/** The variable a score requester reads the score-health function's name from (adapters/lambda/health-trigger.ts). */
export const HEALTH_FUNCTION_ENV = 'HEALTH_FUNCTION_NAME';
/** The variable the sweep's rule name is read from (adapters/events/sweep-rule.ts). */
export const SWEEP_RULE_ENV = 'SWEEP_RULE_NAME';


export interface StrataHealthProps {
  /** The tables: scoring reads definitions and telemetry, and writes conditions and events; the sweep also clears telemetry deadline entries. */
  readonly data: StrataData;
}

/**
 * Cluster health scoring: the score-health function, invoked asynchronously (Lambda Invoke,
 * InvocationType Event) by whoever a report changed a health input for, and the sweep, run every
 * minute by an EventBridge rule, that scores the clusters whose heartbeat deadline has passed.
 * Neither retries for long: a missed score is recomputed on the next report or the next sweep.
 */
export class StrataHealth extends Construct {
  public readonly scoreFunction: StrataFunction;
  public readonly sweepFunction: StrataFunction;
  public readonly sweepRule: Rule;

  private readonly data: StrataData;
  private readonly sweepRuleName: string;

  constructor(scope: Construct, id: string, props: StrataHealthProps) {
    super(scope, id);
    const { data } = props;
    this.data = data;
    this.sweepRuleName = `${Stack.of(this).stackName}-health-sweep`.slice(0, 64);

    this.scoreFunction = new StrataFunction(this, 'ScoreFunction', {
      entry: 'functions/health/score-health.ts',
      description: 'Strata health: score one cluster (invoked asynchronously by the heartbeat)',
      environment: data.environment,
      memorySize: 256,
      timeout: Duration.seconds(30),
    });
    data.grant('definitions', this.scoreFunction, 'read');
    data.grant('conditions', this.scoreFunction, 'readwrite');
    data.grant('events', this.scoreFunction, 'readwrite');
    data.grant('telemetry', this.scoreFunction, 'read');
    // One retry, and never an event older than five minutes: a stale health score is worthless,
    // and the next report or sweep recomputes it anyway.
    this.scoreFunction.configureAsyncInvoke({ retryAttempts: 1, maxEventAge: Duration.minutes(5) });

    this.sweepFunction = new StrataFunction(this, 'SweepFunction', {
      entry: 'functions/health/sweep.ts',
      description: 'Strata health: score the clusters whose heartbeat deadline has passed (every minute)',
      environment: data.environment,
      // Mostly an empty read of the index, once a minute: the idle platform pays for it.
      memorySize: 256,
      // It waits up to 45 s for deadlines just ahead (core/health.ts lookaheadMs), then scores.
      timeout: Duration.seconds(110),
    });
    data.grant('definitions', this.sweepFunction, 'read');
    data.grant('conditions', this.sweepFunction, 'readwrite');
    data.grant('events', this.sweepFunction, 'readwrite');
    data.grant('telemetry', this.sweepFunction, 'readwrite');
    // With no cluster reporting it turns its own schedule off (and back on if one just began).
    this.grantSweepSwitch(this.sweepFunction, ['events:DisableRule', 'events:EnableRule']);
    // EventBridge invokes asynchronously, so Lambda's own async retries (2 by default) would
    // apply too: none, and nothing queued past a minute, since the next sweep supersedes it.
    this.sweepFunction.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });

    this.sweepRule = new Rule(this, 'SweepSchedule', {
      description: 'Strata health sweep: score clusters whose heartbeat deadline has passed',
      // A fixed name: the sweep and the heartbeat switch it (functions/health/sweep.ts), and a
      // reference to it from the function it targets would make a cycle.
      ruleName: this.sweepRuleName,
      schedule: Schedule.expression(SWEEP_SCHEDULE),
      // The next run is a minute away: retrying a failed one would only overlap it.
      targets: [new LambdaFunction(this.sweepFunction, { retryAttempts: 0 })],
    });
  }

  /**
   * Node repair happens where scoring does: the score and sweep functions mark nodes for repair
   * (definitions), start the reconcile workflow for the new generation, and stop the execution it
   * supersedes.
   */
  public grantRepairs(): void {
    const stack = Stack.of(this);
    // By the fixed names: a reference would make a cycle (tasks use the agent API, whose heartbeat invokes scoring).
    const arn = (workflow: WorkflowId, resource: 'stateMachine' | 'execution') =>
      stack.formatArn({ service: 'states', resource, resourceName: resource === 'execution' ? `${stateMachineName(stack, workflow)}:*` : stateMachineName(stack, workflow), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    for (const fn of [this.scoreFunction, this.sweepFunction]) {
      this.data.grant('definitions', fn, 'readwrite');
      fn.addToRolePolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [arn('reconcile', 'stateMachine')] }));
      for (const workflow of SUPERSEDED_WORKFLOWS) {
        fn.addEnvironment(workflowArnEnv(workflow), arn(workflow, 'stateMachine'));
        fn.addToRolePolicy(new PolicyStatement({ actions: ['states:StopExecution'], resources: [arn(workflow, 'execution')] }));
        Validations.of(fn).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${stateMachineName(stack, workflow)}:*]`,
          reason: `Node repair supersedes the cluster's running ${workflow} execution (names are per cluster and generation), of that state machine only.`,
        });
      }
    }
  }

  /**
   * Let `fn` request health scores and turn the sweep on: it gets the score-health function's name in
   * HEALTH_FUNCTION_NAME, and lambda:InvokeFunction on that function (and its versions and
   * aliases) only; the sweep rule's name in SWEEP_RULE_NAME, and events:EnableRule on it.
   */
  public grantScoreRequests(fn: StrataFunction): void {
    // A heartbeat that puts a cluster back into the deadline index turns the sweep on.
    this.grantSweepSwitch(fn, ['events:EnableRule']);
    fn.addEnvironment(HEALTH_FUNCTION_ENV, this.scoreFunction.functionName);
    this.scoreFunction.grantInvoke(fn);
    const scoreId = Stack.of(this).resolve((this.scoreFunction.node.defaultChild as CfnFunction).logicalId) as string;
    Validations.of(fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${scoreId}.Arn>:*]`,
      reason: 'Invoking the score-health function by any of its versions or aliases; that one function only.',
    });
  }

  private grantSweepSwitch(fn: StrataFunction, actions: string[]): void {
    fn.addEnvironment(SWEEP_RULE_ENV, this.sweepRuleName);
    fn.addToRolePolicy(new PolicyStatement({ actions, resources: [Stack.of(this).formatArn({ service: 'events', resource: 'rule', resourceName: this.sweepRuleName })] }));
  }
}
