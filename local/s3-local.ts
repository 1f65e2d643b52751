import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import S3rver from 's3rver';
import { freePort } from './ports.js';

export interface S3Local {
  readonly endpoint: string;
  readonly bucket: string;
  stop(): Promise<void>;
}

/** s3rver: the S3 API (path-style, presigned URLs) on loopback, in a temp dir or under dataDir. */
export async function startS3Local(opts: { dataDir?: string; bucket?: string } = {}): Promise<S3Local> {
  const port = await freePort();
  const bucket = opts.bucket ?? 'strata-archives';
  const directory = opts.dataDir ? resolve(opts.dataDir, 's3') : mkdtempSync(join(tmpdir(), 'strata-s3-'));
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({ port, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
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
