import { InvalidArgumentError } from 'commander';
import type { ApiKey, ApiKeyCreated } from '../api-types.js';
import type { Palette } from '../colour.js';
import { renderTable } from '../table.js';
import { age, parseDuration } from '../time.js';
import { ageColumn, idColumn, nameColumn, projectColumn } from './columns.js';
import type { Kind } from './kind.js';
import { ownedBody } from './project.js';

const DAY_MS = 86_400_000;
/** Nearer than this, an expiry reads as a countdown (in 29d); further, as its date. */
const COUNTDOWN_MS = 90 * DAY_MS;
/** A key limited to no project: its role holds over the whole tenant. */
const TENANT_WIDE = '(tenant)';
const EXPIRES_HINT = 'a time from now (30d, 12h, 90m) or a moment (2027-01-01T00:00:00Z)';

/** --expires: a time from now (30d, 12h) or a moment (ISO 8601), as the ISO time the API takes. */
export function parseExpires(text: string, now = Date.now()): string {
  if (/^\d{4}-\d\d-\d\d/.test(text)) {
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw new InvalidArgumentError(EXPIRES_HINT);
    return new Date(at).toISOString();
  }
  const days = /^(\d+)d$/.exec(text);
  let ms: number;
  try {
    ms = days ? Number(days[1]) * DAY_MS : parseDuration(text);
  } catch {
    throw new InvalidArgumentError(EXPIRES_HINT);
  }
  if (ms <= 0) throw new InvalidArgumentError(EXPIRES_HINT);
  return new Date(now + ms).toISOString();
}

/** EXPIRES: "in 29d", a date further ahead, "expired" in yellow once past; "never" without an expiry. */
export function expiresText(expiresAt: string | undefined, palette: Palette, now = Date.now()): string {
  if (!expiresAt) return 'never';
  const at = Date.parse(expiresAt);
  if (at <= now) return palette.yellow('expired');
  // The age of "now" as seen at the expiry: the time left, in the units AGE uses.
  return at - now < COUNTDOWN_MS ? `in ${age(new Date(now).toISOString(), at)}` : expiresAt.slice(0, 10);
}

/** The tenant's API keys (admins); a key's secret is shown once, when it is made. */
export const apiKeys: Kind<ApiKey> = {
  name: 'apikey',
  plural: 'apikeys',
  aliases: ['key', 'keys'],
  manifestKind: 'ApiKey',
  list: async (r) => (await r.api.get<{ items: ApiKey[] }>('/v1/apikeys')).items,
  idOf: (k) => k.id,
  nameOf: (k) => k.name,
  table: (items, { palette }) =>
    renderTable(
      [
        nameColumn(),
        idColumn(),
        { header: 'ROLE', cell: (k) => k.role },
        { header: 'OPERATOR', cell: (k) => (k.operator ? 'yes' : '') },
        { header: 'EXPIRES', cell: (k) => expiresText(k.expiresAt, palette) },
        // Once some key is limited to a project: where each key's role holds.
        ...(items.some((k) => k.projectId !== undefined) ? [projectColumn<ApiKey>(TENANT_WIDE)] : []),
        ageColumn(),
      ],
      items,
      palette.bold,
    ),
  createRequest: async (m, r) => ({ path: '/v1/apikeys', body: await ownedBody(m, r) }),
  madeNote: (created) => `its secret, shown once: ${(created as ApiKeyCreated).key}`,
  deletePath: (k) => `/v1/apikeys/${encodeURIComponent(k.id)}`,
};
