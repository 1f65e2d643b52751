import { DisableRuleCommand, EnableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';

let client: EventBridgeClient | undefined;

/**
 * Turn the health sweep's schedule on or off. It is off while the deadline index is empty (no
 * cluster reporting), so an idle platform runs nothing; the first heartbeat that writes an entry
 * turns it back on. Without SWEEP_RULE_NAME the rule is not Strata's to switch: it stays on.
 */
export async function setSweeping(on: boolean): Promise<boolean> {
  const Name = process.env.SWEEP_RULE_NAME;
  if (!Name) return false;
  client ??= new EventBridgeClient({ maxAttempts: 3 });
  await client.send(on ? new EnableRuleCommand({ Name }) : new DisableRuleCommand({ Name }));
  return true;
}
