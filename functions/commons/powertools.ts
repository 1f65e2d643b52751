import { Logger } from '@aws-lambda-powertools/logger';

/** One logger per process, shared by every handler: structured JSON with a correlation id. */
export const logger = new Logger({
  serviceName: 'strata',
  logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
});
