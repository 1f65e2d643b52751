import { CloudError } from '../../../core/cloud.js';

/**
 * Codes no retry can fix until someone changes the request, the role or the account. Everything
 * else (throttling, capacity, quotas that free up, server faults, network trouble) is retried by the
 * reconciler with backoff; `remedyFor` tells the user what would speed that up.
 */
const NOT_RETRYABLE = new Set([
  'AccessDenied',
  'AuthFailure',
  'Blocked',
  'IdempotentParameterMismatch',
  'InvalidAMIID.Malformed',
  'InvalidAMIID.NotFound',
  'InvalidAMIID.Unavailable',
  'InvalidAMIName.Malformed',
  'InvalidBlockDeviceMapping',
  'InvalidClientTokenId',
  'InvalidParameter',
  'InvalidParameterCombination',
  'InvalidParameterValue',
  'MissingParameter',
  'OperationNotPermitted',
  'OptInRequired',
  // An image reference's SSM parameter (or the version it names) that does not exist.
  'ParameterNotFound',
  'ParameterVersionNotFound',
  'UnauthorizedOperation',
  'Unsupported',
  'UnsupportedOperation',
  'ValidationError',
]);

/** The provider's error code: EC2, SSM and STS exceptions carry it as `name` (older shapes as `Code`). */
export function errorCode(err: unknown): string | undefined {
  if (err instanceof CloudError) return err.code;
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: unknown; Code?: unknown };
  if (typeof e.Code === 'string' && e.Code) return e.Code;
  if (typeof e.name === 'string' && e.name && e.name !== 'Error') return e.name;
  return undefined;
}

export function hasCode(err: unknown, ...codes: string[]): boolean {
  const code = errorCode(err);
  return code !== undefined && codes.includes(code);
}

/** The provider's refusal in the port's terms, keeping its own code and message text. */
export function toCloudError(err: unknown): CloudError {
  if (err instanceof CloudError) return err;
  const code = errorCode(err) ?? 'UnknownError';
  const message = err instanceof Error ? err.message : String(err);
  return new CloudError(code, message, !NOT_RETRYABLE.has(code));
}
