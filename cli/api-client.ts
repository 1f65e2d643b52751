import { ApiError, Failure } from './errors.js';
import type { ErrorBody, Page } from './api-types.js';
import { CLI_VERSION } from './version.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

/** The largest page the API gives; fewer round trips when a whole list is needed. */
const PAGE_LIMIT = 100;

/**
 * What a request is authorized with: an API key, or a function giving the bearer token at the time
 * of each request (a sign-in's ID token, refreshed when it expires); none for the public routes.
 */
export type Credential = string | (() => Promise<string>);

/** A client of the public REST API: one base URL, one credential, JSON both ways. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly key: Credential | undefined,
  ) {}

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts, 'application/json');
    const text = await res.text();
    if (!res.ok) throw errorOf(res.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * A GET whose answer is not one JSON document (an export in JSON lines): the response with its
   * headers and its body unread, to be streamed; an error answer is thrown as for any request.
   */
  async getRaw(path: string, query: Query | undefined, accept: string): Promise<Response> {
    const res = await this.send('GET', path, { query }, accept);
    if (!res.ok) throw errorOf(res.status, await res.text());
    return res;
  }

  private async send(method: string, path: string, opts: RequestOptions, accept: string): Promise<Response> {
    const url = new URL(this.baseUrl.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept, 'user-agent': `strata-cli/${CLI_VERSION}` };
    const token = typeof this.key === 'function' ? await this.key() : this.key;
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Failure(`cannot reach the Strata API at ${this.baseUrl}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  /** Every item of a paged list, following nextCursor; or its first `max` items. */
  async listAll<T>(path: string, query: Query = {}, max = Infinity): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<Page<T>>(path, { ...query, limit: Math.min(PAGE_LIMIT, max - items.length), cursor });
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && items.length < max);
    return items.slice(0, max);
  }
}

/** The API's own error, or as close to it as the answer allows (a gateway's HTML page, say). */
function errorOf(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (typeof body.message === 'string') return new ApiError(status, body.error ?? String(status), body.message, body.details ?? []);
  } catch {
    // not JSON: fall through
  }
  return new ApiError(status, String(status), `the API answered ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}
