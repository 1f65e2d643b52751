import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { startJsonService, ServiceError } from './aws-json-service.js';

interface StoredParameter {
  readonly value: string;
  readonly type: string;
  readonly version: number;
  readonly modified: number;
  readonly keyId?: string;
}

/** What a standard parameter holds: 4096 bytes. */
const STANDARD_MAX_BYTES = 4096;
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

/**
 * SSM Parameter Store as Strata uses it (its secrets, as SecureString parameters): PutParameter,
 * GetParameter, DeleteParameter over the JSON protocol the real SDK client speaks; in memory, or
 * kept in `file` (mode 0600) when the runtime keeps its data. Errors carry AWS's own types; no
 * answer or error ever carries a value but the decrypted one asked for.
 */
export async function startLocalSsm(file?: string): Promise<{ endpoint: string; parameters: ReadonlyMap<string, StoredParameter>; stop(): Promise<void> }> {
  const parameters = new Map<string, StoredParameter>(file && existsSync(file) ? Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, StoredParameter>) : []);
  const save = () => file && writeFileSync(file, JSON.stringify(Object.fromEntries(parameters)), { mode: 0o600 });
  const arnOf = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  const nameOf = (i: Record<string, unknown>) => {
    const name = String(i.Name ?? '');
    if (!/^[\w.\-/]{1,1011}$/.test(name)) throw new ServiceError('ValidationException', 'Parameter name: can contain only letters, numbers and the symbols .-_/');
    if (name.includes('/') && !name.startsWith('/')) throw new ServiceError('ValidationException', 'Parameter name must be a fully qualified name.');
    if (/^\/?(aws|ssm)/i.test(name)) throw new ServiceError('ValidationException', 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).');
    return name;
  };
  const notFound = (name: string) => new ServiceError('ParameterNotFound', `Parameter ${name} not found.`);
  const service = await startJsonService('SSM', 'AmazonSSM', {
    PutParameter: (i) => {
      const name = nameOf(i);
      const value = String(i.Value ?? '');
      const type = String(i.Type ?? parameters.get(name)?.type ?? '');
      if (!['String', 'StringList', 'SecureString'].includes(type)) throw new ServiceError('ValidationException', 'A parameter type is required when you create a parameter.');
      if ((i.Tier ?? 'Standard') !== 'Standard') throw new ServiceError('ValidationException', 'The local Parameter Store keeps standard parameters only.');
      if (Buffer.byteLength(value, 'utf8') > STANDARD_MAX_BYTES) {
        throw new ServiceError('ValidationException', `Standard tier parameters support a maximum parameter value of ${STANDARD_MAX_BYTES} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.`);
      }
      const existing = parameters.get(name);
      if (existing && i.Overwrite !== true) throw new ServiceError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
      const version = (existing?.version ?? 0) + 1;
      const keyId = type === 'SecureString' ? String(i.KeyId ?? 'alias/aws/ssm') : undefined;
      parameters.set(name, { value, type, version, modified: Date.now() / 1000, ...(keyId ? { keyId } : {}) });
      save();
      return { Version: version, Tier: 'Standard' };
    },
    GetParameter: (i) => {
      const name = nameOf(i);
      const p = parameters.get(name);
      if (!p) throw notFound(name);
      // Without decryption a SecureString answers its ciphertext: here an opaque stand-in, never the value.
      const value = p.type === 'SecureString' && i.WithDecryption !== true ? createHash('sha256').update(`${name}\0${p.version}`).digest('base64') : p.value;
      return { Parameter: { Name: name, Type: p.type, Value: value, Version: p.version, LastModifiedDate: p.modified, ARN: arnOf(name), DataType: 'text' } };
    },
    DeleteParameter: (i) => {
      const name = nameOf(i);
      if (!parameters.delete(name)) throw notFound(name);
      save();
      return {};
    },
  });
  return { ...service, parameters };
}
