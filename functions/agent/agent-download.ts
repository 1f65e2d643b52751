import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ticketExpired } from '../../core/bootstrap.js';
import { DomainError, unauthorized } from '../../core/errors.js';
import type { AgentRequest, AgentResult } from './api.js';

/** Where the bundle is: beside the handler in Lambda (the stack copies it there), dist/ locally. */
const bundlePath = () => process.env.AGENT_BUNDLE_PATH ?? join(process.env.LAMBDA_TASK_ROOT ?? '.', 'strata-agent.mjs');

let gzipped: Promise<Buffer> | undefined;

/**
 * POST /agent/v1/agent — the agent, one bundled file (gzip), for a booting control-plane node whose
 * image does not carry this version. The node's bootstrap ticket authenticates the download by its
 * MAC alone and is not spent (the bootstrap bundle spends it); the node checks the file's sha256
 * from its user data before it runs it.
 */
export async function agentDownload(req: AgentRequest): Promise<AgentResult> {
  if (ticketExpired(req.ticket!.issuedAt, req.now)) throw unauthorized('this bootstrap ticket has expired');
  const body = await (gzipped ??= readFile(bundlePath()).then((b) => gzipSync(b, { level: 9 }))).catch((err: unknown) => {
    gzipped = undefined;
    throw new DomainError(503, 'Unavailable', `the agent bundle is not available here: ${(err as Error).message}`, [{ path: 'path', message: 'retry later' }]);
  });
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/gzip', 'cache-control': 'no-store', 'content-disposition': 'attachment; filename="strata-agent.mjs.gz"' },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}
