import { DescribeRuleCommand, EventBridgeClient, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSweeping } from '../../../../adapters/events/sweep-rule.js';
import { startMoto, type Moto } from '../../../moto.js';

/** The sweep's switch against moto's EventBridge: the same calls the sweep and the heartbeat make in AWS. */
let moto: Moto;
const saved = { ...process.env };
beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, { AWS_ENDPOINT_URL_EVENTBRIDGE: moto.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', SWEEP_RULE_NAME: 'strata-health-sweep' });
});
afterAll(async () => {
  process.env = saved;
  await moto?.stop();
});

describe('the health sweep switch', () => {
  it('turns the rule off and on by name, and says when there is no rule to switch', async () => {
    const events = new EventBridgeClient({});
    await events.send(new PutRuleCommand({ Name: 'strata-health-sweep', ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' }));
    const state = async () => (await events.send(new DescribeRuleCommand({ Name: 'strata-health-sweep' }))).State;
    expect(await setSweeping(false)).toBe(true);
    expect(await state()).toBe('DISABLED');
    expect(await setSweeping(true)).toBe(true);
    expect(await state()).toBe('ENABLED');
    process.env.SWEEP_RULE_NAME = 'not-there';
    await expect(setSweeping(false)).rejects.toThrow(/not-there|does not exist/);
    delete process.env.SWEEP_RULE_NAME;
    expect(await setSweeping(false)).toBe(false);
    expect(await state()).toBe('ENABLED');
  });
});
