import { DeleteParameterCommand, GetParameterCommand, ParameterAlreadyExists, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

/**
 * Strata's secrets as SSM Parameter Store standard SecureString parameters: free to keep (a Secrets
 * Manager secret is $0.40 a month), encrypted under the platform's one KMS key
 * (CLUSTER_SECRETS_KEY_ARN) so reading one takes kms:Decrypt on that key as well as
 * ssm:GetParameter on its path. Without the variable, Parameter Store uses its default aws/ssm key.
 */

/** The most a standard parameter holds (4 KB); the API refuses a larger credential before it gets here. */
export const SECRET_MAX_BYTES = 4096;

let client: SSMClient | undefined;
const ssm = () => (client ??= new SSMClient({ maxAttempts: 5 }));

/** The variable naming the platform's parameter path, /strata/<stack>. */
export const SECRETS_PATH_ENV = 'SECRETS_PATH';

/** The platform's parameter path (the CDK stack and the local runtime set it). */
export function secretsPath(): string {
  const path = process.env[SECRETS_PATH_ENV];
  if (!path) throw new Error(`${SECRETS_PATH_ENV} is not set`);
  return path;
}

/** No parameter of that name: AWS's own ParameterNotFound carries no message, this one names what was asked for. */
export class SecretNotFound extends Error {
  override readonly name = 'SecretNotFound';
}

/** A value a standard parameter cannot hold. */
export class SecretTooLarge extends Error {
  override readonly name = 'SecretTooLarge';
}

/**
 * Store `value` under `name`. It replaces an existing value unless `replace` is false; then an
 * existing parameter is kept and the answer is false.
 */
export async function putSecret(name: string, value: string, opts: { readonly replace?: boolean } = {}): Promise<boolean> {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > SECRET_MAX_BYTES) throw new SecretTooLarge(`a secret holds at most ${SECRET_MAX_BYTES} bytes (an SSM standard parameter); this one is ${bytes}`);
  const keyId = process.env.CLUSTER_SECRETS_KEY_ARN;
  try {
    await ssm().send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Tier: 'Standard', Overwrite: opts.replace ?? true, ...(keyId ? { KeyId: keyId } : {}) }));
    return true;
  } catch (err) {
    if (err instanceof ParameterAlreadyExists && opts.replace === false) return false;
    throw err;
  }
}

export async function getSecret(name: string): Promise<string> {
  try {
    const out = await ssm().send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    if (out.Parameter?.Value === undefined) throw new SecretNotFound(`no secret is stored under ${name}`);
    return out.Parameter.Value;
  } catch (err) {
    if (err instanceof ParameterNotFound) throw new SecretNotFound(`no secret is stored under ${name}`);
    throw err;
  }
}

/** Delete a secret Strata made; one already gone is fine. */
export async function deleteSecret(name: string): Promise<void> {
  try {
    await ssm().send(new DeleteParameterCommand({ Name: name }));
  } catch (err) {
    if (!(err instanceof ParameterNotFound)) throw err;
  }
}
