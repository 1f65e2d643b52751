import { z } from 'zod';
import { CLEAN_TEXT_MESSAGE, isCleanText } from './text.js';

export const DEFAULT_TENANT_ID = 'default';
/** Owner of the built-in public pack registry. Not a real tenant; nobody can hold its keys. */
export const PUBLIC_OWNER = 'public';

/** A tenant's name, which is also its id and the slug people sign in with. */
export const TENANT_NAME = /^[a-z][a-z0-9-]{1,62}$/;

export const CreateTenantInput = z
  .strictObject({
    name: z
      .string()
      .regex(TENANT_NAME, 'lower-case letters, digits and dashes, starting with a letter (2-63 chars)')
      .refine((n) => n !== 'public', '"public" is reserved for the built-in registry'),
    displayName: z.string().trim().min(1).max(200).refine(isCleanText, CLEAN_TEXT_MESSAGE).optional(),
  })
  .meta({ id: 'CreateTenantInput' });
export type CreateTenantInput = z.infer<typeof CreateTenantInput>;

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly displayName?: string;
  readonly createdAt: string;
}
