import { z } from 'zod';

/** What an image builder reports when its playbook ends: untrusted like every report, and bounded. */
export const BakeReport = z
  .strictObject({
    succeeded: z.boolean(),
    message: z.string().max(8192).meta({ description: "the playbook's last lines" }),
  })
  .meta({ id: 'BakeReport' });
export type BakeReport = z.infer<typeof BakeReport>;

export const BakeAck = z.strictObject({ id: z.string(), succeeded: z.boolean() }).meta({ id: 'BakeAck' });
