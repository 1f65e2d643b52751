import { createServer, type Server } from 'node:http';
import { LOCAL_FUNCTIONS, loadHandler } from './handlers.js';
import { lambdaContext } from './lambda-context.js';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;


/**
 * The Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations) on loopback, so the
 * real Lambda client reaches the same handlers. `Event` invocations answer 202 and run behind.
 */
export class LocalLambda {
  private server?: Server;
  private readonly inFlight = new Set<Promise<unknown>>();
  endpoint = '';
  invocations = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
        const name = m ? decodeURIComponent(m[1]!) : '';
        const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(body === undefined ? '' : JSON.stringify(body));
        };
        if (req.method !== 'POST' || !LOCAL_FUNCTIONS[name]) return reply(404, { Type: 'User', message: `Function not found: ${name}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
        let payload: unknown;
        try {
          payload = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        } catch {
          return reply(400, { message: 'payload is not JSON' }, { 'x-amzn-errortype': 'InvalidRequestContentException' });
        }
        this.invocations++;
        const run = this.run(name, payload);
        if (req.headers['x-amz-invocation-type'] === 'Event') {
          const tracked = run.catch((err: Error) => console.error(`async invoke of ${name} failed:`, err.message)).finally(() => this.inFlight.delete(tracked));
          this.inFlight.add(tracked);
          return reply(202, undefined);
        }
        run.then(
          (result) => reply(200, result ?? null),
          (err: Error) => reply(200, { errorType: err.name, errorMessage: err.message }, { 'x-amz-function-error': 'Unhandled' }),
        );
      });
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    const addr = this.server.address();
    this.endpoint = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return this.endpoint;
  }

  private async run(name: string, payload: unknown): Promise<unknown> {
    const fn = await loadHandler<Handler>(LOCAL_FUNCTIONS[name]!);
    return fn(payload, lambdaContext(name));
  }

  /** Wait for asynchronous invocations under way. */
  async settle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  async stop(): Promise<void> {
    await this.settle().catch(() => undefined);
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }
}
