import { isFinal } from '../../core/agent-commands.js';
import { DomainError, conflict, payloadTooLarge } from '../../core/errors.js';
import { UPLOAD_FORM_SECONDS, UploadFormRequest } from '../../core/log-bundles.js';
import { getCommand } from '../../adapters/dynamodb/commands-store.js';
import { getLogRequest, moveLogRequest } from '../../adapters/dynamodb/log-requests-store.js';
import { archives, logBundleCap } from '../commons/log-collection.js';
import { validate } from '../commons/validation.js';
import type { AgentRequest, AgentResult } from './api.js';
import { agentReply } from './api.js';

/**
 * POST /agent/v1/logs/{id}/upload — the agent has made the archive and asks where to put it: a
 * presigned POST for exactly the request's key, its policy capping the size and the time. Only
 * while the request's command is open: a request already Ready or Failed is 409, one whose
 * command ended or passed its deadline 410.
 */
export async function logUploadForm(req: AgentRequest): Promise<AgentResult> {
  const { cluster, claims } = req.agent!;
  const { bytes } = validate(UploadFormRequest, req.body, '');
  const cap = logBundleCap();
  if (bytes > cap) throw payloadTooLarge(cap);
  const request = await getLogRequest(claims.tenantId, cluster.id, req.params.id!);
  if (request.status === 'Ready' || request.status === 'Failed') throw conflict(`log request ${request.id} is already ${request.status}`, 'status');
  const command = await getCommand(claims.tenantId, cluster.id, request.commandId);
  const at = req.now.toISOString();
  if (isFinal(command.status) || at >= command.deadline) {
    throw new DomainError(410, 'Gone', `log request ${request.id} is no longer collecting (its command is ${command.status}, deadline ${command.deadline})`, [{ path: 'path.id', message: 'not collecting' }]);
  }
  // Ended between the read and now (a report, an expiry): no form for it.
  if (!(await moveLogRequest(claims.tenantId, request, 'Collecting', at))) throw conflict(`log request ${request.id} is no longer open`, 'status');
  const form = await (await archives()).presignUpload(request.key, cap, UPLOAD_FORM_SECONDS);
  return agentReply(200, { ...form, maxBytes: cap });
}
