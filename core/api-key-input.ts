import { z } from 'zod';
import { CLEAN_TEXT_MESSAGE, isCleanText } from './text.js';
import { ROLES } from './roles.js';

/** POST /v1/apikeys: a name to recognise the key by, and its role. */
export const CreateApiKeyInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100).refine(isCleanText, CLEAN_TEXT_MESSAGE),
    role: z.enum(ROLES),
  })
  .meta({ id: 'CreateApiKeyInput' });
export type CreateApiKeyInput = z.infer<typeof CreateApiKeyInput>;
