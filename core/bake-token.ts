import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A builder's token for signalling the outcome of one bake: `sbt.<tenant>.<bakeId>.<mac>`, an
 * HMAC under the platform secret. It names one attempt of one image, so a builder can report only
 * its own bake, and a stale builder of an earlier attempt is refused by the record's attempt.
 * Nothing is stored.
 */
export function bakeToken(secret: string, tenantId: string, bakeId: string): string {
  return `sbt.${tenantId}.${bakeId}.${mac(secret, tenantId, bakeId)}`;
}

const mac = (secret: string, tenantId: string, bakeId: string) => createHmac('sha256', secret).update(`bake/${tenantId}/${bakeId}`).digest('base64url');

const TOKEN = /^sbt\.([a-z0-9-]{1,63})\.(img-[0-9a-f]{24}-a[1-9]\d{0,5})\.([A-Za-z0-9_-]{43})$/;

/** The bake id of an attempt: `<image record id>-a<attempt>`. */
export const bakeId = (imageId: string, attempt: number) => `${imageId}-a${attempt}`;

export function parseBakeId(id: string): { imageId: string; attempt: number } | undefined {
  const m = /^(img-[0-9a-f]{24})-a([1-9]\d{0,5})$/.exec(id);
  return m ? { imageId: m[1]!, attempt: Number(m[2]) } : undefined;
}

/** The claims of a token whose MAC is right; undefined for anything else. Constant time in the MAC. */
export function verifyBakeToken(token: string, secret: string): { tenantId: string; bakeId: string } | undefined {
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  const want = Buffer.from(mac(secret, m[1]!, m[2]!));
  const got = Buffer.from(m[3]!);
  return want.length === got.length && timingSafeEqual(want, got) ? { tenantId: m[1]!, bakeId: m[2]! } : undefined;
}
