import { z } from 'zod';

/** ?limit=&cursor= on every list endpoint. */
export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(2048).optional(),
});
