import { createServer, type Server } from 'node:http';

/** An error as an AWS JSON-protocol service answers it: HTTP 400 and {__type, message}. */
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export type Operation = (input: Record<string, unknown>) => unknown;

/**
 * A small AWS JSON-protocol service (X-Amz-Target: <Prefix>.<Operation>) on loopback, so the
 * real SDK clients, pointed at it through AWS_ENDPOINT_URL_<SERVICE>, run unchanged locally.
 * Only the operations Strata calls are implemented; any other is refused by name.
 */
export async function startJsonService(name: string, targetPrefix: string, operations: Record<string, Operation>): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.startsWith(`${targetPrefix}.`) ? operations[target.slice(targetPrefix.length + 1)] : undefined;
      if (!op) return reply(400, { __type: 'UnknownOperationException', message: `${target} is not supported by the local ${name}` });
      try {
        reply(200, op(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>) ?? {});
      } catch (err) {
        if (err instanceof ServiceError) return reply(err.status, { __type: err.type, message: err.message });
        reply(500, { __type: 'InternalFailure', message: (err as Error).message });
      }
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const addr = server.address();
  return {
    endpoint: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    stop: () => new Promise<void>((done) => server.close(() => done())),
  };
}
