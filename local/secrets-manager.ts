import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { startJsonService, ServiceError } from './aws-json-service.js';

/**
 * Secrets Manager as the local runtime needs it (Azure client secrets): CreateSecret,
 * PutSecretValue, GetSecretValue, DeleteSecret; in memory, or kept in `file` (mode 0600) when the
 * runtime keeps its data. Errors carry AWS's own types.
 */
export async function startLocalSecretsManager(file?: string): Promise<{ endpoint: string; secrets: Map<string, string>; stop(): Promise<void> }> {
  const secrets = new Map<string, string>(file && existsSync(file) ? Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : []);
  const save = () => file && writeFileSync(file, JSON.stringify(Object.fromEntries(secrets)), { mode: 0o600 });
  const arnOf = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-local`;
  const nameOf = (id: unknown) => String(id ?? '').replace(/^arn:aws:secretsmanager:[^:]+:\d+:secret:/, '').replace(/-local$/, '');
  const service = await startJsonService('Secrets Manager', 'secretsmanager', {
    CreateSecret: (i) => {
      const name = nameOf(i.Name);
      if (secrets.has(name)) throw new ServiceError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      secrets.set(name, String(i.SecretString ?? ''));
      save();
      return { ARN: arnOf(name), Name: name };
    },
    PutSecretValue: (i) => {
      const name = nameOf(i.SecretId);
      if (!secrets.has(name)) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      secrets.set(name, String(i.SecretString ?? ''));
      save();
      return { ARN: arnOf(name), Name: name };
    },
    GetSecretValue: (i) => {
      const name = nameOf(i.SecretId);
      const value = secrets.get(name);
      if (value === undefined) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      return { ARN: arnOf(name), Name: name, SecretString: value };
    },
    DeleteSecret: (i) => {
      const name = nameOf(i.SecretId);
      if (!secrets.delete(name)) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      save();
      return { ARN: arnOf(name), Name: name, DeletionDate: Date.now() / 1000 };
    },
  });
  return { ...service, secrets };
}
