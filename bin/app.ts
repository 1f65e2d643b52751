#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StrataStack } from '../lib/strata-stack.js';

const app = new App();

// No account or region: an environment-agnostic stack, so `cdk synth` needs no credentials.
// `cdk deploy` takes both from the caller's profile.
new StrataStack(app, 'Strata');

// cdk-nag 3 is a policy-validation plugin (it replaced the v2 Aspect): an unacknowledged
// AwsSolutions finding fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

app.synth();
