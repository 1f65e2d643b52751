import { BakeReport } from '../../core/bake-report.js';
import { parseBakeId } from '../../core/bake-token.js';
import { DomainError, conflict, notFound } from '../../core/errors.js';
import { changeImage, getImage } from '../../adapters/dynamodb/images-store.js';
import { validate } from '../commons/validation.js';
import type { AgentRequest, AgentResult } from './api.js';
import { agentReply } from './api.js';


/**
 * POST /agent/v1/bakes/{id}/result — a builder's outcome of its customization. The token names
 * one attempt of one image; a report for another attempt, or after the bake moved past waiting for
 * it, changes nothing (delivery is at least once: the same report again is a 200).
 */
export async function bakeResult(req: AgentRequest): Promise<AgentResult> {
  const { tenantId, bakeId } = req.bake!;
  if (req.params.id !== bakeId) throw notFound('bake', req.params.id!, 'path.id');
  const report = validate(BakeReport, req.body, '');
  const { imageId, attempt } = parseBakeId(bakeId)!;
  const image = await getImage(tenantId, imageId);
  if (!image || image.attempt !== attempt) throw new DomainError(410, 'Gone', `bake ${bakeId} is no longer running`, [{ path: 'path.id', message: 'not the current attempt' }]);
  const at = req.now.toISOString();
  // Keep the tail: a playbook's last lines say what failed.
  const message = report.message.slice(-2000);
  const after = await changeImage(tenantId, imageId, (i) => (i.attempt !== attempt || i.customization ? undefined : { customization: { succeeded: report.succeeded, message, at } }));
  if (after?.customization && after.attempt === attempt && after.customization.succeeded !== report.succeeded) {
    throw conflict(`bake ${bakeId} already reported ${after.customization.succeeded ? 'success' : 'failure'}`, 'succeeded');
  }
  return agentReply(200, { id: bakeId, succeeded: report.succeeded });
}
