import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

let client: SecretsManagerClient | undefined;
const sm = () => (client ??= new SecretsManagerClient({ maxAttempts: 5 }));

/** Store a secret under `name`, replacing its value if it exists. Returns its ARN. */
export async function putSecret(name: string, value: string, tags: Readonly<Record<string, string>> = {}): Promise<string> {
  try {
    const out = await sm().send(new CreateSecretCommand({ Name: name, SecretString: value, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    return out.ARN ?? name;
  } catch (err) {
    if (!(err instanceof ResourceExistsException)) throw err;
    const out = await sm().send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    return out.ARN ?? name;
  }
}

export async function getSecret(nameOrArn: string): Promise<string> {
  const out = await sm().send(new GetSecretValueCommand({ SecretId: nameOrArn }));
  if (out.SecretString === undefined) throw new Error(`secret ${nameOrArn} has no string value`);
  return out.SecretString;
}

/** Delete a secret Strata made; one already gone is fine. Without recovery: the account it served is gone. */
export async function deleteSecret(nameOrArn: string): Promise<void> {
  try {
    await sm().send(new DeleteSecretCommand({ SecretId: nameOrArn, ForceDeleteWithoutRecovery: true }));
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
}
