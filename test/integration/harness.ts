import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { RateLimits } from '../../core/rate-limits.js';
import { startRuntime, type Runtime } from '../../local/runtime.js';
import { Contract } from '../contract.js';

/** The OpenAPI document, checking every answer the tests receive. */
let contract: Contract | undefined;

export interface Reply<T = any> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface Api {
  readonly runtime: Runtime;
  readonly key: string;
  call<T = any>(method: string, path: string, opts?: { body?: unknown; raw?: string; key?: string | null; headers?: Record<string, string> }): Promise<Reply<T>>;
  stop(): Promise<void>;
}

/**
 * A local runtime of its own for one test file (own tables in the shared DynamoDB Local), driven over HTTP.
 * Tenants are not rate-limited unless a file asks for limits (`rateLimits`): most files send bursts
 * from the default tenant, and the limits have their own test.
 */
export async function startApi(
  timings: { bootMs?: number; agentIntervalMs?: number; workflowWaitMs?: number; sweepIntervalMs?: number; logBundleMaxBytes?: number; rateLimits?: RateLimits | false } = {},
): Promise<Api> {
  const runtime = await startRuntime({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tablePrefix: `t${randomBytes(4).toString('hex')}-`,
    bootMs: 20,
    agentIntervalMs: 200,
    workflowWaitMs: 20,
    rateLimits: false,
    ...timings,
  });
  const call: Api['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    const key = opts.key === undefined ? runtime.apiKey : opts.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) body = JSON.stringify(opts.body);
    // Bodies are JSON unless a test says otherwise; an empty content-type header sends none.
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    if (headers['content-type'] === '') delete headers['content-type'];
    const res = await fetch(`${runtime.url}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    if (!path.startsWith('/local/')) {
      const violations = (contract ??= new Contract()).violations(method, path, res.status, res.headers.get('content-type'), parsed);
      if (violations.length) throw new Error(`the answer breaks the API contract (openapi.json):\n${violations.join('\n')}\nbody: ${text.slice(0, 600)}`);
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
  return { runtime, key: runtime.apiKey, call, stop: runtime.stop };
}

/** A minimal valid cluster body on the sample profile and a local cloud account. */
export function clusterBody(cloudAccountId: string, overrides: Record<string, unknown> = {}) {
  return {
    name: 'demo',
    profileId: 'pf-sample',
    cloudAccountId,
    region: 'sim-east-1',
    nodePools: [
      { name: 'cp', role: 'controlPlane', count: 1, instanceType: 'sim.large', zones: ['sim-east-1a'], diskGiB: 50 },
      { name: 'workers', role: 'worker', count: 2, instanceType: 'sim.large', zones: ['sim-east-1a', 'sim-east-1b'], diskGiB: 80 },
    ],
    ...overrides,
  };
}

/** Poll until `check` returns a value (not undefined), or fail after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
