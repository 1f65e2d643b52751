import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

/** The part of an AWS cloud account Strata needs to act in it: no long-lived keys, only a role. */
export interface AwsAccountRole {
  readonly roleArn: string;
  readonly externalId: string;
}

/** What an SDK client accepts as `credentials` (structurally the SDK's AwsCredentialIdentity). */
export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration?: Date;
}

export interface AssumeRoleOptions {
  /** Region of the STS endpoint (regional endpoints keep the call in the cluster's region). */
  readonly region: string;
  /** Names the session `strata-<clusterId>`, so the account's CloudTrail shows which cluster acted. */
  readonly clusterId?: string;
  /** @default a new STSClient for `region` */
  readonly sts?: STSClient;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The shortest session STS grants: the adapter never holds a credential longer than it must. */
export const SESSION_SECONDS = 900;

/**
 * Refresh this long before expiry. It matches the SDK's own 5-minute refresh window, so a client
 * that asks again near expiry gets a fresh session instead of the same stale one.
 */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** RoleSessionName allows 2-64 characters of [\w+=,.@-]. */
export function sessionName(clusterId?: string): string {
  const name = clusterId ? `strata-${clusterId.replace(/[^\w+=,.@-]/g, '-')}` : 'strata';
  return name.slice(0, 64);
}

/**
 * A credentials provider that assumes the account's role with its ExternalId (the confused-deputy
 * guard the customer's trust policy requires) and caches the session until shortly before it
 * expires. Concurrent callers share one in-flight AssumeRole; a failure is not cached.
 *
 * STS is called directly rather than through `fromTemporaryCredentials`: @aws-sdk/credential-providers
 * is not a dependency of this project (only a transitive dev one), so a production bundle can't rely on it.
 */
export function assumeRoleCredentials(account: AwsAccountRole, options: AssumeRoleOptions): () => Promise<TemporaryCredentials> {
  const sts = options.sts ?? new STSClient({ region: options.region });
  const now = options.now ?? Date.now;
  let cached: { credentials: TemporaryCredentials; refreshAt: number } | undefined;
  let inFlight: Promise<TemporaryCredentials> | undefined;

  const assume = async (): Promise<TemporaryCredentials> => {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: account.roleArn,
        ExternalId: account.externalId,
        RoleSessionName: sessionName(options.clusterId),
        DurationSeconds: SESSION_SECONDS,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
      throw new Error(`AssumeRole of ${account.roleArn} returned no credentials`);
    }
    const expiration = c.Expiration ?? new Date(now() + SESSION_SECONDS * 1000);
    const credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration };
    cached = { credentials, refreshAt: expiration.getTime() - REFRESH_MARGIN_MS };
    return credentials;
  };

  return async () => {
    if (cached && now() < cached.refreshAt) return cached.credentials;
    inFlight ??= assume().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
