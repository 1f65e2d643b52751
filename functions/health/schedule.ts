import { SWEEP_PERIOD_SECONDS } from '../../core/health.js';

/**
 * How often the health sweep runs: plain data, read by the CDK rule and the local scheduler,
 * so neither loads the sweep's code to learn it.
 */
export const SWEEP_SCHEDULE = `rate(${SWEEP_PERIOD_SECONDS / 60} minute)`;
