import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetParameterCommand, PutParameterCommand, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSsm } from '../../../local/ssm.js';
import { putSecret } from '../../../adapters/secrets/secrets-store.js';
import { secretsStoreCases, useSsmEndpoint } from '../adapters/secrets/store-cases.js';

/** The local runtime's Parameter Store: the store's own tests, then what only the local one promises (its data file). */
const dir = mkdtempSync(join(tmpdir(), 'strata-ssm-'));
const file = join(dir, 'ssm.json');
let ssm: Awaited<ReturnType<typeof startLocalSsm>>;
let endpoint = '';
beforeAll(async () => {
  ssm = await startLocalSsm(file);
  endpoint = ssm.endpoint;
  useSsmEndpoint(endpoint);
});
afterAll(async () => {
  await ssm?.stop();
  rmSync(dir, { recursive: true, force: true });
});

secretsStoreCases(() => endpoint);

describe('the local Parameter Store', () => {
  const client = () => new SSMClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });
  const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as SSMServiceException);

  it('keeps its parameters in the data file, readable by its owner only, across a restart', async () => {
    await putSecret('/strata/local/platform-secret', 'kept-across-restarts');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await ssm.stop();
    ssm = await startLocalSsm(file);
    endpoint = ssm.endpoint;
    // The store's client was made for the old port: read through a new one.
    const got = await client().send(new GetParameterCommand({ Name: '/strata/local/platform-secret', WithDecryption: true }));
    expect(got.Parameter).toMatchObject({ Value: 'kept-across-restarts', Type: 'SecureString', ARN: 'arn:aws:ssm:us-east-1:000000000000:parameter/strata/local/platform-secret' });
    expect(JSON.parse(readFileSync(file, 'utf8'))['/strata/local/platform-secret'].value).toBe('kept-across-restarts');
  });

  it("answers AWS's errors by type, and no error carries a value", async () => {
    await client().send(new PutParameterCommand({ Name: '/strata/local/x', Value: 'hush-hush', Type: 'SecureString' }));
    const exists = await refusal(client().send(new PutParameterCommand({ Name: '/strata/local/x', Value: 'hush-hush-2', Type: 'SecureString' })));
    expect(exists?.name).toBe('ParameterAlreadyExists');
    expect(exists?.message).not.toContain('hush');
    const relative = await refusal(client().send(new PutParameterCommand({ Name: 'strata/local/y', Value: 'v', Type: 'SecureString' })));
    expect(relative?.name).toBe('ValidationException');
    // 4096 bytes as AWS counts them: 1,366 three-byte characters are too many.
    const big = await refusal(client().send(new PutParameterCommand({ Name: '/strata/local/big', Value: '€'.repeat(1366), Type: 'SecureString' })));
    expect(big?.name).toBe('ValidationException');
    expect(big?.message).toContain('4096');
    const missing = await refusal(client().send(new GetParameterCommand({ Name: '/strata/local/none' })));
    expect(missing?.name).toBe('ParameterNotFound');
    const advanced = await refusal(client().send(new PutParameterCommand({ Name: '/strata/local/adv', Value: 'v', Type: 'SecureString', Tier: 'Advanced' })));
    expect(advanced?.name).toBe('ValidationException');
  });

  it('answers a SecureString without decryption with something else than its value', async () => {
    const got = await client().send(new GetParameterCommand({ Name: '/strata/local/x' }));
    expect(got.Parameter!.Value).not.toContain('hush');
  });
});
