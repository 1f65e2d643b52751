import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { Clock } from '../../../agent/agent.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** A fixture as parsed JSON/YAML (never modified: callers get a fresh copy each time). */
export function fixture(path: string): any {
  const text = readFileSync(FIXTURES + path, 'utf8');
  return path.endsWith('.json') ? JSON.parse(text) : parse(text);
}

/** The items of a fixture: a List's items, or the lone object. */
export function fixtureItems(path: string): any[] {
  const data = fixture(path);
  return Array.isArray(data.items) ? data.items : [data];
}

export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export type Handler = (req: Recorded, res: ServerResponse) => void | Promise<void>;

export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly requests: Recorded[];
  /** Stops listening (connections are then refused); `listen()` starts again on the same port. */
  close(): Promise<void>;
  listen(): Promise<void>;
}

/** A node:http server on 127.0.0.1 that records every request and hands it to `handler`. */
export async function startServer(handler: Handler, port = 0): Promise<TestServer> {
  const requests: Recorded[] = [];
  let server: Server | undefined;
  let boundPort = port;
  const listen = async () => {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const rec: Recorded = { method: req.method ?? '', path: u.pathname, query: u.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        requests.push(rec);
        Promise.resolve(handler(rec, res)).catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(err) }));
        });
      });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(boundPort, '127.0.0.1', () => resolve());
    });
    boundPort = (s.address() as AddressInfo).port;
    server = s;
  };
  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${boundPort}`;
    },
    get port() {
      return boundPort;
    },
    requests,
    listen,
    close: async () => {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

export const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/** A KubeConfig for a plain-HTTP test API server. */
export function kubeConfigFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

/** What the fake Kubernetes API lists. */
export interface ClusterFixtures {
  readonly nodes: unknown[];
  readonly pods: unknown[];
  readonly services: unknown[];
  /** undefined: metrics.k8s.io is not served (404). */
  readonly nodeMetrics?: unknown[];
}

const LISTS = {
  '/api/v1/nodes': ['nodes', 'NodeList', 'v1'],
  '/api/v1/pods': ['pods', 'PodList', 'v1'],
  '/api/v1/services': ['services', 'ServiceList', 'v1'],
  '/apis/metrics.k8s.io/v1beta1/nodes': ['nodeMetrics', 'NodeMetricsList', 'metrics.k8s.io/v1beta1'],
} as const;

/**
 * A Kubernetes API handler serving the fixtures as List objects, paged by `limit`/`continue`
 * (the continue token is the offset) like the API server; plus core/v1 discovery and
 * server-side apply (PATCH answered with the applied object).
 */
export function kubeHandler(data: ClusterFixtures): Handler {
  return (req, res) => {
    const list = LISTS[req.path as keyof typeof LISTS];
    if (req.method === 'GET' && list) {
      const [key, kind, apiVersion] = list;
      const items = data[key];
      if (!items) return sendJson(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'the server could not find the requested resource', code: 404 });
      const offset = Number(req.query.get('continue') ?? 0);
      const limit = Number(req.query.get('limit') ?? 0) || items.length;
      const page = items.slice(offset, offset + limit);
      const next = offset + limit < items.length ? String(offset + limit) : undefined;
      return sendJson(res, 200, { kind, apiVersion, metadata: { resourceVersion: '1', ...(next ? { continue: next } : {}) }, items: page });
    }
    if (req.method === 'GET' && req.path === '/api/v1') {
      return sendJson(res, 200, {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [
          { name: 'configmaps', singularName: 'configmap', namespaced: true, kind: 'ConfigMap', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
          { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
        ],
      });
    }
    if (req.method === 'PATCH') return sendJson(res, 200, JSON.parse(req.body));
    return sendJson(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `no route ${req.method} ${req.path}`, code: 404 });
  };
}

/**
 * A clock for the loop: `now()` moves only when a sleep ends. In manual mode a sleep lasts until
 * the agent is woken (or stopped) or the test calls `elapse()`; in auto mode it ends at once (after
 * `onSleep`, which tests use to change the world between attempts).
 */
export class FakeClock implements Clock {
  t = 1_000_000;
  readonly sleeps: number[] = [];
  private pending?: () => void;

  constructor(
    private readonly mode: 'manual' | 'auto',
    private readonly onSleep?: (ms: number, index: number) => void | Promise<void>,
  ) {}

  now() {
    return this.t;
  }

  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    await this.onSleep?.(ms, this.sleeps.length);
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.pending = undefined;
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.pending = () => {
        this.t += ms;
        done();
      };
      if (this.mode === 'auto') setImmediate(() => this.pending?.());
    });
  }

  /** Whether the agent is in a sleep now. */
  get sleeping(): boolean {
    return this.pending !== undefined;
  }

  /** Lets the current sleep run to its end. */
  elapse() {
    this.pending?.();
  }
}

/** Resolves once `predicate` holds, polling; fails after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 5));
  }
}
