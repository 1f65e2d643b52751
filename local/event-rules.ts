import { ServiceError, startJsonService } from './aws-json-service.js';
import type { LocalScheduler } from './scheduler.js';

/**
 * The EventBridge rule calls Strata makes (EnableRule, DisableRule, DescribeRule), answered for
 * the local scheduler's schedules: the health sweep turns its own schedule off while nothing
 * reports, as it does in AWS.
 */
export function startLocalEventRules(scheduler: LocalScheduler) {
  const named = (input: Record<string, unknown>) => {
    const name = String(input.Name ?? '');
    if (!scheduler.has(name)) throw new ServiceError('ResourceNotFoundException', `Rule ${name} does not exist.`);
    return name;
  };
  return startJsonService('EventBridge', 'AWSEvents', {
    EnableRule: (input) => void scheduler.setEnabled(named(input), true),
    DisableRule: (input) => void scheduler.setEnabled(named(input), false),
    DescribeRule: (input) => {
      const name = named(input);
      return { Name: name, State: scheduler.isEnabled(name) ? 'ENABLED' : 'DISABLED' };
    },
  });
}
