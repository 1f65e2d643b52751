import { Logger } from '@aws-lambda-powertools/logger';

/** One logger per process, shared by every handler: structured JSON with a correlation id. */
// Level from POWERTOOLS_LOG_LEVEL (INFO by default; the local runtime sets WARN).
export const logger = new Logger({ serviceName: 'strata' });
