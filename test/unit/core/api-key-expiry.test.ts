import { afterEach, describe, expect, it } from 'vitest';
import { CreateApiKeyInput } from '../../../core/api-key-input.js';
import { keyExpired, publicApiKey, type ApiKeyRecord } from '../../../core/api-keys.js';
import { useClock } from '../../../core/clock.js';

const DAY_MS = 86_400_000;
const NOW = Date.parse('2031-03-10T12:00:00Z');
const key: ApiKeyRecord = { id: 'key-a', tenantId: 't', name: 'ci', role: 'viewer', operator: false, hash: 'h', createdAt: '2031-03-01T00:00:00.000Z' };

afterEach(() => useClock());

describe('API key expiry', () => {
  it('a key expires at its expiresAt, not before; one without never does', () => {
    const expiring = { ...key, expiresAt: new Date(NOW).toISOString() };
    expect(keyExpired(expiring, NOW - 1)).toBe(false);
    expect(keyExpired(expiring, NOW)).toBe(true);
    expect(keyExpired(key, NOW + 100 * 365 * DAY_MS)).toBe(false);
  });

  it('is shown with the key, never the hash', () => {
    expect(publicApiKey({ ...key, expiresAt: '2031-04-01T00:00:00.000Z' })).toEqual({ id: 'key-a', name: 'ci', role: 'viewer', operator: false, createdAt: key.createdAt, expiresAt: '2031-04-01T00:00:00.000Z' });
    expect(publicApiKey(key)).not.toHaveProperty('expiresAt');
  });

  it('must be ahead of the core clock by at most 2 years', () => {
    // A simulated clock years past the real one: the checks follow it.
    useClock({ now: () => NOW });
    const issues = (expiresAt: string) => {
      const r = CreateApiKeyInput.safeParse({ name: 'ci', role: 'viewer', expiresAt });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues('2031-03-10T12:00:01Z')).toEqual([]);
    expect(issues('2033-03-10T12:00:00Z')).toEqual([]);
    expect(issues('2033-03-10T14:00:00+02:00')).toEqual([]);
    expect(issues('2031-03-10T12:00:00Z')).toEqual(['expiresAt: must be in the future']);
    expect(issues('2030-01-01T00:00:00Z')).toEqual(['expiresAt: must be in the future']);
    expect(issues('2033-03-10T12:00:01Z')).toEqual(['expiresAt: must be at most 2 years ahead']);
    expect(issues('2031-04-01')).toEqual(['expiresAt: an ISO 8601 time with its offset, such as 2027-01-01T00:00:00Z']);
    expect(CreateApiKeyInput.safeParse({ name: 'ci', role: 'viewer' }).success).toBe(true);
  });
});
