import { COMMAND_KINDS, CommandReport, isFinal, type CommandKind } from '../../core/agent-commands.js';
import { appendEvent } from '../../adapters/dynamodb/events-store.js';
import { DomainError, conflict } from '../../core/errors.js';
import { getCommand, updateCommand } from '../../adapters/dynamodb/commands-store.js';
import { validate } from '../commons/validation.js';
import type { AgentRequest, AgentResult } from './api.js';
import { agentReply } from './api.js';
import { forgetCluster } from './auth.js';
import { logCollectionEnded } from '../commons/log-collection.js';

/**
 * POST /agent/v1/commands/{id}/result — progress (Running) and then the outcome of a command the
 * agent received. Untrusted like every report: a Succeeded result must be what the command's kind
 * answers. A final report sent again is a no-op (delivery is at least once); another outcome after
 * a final one is 409; a command of another cluster is not found; one past its deadline is gone.
 */
export async function commandResult(req: AgentRequest): Promise<AgentResult> {
  const { cluster, claims } = req.agent!;
  const report = validate(CommandReport, req.body, '');
  const command = await getCommand(claims.tenantId, cluster.id, req.params.id!);
  const at = req.now.toISOString();
  if (isFinal(command.status)) {
    if (command.status === report.status) return agentReply(200, { id: command.id, status: command.status });
    if (command.status === 'Expired') throw new DomainError(410, 'Gone', `command ${command.id} expired at ${command.deadline}`, [{ path: 'path.id', message: 'expired' }]);
    throw conflict(`command ${command.id} is already ${command.status}`, 'status');
  }
  if (at >= command.deadline) {
    await updateCommand(claims.tenantId, command, 'Expired', { message: `no outcome by its deadline ${command.deadline}` }, at);
    forgetCluster(claims.tenantId, cluster.id);
    throw new DomainError(410, 'Gone', `command ${command.id} expired at ${command.deadline}`, [{ path: 'path.id', message: 'expired' }]);
  }
  const kind: CommandKind = COMMAND_KINDS[command.kind];
  // A failure that says what was left (a drain's remaining pods) is as untrusted as a success.
  const failure = report.status === 'Failed' && report.result !== undefined ? kind.failureResult : undefined;
  const progress = report.status === 'Running' && report.result !== undefined ? kind.progressResult : undefined;
  const result =
    report.status === 'Succeeded'
      ? validate(kind.result, report.result ?? {}, 'result')
      : failure
        ? validate(failure, report.result, 'result')
        : progress
          ? validate(progress, report.result, 'result')
          : report.status === 'Running'
            ? undefined // a kind that does not say what its progress holds keeps none
            : report.result;
  const moved = await updateCommand(claims.tenantId, command, report.status, { progress: report.progress, message: report.message, result }, at);
  if (!moved) {
    // A concurrent report made it final first: the same outcome is fine, another is not.
    const now = await getCommand(claims.tenantId, cluster.id, command.id);
    if (now.status !== report.status) throw conflict(`command ${command.id} is already ${now.status}`, 'status');
  }
  if (moved && kind.progressEvents && result !== undefined) {
    // Delivered again, a report makes the same events: each is recorded once.
    for (const e of kind.progressEvents(command.args, command.result, result)) {
      await appendEvent({ clusterId: cluster.id, clusterName: cluster.name, tenantId: claims.tenantId, ...e }, `${command.id}#${e.subject}#${e.reason}`);
    }
  }
  if (moved && command.kind === 'collectLogs' && (report.status === 'Succeeded' || report.status === 'Failed')) {
    const { requestId } = command.args as { requestId: string };
    await logCollectionEnded(claims.tenantId, { clusterId: cluster.id, id: requestId }, { status: report.status, message: report.message, result }, at);
  }
  if (isFinal(report.status)) forgetCluster(claims.tenantId, cluster.id); // its open-command count changed
  return agentReply(200, { id: command.id, status: report.status });
}
