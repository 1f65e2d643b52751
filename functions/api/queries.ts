import { z } from 'zod';
import { PHASES } from '../../core/cluster-record.js';
import { CLOUDS, LAYERS } from '../../core/pack-kinds.js';
import { AUDIT_OUTCOMES } from '../../core/audit.js';

/**
 * The query strings the API takes. Apart from the response schemas (functions/api/schemas.ts, which
 * re-exports these for the OpenAPI document), so a handler that validates a query does not build
 * every response schema when it loads.
 */
/** ?limit=&cursor= on every list endpoint. */
export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: 'page size, 1-100' }),
  cursor: z.string().max(2048).optional().meta({ description: 'the nextCursor of the previous page' }),
});

export const ClusterQuery = ListQuery.extend({ phase: z.enum(PHASES).optional().meta({ description: 'only clusters in this phase (Deleted ones show only when asked for)' }) });

export const ImageQuery = ListQuery.extend({
  signature: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 signature: 64 lower-case hex digits').optional().meta({ description: 'only images with this signature' }),
  cloud: z.enum(CLOUDS).optional(),
  region: z.string().regex(/^[a-z0-9-]{2,40}$/, 'a region name such as us-east-1').optional(),
  pack: z.string().max(64).optional().meta({ description: 'only images made from this OS pack (its id)' }),
});

export const PackQuery = ListQuery.extend({ layer: z.enum(LAYERS).optional(), name: z.string().max(63).optional() });

/** A revision number in the query string; missing or malformed is a 400 naming the parameter. */
const RevisionParam = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required: a revision number such as 1' : 'must be a revision number such as 1') })
  .regex(/^[1-9]\d{0,8}$/, 'must be a revision number such as 1')
  .transform(Number);
export const DiffQuery = z.strictObject({ from: RevisionParam, to: RevisionParam });

export const ValidateQuery = z.strictObject({
  /** Where to check: an AWS region (default: Strata's own) or an Azure location. */
  region: z.string().regex(/^[a-z0-9-]{2,40}$/, 'a region name such as us-east-1').optional(),
});

export const WINDOWS = {
  '1h': { ms: 3_600_000, res: '1m' },
  '24h': { ms: 86_400_000, res: '5m' },
  '7d': { ms: 7 * 86_400_000, res: '5m' },
  '30d': { ms: 30 * 86_400_000, res: '1h' },
} as const;
const Window = z.enum(Object.keys(WINDOWS) as [keyof typeof WINDOWS]).default('1h');
export const UsageQuery = z.strictObject({
  window: Window,
  includeControlPlane: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});
export const NodeQuery = z.strictObject({ window: Window });

/** What both event streams filter by: each given filter must hold. */
const EventFilters = {
  type: z.enum(['Normal', 'Warning']).optional().meta({ description: 'only Normal or only Warning events' }),
  reason: z
    .string()
    .max(1100)
    .regex(/^[A-Za-z0-9]{1,100}(,[A-Za-z0-9]{1,100}){0,9}$/, 'one reason, or up to 10 separated by commas (letters and digits)')
    .optional()
    .meta({ description: 'only events with this reason, or one of these (comma-separated, up to 10), e.g. NodePatchFailed,NodeRepair' }),
  subject: z.string().min(1).max(317).optional().meta({ description: 'only events about this subject (a node, a condition type), exactly' }),
  since: z.iso.datetime({ offset: true }).optional().meta({ description: 'only events last seen at or after this time (ISO 8601)' }),
};
export const EventQuery = ListQuery.extend(EventFilters);
export const TenantEventQuery = EventQuery.extend({ cluster: z.string().min(1).max(100).optional().meta({ description: 'only the events of this cluster (id)' }) });
/** Long polling (API Gateway ends an integration at 29 s): the answer comes as soon as there is news, or empty after waitSeconds. */
export const FOLLOW_MAX_WAIT_SECONDS = 20;
export const FollowQuery = z.strictObject({
  after: z.string().min(1).max(64).optional().meta({ description: "the last event id seen (an answer's `after`); without it, the follow starts now" }),
  waitSeconds: z.coerce.number().int().min(0).max(FOLLOW_MAX_WAIT_SECONDS).default(FOLLOW_MAX_WAIT_SECONDS).meta({ description: `seconds to wait for news, 0-${FOLLOW_MAX_WAIT_SECONDS} (default ${FOLLOW_MAX_WAIT_SECONDS})` }),
});
export const EventFollowQuery = FollowQuery.extend({ type: EventFilters.type, reason: EventFilters.reason, subject: EventFilters.subject });

export const UpdateQuery = z.strictObject({
  toRevision: z
    .string()
    .regex(/^[1-9]\d{0,8}$/, 'must be a revision number such as 1')
    .transform(Number)
    .optional()
    .meta({ description: 'compare with this revision instead of the latest (an earlier one previews a rollback)' }),
});

/** ?dryRun=true: answer what the change would do, writing nothing and starting nothing. */
export const DryRunQuery = z.strictObject({
  dryRun: z.enum(['true', 'false']).optional().meta({ description: 'true: validate the change and answer the exact ordered plan it would run; nothing is written and no workflow starts' }),
});

const IsoTime = z.iso.datetime({ offset: true, error: 'an ISO 8601 time such as 2026-05-01T12:00:00Z' });
/** What the audit log filters by: each given filter must hold. */
const AuditFilters = {
  actor: z.string().min(1).max(128).optional().meta({ description: 'only requests of this API key (its id)' }),
  action: z.string().regex(/^(GET|POST|PUT|DELETE) \/[A-Za-z0-9/{}._-]{1,200}$/, 'a route such as "POST /v1/clusters"').optional().meta({ description: 'only this route, e.g. POST /v1/clusters' }),
  resourceType: z.string().regex(/^[a-z]{1,40}$/, 'a resource type such as clusters').optional().meta({ description: 'e.g. clusters, profiles, apikeys' }),
  resourceId: z.string().min(1).max(256).optional().meta({ description: 'only requests on this resource (its id)' }),
  project: z.string().min(1).max(64).optional().meta({ description: 'only requests on this project\'s resources' }),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  since: IsoTime.optional().meta({ description: 'at or after this time' }),
  until: IsoTime.optional().meta({ description: 'before this time' }),
};
export const AuditQuery = ListQuery.extend(AuditFilters);
export const AuditExportQuery = z.strictObject({ ...AuditFilters, cursor: ListQuery.shape.cursor });
