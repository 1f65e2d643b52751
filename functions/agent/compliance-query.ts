import { z } from 'zod';

/** POST /agent/v1/compliance ?node=&scanId= */
export const ComplianceReportQuery = z.strictObject({
  node: z.string().max(253).regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a node name').meta({ description: 'the node kube-bench ran on' }),
  scanId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'a scan id').optional().meta({ description: 'the scan (runCisScan command) this answers; absent for a run on its own schedule by the agent' }),
});
