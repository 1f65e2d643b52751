#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StrataStack } from '../lib/strata-stack.js';

const app = new App();

// No account or region: an environment-agnostic stack, so `cdk synth` needs no credentials.
// `cdk deploy` takes both from the caller's profile.
// Concurrency reservations are settings (-c agentReservedConcurrency=… -c apiReservedConcurrency=…):
// an account must keep 100 unreserved, so small accounts lower them.
const contextNumber = (key: string): number | undefined => {
  const value = app.node.tryGetContext(key) as string | number | undefined;
  return value === undefined ? undefined : Number(value);
};
new StrataStack(app, 'Strata', {
  agentReservedConcurrency: contextNumber('agentReservedConcurrency'),
  apiReservedConcurrency: contextNumber('apiReservedConcurrency'),
});

// cdk-nag 3 is a policy-validation plugin (it replaced the v2 Aspect): an unacknowledged
// AwsSolutions finding fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

app.synth();
