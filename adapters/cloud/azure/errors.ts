import { CloudError } from '../../../core/cloud.js';

/**
 * Azure error codes that no retry can fix without a user's change (a permission, a policy, a
 * wrong parameter, an image that does not exist). Everything else — quota (OperationNotAllowed),
 * capacity (SkuNotAvailable, ZonalAllocationFailed, AllocationFailed), throttling, conflicts with an
 * operation in progress, 5xx — is worth retrying: capacity frees up, operations finish.
 */
const PERMANENT = new Set([
  'AuthorizationFailed',
  'LinkedAuthorizationFailed',
  'InvalidAuthenticationTokenTenant',
  'AuthenticationFailed',
  'RequestDisallowedByPolicy',
  'MissingSubscriptionRegistration',
  'SubscriptionNotFound',
  'InvalidSubscriptionId',
  'InvalidParameter',
  'InvalidRequestContent',
  'InvalidRequestFormat',
  'InvalidResourceName',
  'InvalidResourceReference',
  'BadRequest',
  'PropertyChangeNotAllowed',
  'ImageNotFound',
  'PlatformImageNotFound',
  'InvalidImageReference',
  'MarketplacePurchaseEligibilityFailed',
  'ResourcePurchaseValidationFailed',
  'VMMarketplaceInvalidInput',
  'NameConflict',
  'ResourceGroupNotOwned',
  // A location a resource type is not offered in, or a group that already lives in another one.
  'LocationNotAvailableForResourceType',
  'InvalidResourceLocation',
  'InvalidResourceGroupLocation',
  'NoRegisteredProviderFound',
]);

/** Status codes that mean "the request itself is wrong" when the code is not in either list. */
const PERMANENT_STATUS = new Set([400, 401, 403]);

/** core-lro turns a failed long-running operation into `Error("The long-running operation has failed. <code>. <message>")`. */
const LRO_FAILURE = /^The long-running operation has failed\. ([\w.-]+)\. ([\s\S]*)$/;

export function isRetryable(code: string, statusCode?: number): boolean {
  if (PERMANENT.has(code)) return false;
  if (code === 'OperationNotAllowed' || code === 'SkuNotAvailable' || code.endsWith('AllocationFailed')) return true;
  // A new managed identity takes a while to reach the directory a role assignment checks.
  if (code === 'PrincipalNotFound') return true;
  return statusCode === undefined || !PERMANENT_STATUS.has(statusCode);
}

interface RestErrorLike {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly statusCode?: number;
}

function isErrorLike(e: unknown): e is RestErrorLike {
  return e instanceof Error;
}

/** The HTTP status of an Azure SDK error (RestError from either pipeline), if it has one. */
export function statusOf(e: unknown): number | undefined {
  return isErrorLike(e) && typeof e.statusCode === 'number' ? e.statusCode : undefined;
}

export function isNotFound(e: unknown): boolean {
  return statusOf(e) === 404;
}

/**
 * Turn whatever an Azure SDK threw into a CloudError carrying Azure's own code and message:
 * RestError (both the core-client and the TypeSpec runtime flavours), a failed long-running
 * operation, an identity error (bad client secret), or a network failure.
 */
export function toCloudError(e: unknown): CloudError {
  if (e instanceof CloudError) return e;
  if (!isErrorLike(e)) return new CloudError('AzureRequestFailed', String(e), true);
  const lro = LRO_FAILURE.exec(e.message);
  if (lro) {
    const code = lro[1]!;
    return new CloudError(code, lro[2]!, isRetryable(code));
  }
  if (e.name === 'AuthenticationError' || e.name === 'CredentialUnavailableError') {
    // @azure/identity: the tenant, client id or secret is wrong (or Entra ID is down: 5xx).
    const status = statusOf(e);
    return new CloudError('AuthenticationFailed', e.message, status !== undefined && status >= 500);
  }
  const status = statusOf(e);
  const code = typeof e.code === 'string' && e.code !== '' ? e.code : status !== undefined ? `Http${status}` : 'AzureRequestFailed';
  return new CloudError(code, e.message, isRetryable(code, status));
}

/** Run an Azure call and rethrow its failure as a CloudError. */
export async function azureCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toCloudError(e);
  }
}
