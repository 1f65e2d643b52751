// No zod here: the authorizer imports this module on every cold start.
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from './roles.js';

export const API_KEY_PREFIX = 'strata_';

/** A new secret key: 256 random bits. Only its hash is ever stored. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Keys are high-entropy random strings, so a plain SHA-256 is a safe, fast lookup hash. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Pull the key out of an Authorization header; undefined when absent or malformed. */
export function bearerKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** A JWT (a person's ID token, core/sso.ts) is three base64url parts; an API key never has a dot. */
export const isJwtShaped = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);

export interface ApiKeyRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly role: Role;
  readonly operator: boolean;
  readonly hash: string;
  readonly createdAt: string;
  /** ISO 8601 (UTC); absent: the key works until it is revoked. */
  readonly expiresAt?: string;
  /** The project the key's role holds in (core/projects.ts); absent: the whole tenant. */
  readonly projectId?: string;
}

/** How far ahead a key's expiry may be: a key for automation is renewed, not kept forever by accident. */
export const API_KEY_MAX_LIFETIME_YEARS = 2;

/** What the API shows of a key: never the hash. */
export function publicApiKey(k: ApiKeyRecord) {
  return { id: k.id, name: k.name, role: k.role, operator: k.operator, createdAt: k.createdAt, ...(k.expiresAt ? { expiresAt: k.expiresAt } : {}), ...(k.projectId ? { projectId: k.projectId } : {}) };
}

/** Past its expiry (at `nowMs` or before): refused as if it did not exist. */
export function keyExpired(k: Pick<ApiKeyRecord, 'expiresAt'>, nowMs: number): boolean {
  return k.expiresAt !== undefined && Date.parse(k.expiresAt) <= nowMs;
}
