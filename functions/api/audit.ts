import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { AuditEntry, AuditFilter } from '../../core/audit.js';
import { invalidField } from '../../core/errors.js';
import { requireRole } from '../../core/roles.js';
import { listAudit } from '../../adapters/dynamodb/audit-store.js';
import { httpApi, json, parseQuery, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';
import { AuditExportQuery, AuditQuery } from './queries.js';

/** Entries in one export answer: about 3 MB of JSON lines, inside Lambda's 6 MB response limit. */
export const EXPORT_MAX_ENTRIES = 5_000;
const EXPORT_PAGE = 100;

/** The filters of a query, times as the entries write them (UTC, milliseconds), so they compare as keys. */
function filterOf(q: { since?: string; until?: string } & Omit<AuditFilter, 'since' | 'until'>): AuditFilter {
  const { since, until, ...rest } = q;
  const iso = (t: string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
  const f = { ...rest, since: iso(since), until: iso(until) };
  if (f.since && f.until && f.since >= f.until) throw invalidField('query.until', 'must be after since');
  return f;
}

/** The tenant's audit log: admins read it; nobody changes it. */
export const handler = middy(
  router({
    'GET /v1/audit': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'admin');
      const { limit, cursor, ...filters } = parseQuery(event, AuditQuery);
      return json(200, await listAudit(who.tenantId, filterOf(filters), { limit, cursor }));
    },
    'GET /v1/audit/export': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'admin');
      const { cursor: from, ...filters } = parseQuery(event, AuditExportQuery);
      const filter = filterOf(filters);
      const entries: AuditEntry[] = [];
      let cursor = from;
      do {
        const page = await listAudit(who.tenantId, filter, { limit: Math.min(EXPORT_PAGE, EXPORT_MAX_ENTRIES - entries.length), cursor });
        entries.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor && entries.length < EXPORT_MAX_ENTRIES);
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', ...(cursor ? { 'x-next-cursor': cursor } : {}) },
        body: entries.map((e) => `${JSON.stringify(e)}\n`).join(''),
      };
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
