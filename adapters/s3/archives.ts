import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/**
 * The archive bucket (log bundles under logs/, kube-bench reports under compliance/). Private: what
 * goes in or out does so through short-lived presigned URLs, signed here with the function's own
 * credentials, so each carries exactly what that function may do. Signing and expiry use the wall
 * clock, not the platform's injected one: S3 checks them against its own time.
 */
let client: S3Client | undefined;
function s3(): S3Client {
  // Path-style and checksums only when required: what s3rver (the local runtime) understands; AWS takes both.
  return (client ??= new S3Client({ forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }));
}

export function archiveBucket(): string {
  const name = process.env.ARCHIVE_BUCKET;
  if (!name) throw new Error('ARCHIVE_BUCKET is not set');
  return name;
}

export interface PresignedPost {
  readonly url: string;
  readonly fields: Record<string, string>;
  readonly expiresAt: string;
}

/**
 * A browser-style POST upload of exactly `key`: its policy admits 1 to maxBytes bytes
 * (content-length-range) until the expiry, and nothing else. A presigned PUT could not cap a size
 * it does not know.
 */
export async function presignUpload(key: string, maxBytes: number, expiresSeconds: number): Promise<PresignedPost> {
  const now = Date.now();
  const { url, fields } = await createPresignedPost(s3(), {
    Bucket: archiveBucket(),
    Key: key,
    Conditions: [['content-length-range', 1, maxBytes]],
    Fields: { 'Content-Type': 'application/gzip' },
    Expires: expiresSeconds,
  });
  return { url, fields, expiresAt: new Date(now + expiresSeconds * 1000).toISOString() };
}

/** A GET of `key` valid for `expiresSeconds`, saved under `fileName` by browsers. */
export async function presignDownload(key: string, expiresSeconds: number, fileName?: string): Promise<{ url: string; expiresAt: string }> {
  const now = new Date();
  const url = await getSignedUrl(
    s3(),
    new GetObjectCommand({ Bucket: archiveBucket(), Key: key, ...(fileName ? { ResponseContentDisposition: `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"` } : {}) }),
    { expiresIn: expiresSeconds, signingDate: now },
  );
  return { url, expiresAt: new Date(now.getTime() + expiresSeconds * 1000).toISOString() };
}

/** The stored object's size, or undefined when there is none. */
export async function objectSize(key: string): Promise<number | undefined> {
  try {
    const head = await s3().send(new HeadObjectCommand({ Bucket: archiveBucket(), Key: key }));
    return head.ContentLength ?? 0;
  } catch (err) {
    if (err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 404 || err.name === 'NotFound' || err.name === 'NoSuchKey')) return undefined;
    throw err;
  }
}

export async function deleteObject(key: string): Promise<void> {
  await s3().send(new DeleteObjectCommand({ Bucket: archiveBucket(), Key: key }));
}

export async function putObject(key: string, body: string | Uint8Array, contentType: string): Promise<void> {
  await s3().send(new PutObjectCommand({ Bucket: archiveBucket(), Key: key, Body: body, ContentType: contentType }));
}
