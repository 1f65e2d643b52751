import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import S3rver from 's3rver';
import { freePort } from './ports.js';

export interface S3Local {
  readonly endpoint: string;
  readonly bucket: string;
  stop(): Promise<void>;
}

/** The runtime's AWS credentials (local/local): s3rver checks signatures against the keys it knows. */
export const LOCAL_ACCESS_KEY = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** As the deployed bucket (lib/archives.ts): GET from any origin, the presigned URL being the credential. */
const CORS = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>Content-Length</ExposeHeader><ExposeHeader>Content-Disposition</ExposeHeader><MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

/** s3rver: the S3 API (path-style, presigned URLs) on loopback, in a temp dir or under dataDir. */
export async function startS3Local(opts: { dataDir?: string; bucket?: string } = {}): Promise<S3Local> {
  // s3rver verifies every signature (and a presigned URL's expiry) with its one account's keys: the runtime's join them.
  const account = createRequire(import.meta.url)('s3rver/lib/models/account.js') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };
  account.DUMMY_ACCOUNT.createKeyPair(LOCAL_ACCESS_KEY.accessKeyId, LOCAL_ACCESS_KEY.secretAccessKey);
  const port = await freePort();
  const bucket = opts.bucket ?? 'strata-archives';
  const directory = opts.dataDir ? resolve(opts.dataDir, 's3') : mkdtempSync(join(tmpdir(), 'strata-s3-'));
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({ port, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket, configs: [CORS] }] });
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    stop: async () => {
      await server.close();
      if (!opts.dataDir) rmSync(directory, { recursive: true, force: true });
    },
  };
}
