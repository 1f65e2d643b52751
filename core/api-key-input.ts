import { z } from 'zod';
import { CLEAN_TEXT_MESSAGE, isCleanText } from './text.js';
import { ROLES } from './roles.js';
import { API_KEY_MAX_LIFETIME_YEARS } from './api-keys.js';
import { clock } from './clock.js';
import { ProjectId } from './projects.js';

/** The latest expiry a key made at `nowMs` may have. */
function latestExpiry(nowMs: number): number {
  const limit = new Date(nowMs);
  limit.setUTCFullYear(limit.getUTCFullYear() + API_KEY_MAX_LIFETIME_YEARS);
  return limit.getTime();
}

/** Checked against the core clock, so a runtime with a simulated clock judges by its own time. */
const ExpiresAt = z.iso
  .datetime({ offset: true, abort: true, error: 'an ISO 8601 time with its offset, such as 2027-01-01T00:00:00Z' })
  .refine((t) => Date.parse(t) > clock.now(), 'must be in the future')
  .refine((t) => Date.parse(t) <= latestExpiry(clock.now()), `must be at most ${API_KEY_MAX_LIFETIME_YEARS} years ahead`)
  .meta({ description: `when the key stops working (ISO 8601, in the future, at most ${API_KEY_MAX_LIFETIME_YEARS} years ahead); without it, the key works until revoked` });

/** POST /v1/apikeys: a name to recognise the key by, its role, and optionally when it expires. */
export const CreateApiKeyInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100).refine(isCleanText, CLEAN_TEXT_MESSAGE),
    role: z.enum(ROLES),
    expiresAt: ExpiresAt.optional(),
    projectId: ProjectId.optional().meta({ description: 'limit the key to this project: its role holds there only; without it, over the whole tenant' }),
  })
  .meta({ id: 'CreateApiKeyInput' });
export type CreateApiKeyInput = z.infer<typeof CreateApiKeyInput>;
