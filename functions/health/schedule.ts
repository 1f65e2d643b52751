/**
 * How often the health sweep runs: plain data, read by the CDK rule and the local scheduler,
 * so neither loads the sweep's code to learn it.
 */
export const SWEEP_SCHEDULE = 'rate(1 minute)';
