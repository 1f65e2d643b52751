import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { presignDownload, presignUpload } from '../../adapters/s3/archives.js';

/** The signing needs credentials and a bucket only: nothing is sent. */
const saved = { ...process.env };
beforeAll(() => {
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', ARCHIVE_BUCKET: 'strata-archives-test' });
  delete process.env.AWS_ENDPOINT_URL_S3;
  delete process.env.AWS_SESSION_TOKEN;
});
afterAll(() => {
  process.env = saved;
});

describe('a log bundle upload form', () => {
  it("signs a policy that admits only the request's key, 1 byte to the cap, until 5 minutes from now", async () => {
    const before = Date.now();
    const form = await presignUpload('logs/acme/cl-1/log-1.tar.gz', 100 * 1024 * 1024, 300);
    expect(form.url).toBe('https://strata-archives-test.s3.eu-west-1.amazonaws.com/');
    const policy = JSON.parse(Buffer.from(form.fields.Policy!, 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 1, 104857600],
        { bucket: 'strata-archives-test' },
        { key: 'logs/acme/cl-1/log-1.tar.gz' },
        { 'Content-Type': 'application/gzip' },
        { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' },
      ]),
    );
    // No starts-with condition: the form cannot be bent to another key or type.
    expect(policy.conditions.some((c) => Array.isArray(c) && c[0] === 'starts-with')).toBe(false);
    const expires = Date.parse(policy.expiration);
    expect(expires - before).toBeGreaterThanOrEqual(299_000);
    expect(expires - before).toBeLessThanOrEqual(301_000);
    expect(Math.abs(Date.parse(form.expiresAt) - expires)).toBeLessThan(1_000);
    expect(form.fields).toMatchObject({ key: 'logs/acme/cl-1/log-1.tar.gz', 'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/), 'X-Amz-Credential': expect.stringMatching(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request$/) });
  });
});

describe('a download URL', () => {
  it('expires after the seconds asked for and saves under the file name', async () => {
    const { url, expiresAt } = await presignDownload('logs/acme/cl-1/log-1.tar.gz', 300, 'demo-logs-log-1.tar.gz');
    const u = new URL(url);
    expect(u.host).toBe('strata-archives-test.s3.eu-west-1.amazonaws.com');
    expect(u.pathname).toBe('/logs/acme/cl-1/log-1.tar.gz');
    expect(u.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(u.searchParams.get('response-content-disposition')).toBe('attachment; filename="demo-logs-log-1.tar.gz"');
    const signed = u.searchParams.get('X-Amz-Date')!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z');
    expect(Date.parse(expiresAt) - Date.parse(signed)).toBeGreaterThanOrEqual(300_000);
    expect(Date.parse(expiresAt) - Date.parse(signed)).toBeLessThan(301_000);
  });
});

describe('the archive bucket, against moto', () => {
  it('takes an upload through the form, tells its size, serves it through the URL and deletes it', async () => {
    const { startMoto } = await import('../moto.js');
    const { CreateBucketCommand, S3Client } = await import('@aws-sdk/client-s3');
    const moto = await startMoto();
    try {
      process.env.AWS_ENDPOINT_URL_S3 = moto.endpoint;
      process.env.AWS_REGION = 'us-east-1';
      // A client of its own for this endpoint (the adapter keeps one per process).
      vi.resetModules();
      const archives = await import('../../adapters/s3/archives.js');
      await new S3Client({ endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1' }).send(new CreateBucketCommand({ Bucket: 'strata-archives-test' }));
      const key = 'logs/acme/cl-1/log-2.tar.gz';
      expect(await archives.objectSize(key)).toBeUndefined();
      const form = await archives.presignUpload(key, 1024 * 1024, 300);
      const body = new FormData();
      for (const [k, v] of Object.entries(form.fields)) body.append(k, v);
      body.append('file', new Blob([Buffer.alloc(4321, 7)]), 'bundle.tar.gz');
      const posted = await fetch(form.url, { method: 'POST', body });
      expect(posted.status).toBeLessThan(300);
      expect(await archives.objectSize(key)).toBe(4321);
      const { url } = await archives.presignDownload(key, 300, 'b.tar.gz');
      const got = await fetch(url);
      expect(got.status).toBe(200);
      expect(Buffer.from(await got.arrayBuffer())).toEqual(Buffer.alloc(4321, 7));
      await archives.deleteObject(key);
      expect(await archives.objectSize(key)).toBeUndefined();
    } finally {
      await moto.stop();
    }
  }, 60_000);
});
