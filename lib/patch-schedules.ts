import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { workflowArnEnv } from '../adapters/workflows/workflows.js';
import { stateMachineName } from './workflows.js';

/**
 * Where clusters' patch schedules live: one EventBridge Scheduler schedule group, and the role
 * Scheduler assumes to start the patch-os state machine (that one only). The schedules themselves
 * are made at run time, one per cluster (adapters/scheduler/patch-schedules.ts).
 */
export class StrataPatchSchedules extends Construct {
  readonly groupName: string;
  readonly role: Role;
  private readonly patchMachineArn: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.groupName = `${stack.stackName}-patch`.slice(0, 64);
    new CfnScheduleGroup(this, 'Group', { name: this.groupName });
    // By the fixed name: the state machine's tasks need this construct's environment first.
    this.patchMachineArn = stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName(stack, 'patch'), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.role = new Role(this, 'SchedulerRole', {
      description: 'EventBridge Scheduler starts patch-os executions for clusters\' patch schedules',
      // Only this account's schedules may use it (the confused-deputy guard Scheduler documents).
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
    });
    this.role.addToPolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [this.patchMachineArn] }));
  }

  /** The variables adapters/scheduler/patch-schedules.ts reads. */
  get environment(): Record<string, string> {
    return { PATCH_SCHEDULE_GROUP: this.groupName, PATCH_SCHEDULER_ROLE_ARN: this.role.roleArn, [workflowArnEnv('patch')]: this.patchMachineArn };
  }

  private schedulesArn(): string {
    return Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.groupName}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  }

  /** Create, replace, read and delete the group's schedules, passing Scheduler its role. */
  grantManage(fn: LambdaFunction): void {
    this.grant(fn, ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:GetSchedule', 'scheduler:DeleteSchedule'], 'make, change and delete clusters\' patch schedules');
    fn.addToRolePolicy(new PolicyStatement({ actions: ['iam:PassRole'], resources: [this.role.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } }));
  }

  /** Delete the group's schedules only (a deleted cluster's). */
  grantDelete(fn: LambdaFunction): void {
    this.grant(fn, ['scheduler:DeleteSchedule'], 'delete a deleted cluster\'s patch schedule');
  }

  private grant(fn: LambdaFunction & IGrantable, actions: string[], what: string): void {
    for (const [k, v] of Object.entries(this.environment)) fn.addEnvironment(k, v);
    fn.addToRolePolicy(new PolicyStatement({ actions, resources: [this.schedulesArn()] }));
    Validations.of(fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.groupName}/*]`,
      reason: `Schedules are made at run time, one per cluster and named after it, so their names are not known at deploy time; the grant is to ${what}, in Strata's patch schedule group only.`,
    });
  }
}
