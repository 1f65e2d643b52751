import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AzureCredential, AzureHttpClient } from '../../../../adapters/cloud/azure/azure-provider.js';

/** One request Azure Resource Manager received. */
export interface ArmCall {
  readonly method: string;
  /** Path as sent (ARM paths are case-insensitive; compare with `same()`). */
  readonly path: string;
  readonly apiVersion: string | undefined;
  readonly query: Readonly<Record<string, string>>;
  readonly body: any;
  readonly authorization: string | undefined;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

type Responder = (call: ArmCall, arm: FakeArm) => Reply | undefined;

/** Collections the fake lists as `{ value: [...] }` when a GET names one. */
const COLLECTIONS = new Set(['virtualmachines', 'networkinterfaces', 'resources']);

const lower = (p: string) => p.toLowerCase().replace(/\/+$/, '');

/** `.../resourceGroups/<rg>/...` → the resource group's own path, lower-cased. */
function groupPath(path: string): string | undefined {
  const m = /^(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+)/i.exec(path);
  return m ? lower(m[1]!) : undefined;
}

/** What the rule-health API says of one backend ipConfiguration. */
export interface BackendHealth {
  readonly state: 'Up' | 'Down';
  readonly reason: string;
}

/**
 * A small Azure Resource Manager on 127.0.0.1: it records every request, keeps what PUT wrote
 * (so GET, list and a second PUT behave as on Azure), answers PUTs as finished at once (200/201
 * with provisioningState Succeeded, so pollers stop after the first response), and lets a test
 * script any other answer with `on()`. Like Azure it fills in what the platform decides: private
 * and public addresses, a public IP's FQDN, an identity's principal id, and a load balancer
 * pool's backendIPConfigurations from the NICs that name the pool.
 */
export class FakeArm {
  readonly calls: ArmCall[] = [];
  /** lower-cased resource id → the resource as ARM returns it (wire format, `properties` nested). */
  readonly store = new Map<string, any>();
  /** lower-cased NIC ipConfiguration id → its probe result; a backend not in here is not probed yet (Down, NA). */
  readonly health = new Map<string, BackendHealth>();
  private readonly responders: { method: string; path: RegExp; respond: Responder; times: number }[] = [];
  private nextIp = 4;
  private nextPublicIp = 10;
  /** Frontends count down from the top of the range, so NIC addresses read as before. */
  private nextFrontendIp = 250;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FakeArm> {
    const ready: { arm?: FakeArm } = {};
    const server = createServer((req, res) => void ready.arm!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ready.arm = new FakeArm(server, (server.address() as AddressInfo).port);
    return ready.arm;
  }

  /** The endpoint the provider is given: the SDK insists on https for bearer tokens (see transport). */
  get endpoint(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((e) => (e ? reject(e) : resolve())));
  }

  reset(): void {
    this.calls.length = 0;
    this.store.clear();
    this.responders.length = 0;
    this.health.clear();
    this.nextIp = 4;
    this.nextPublicIp = 10;
    this.nextFrontendIp = 250;
  }

  /** Answer `method` on paths matching `path` (case-insensitive) with `reply`, `times` times (default: always). */
  on(method: string, path: RegExp, reply: Reply | Responder, times = Infinity): void {
    const respond: Responder = typeof reply === 'function' ? reply : () => reply;
    this.responders.push({ method, path: new RegExp(path.source, 'i'), respond, times });
  }

  /** Put a resource in the store as if an earlier run had made it. */
  seed(id: string, resource: Record<string, unknown>): void {
    const name = id.split('/').at(-1);
    this.store.set(lower(id), { id, name, ...resource });
  }

  /** The recorded calls (those `filter` keeps), as `METHOD path`. */
  lines(filter: (c: ArmCall) => boolean = () => true): string[] {
    return this.calls.filter(filter).map((c) => `${c.method} ${c.path}`);
  }

  /** The JSON body of the one `method` call whose path is `path` (case-insensitive). */
  bodyOf(method: string, path: string): any {
    const found = this.calls.filter((c) => c.method === method && lower(c.path) === lower(path));
    if (found.length !== 1) throw new Error(`expected one ${method} ${path}, got ${found.length}`);
    return found[0]!.body;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Concatenate rather than resolve, so a path the SDK sends with '//' is seen as sent.
    const url = new URL(`http://127.0.0.1:${this.port}${req.url ?? '/'}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const call: ArmCall = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      apiVersion: url.searchParams.get('api-version') ?? undefined,
      query: Object.fromEntries(url.searchParams),
      body: text ? JSON.parse(text) : undefined,
      authorization: req.headers.authorization,
    };
    this.calls.push(call);
    let reply: Reply | undefined;
    for (const r of this.responders) {
      if (r.times > 0 && r.method === call.method && r.path.test(call.path)) {
        reply = r.respond(call, this);
        if (reply) {
          r.times--;
          break;
        }
      }
    }
    reply ??= this.default(call);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }

  private default(call: ArmCall): Reply {
    const key = lower(call.path);
    const rg = groupPath(call.path);
    switch (call.method) {
      case 'PUT': {
        const existed = this.store.has(key);
        if (rg && rg !== key && !this.store.has(rg)) return notFound('ResourceGroupNotFound', `Resource group '${rg.split('/').at(-1)}' could not be found.`);
        const resource = this.materialize(call);
        this.store.set(key, resource);
        return { status: existed ? 200 : 201, body: resource };
      }
      case 'GET': {
        if (key.startsWith('/operationresults/')) return { status: 202, headers: { 'retry-after': '15' } };
        const found = this.store.get(key);
        if (found) return { status: 200, body: found };
        const last = key.split('/').at(-1)!;
        if (COLLECTIONS.has(last)) {
          if (rg && !this.store.has(rg)) return notFound('ResourceGroupNotFound', `Resource group '${rg.split('/').at(-1)}' could not be found.`);
          const parent = last === 'resources' ? `${rg}/providers/` : `${key}/`;
          const value = [...this.store.entries()]
            .filter(([id]) => id.startsWith(parent) && (last === 'resources' || !id.slice(parent.length).includes('/')))
            .map(([, r]) => r)
            .filter((r) => matchesTagFilter(r, call.query.$filter));
          return { status: 200, body: { value } };
        }
        return rg === key
          ? notFound('ResourceGroupNotFound', `Resource group '${key.split('/').at(-1)}' could not be found.`)
          : notFound('ResourceNotFound', `The Resource '${call.path}' was not found.`);
      }
      case 'POST': {
        const health = /^(.*\/loadbalancers\/[^/]+)\/loadbalancingrules\/[^/]+\/health$/.exec(key);
        if (!health) break;
        const lb = this.store.get(health[1]!);
        if (!lb) return notFound('ResourceNotFound', `The Resource '${call.path}' was not found.`);
        const configs: string[] = (lb.properties.backendAddressPools ?? []).flatMap((p: any) => (p.properties?.backendIPConfigurations ?? []).map((c: any) => c.id));
        const addresses = configs.map((id) => ({ networkInterfaceIPConfigurationId: id, ...(this.health.get(lower(id)) ?? { state: 'Down', reason: 'NA' }) }));
        return {
          status: 200,
          body: { up: addresses.filter((a) => a.state === 'Up').length, down: addresses.filter((a) => a.state !== 'Up').length, loadBalancerBackendAddresses: addresses },
        };
      }
      case 'DELETE': {
        const found = this.store.get(key);
        if (!found) return { status: 204 };
        if (rg === key) {
          found.properties = { ...found.properties, provisioningState: 'Deleting' };
          return { status: 202, headers: { location: `${this.endpoint}/operationresults/delete-${found.name}`, 'retry-after': '15' } };
        }
        this.store.delete(key);
        return { status: 200 };
      }
    }
    return { status: 405, body: { error: { code: 'MethodNotAllowed', message: `${call.method} ${call.path}` } } };
  }

  /** What ARM returns for a PUT: the body with id, name, type, a finished provisioning state and what Azure decides. */
  private materialize(call: ArmCall): any {
    const segments = call.path.split('/').filter(Boolean);
    const body = structuredClone(call.body ?? {});
    const before = this.store.get(lower(call.path));
    const properties = { ...body.properties, provisioningState: 'Succeeded' };
    const sub = (kind: string, item: any) => ({ ...item, id: `${call.path}/${kind}/${item.name}` });
    if (/\/networkInterfaces\//i.test(call.path)) {
      properties.ipConfigurations = (properties.ipConfigurations ?? []).map((c: any) => ({
        ...sub('ipConfigurations', c),
        properties: { ...c.properties, privateIPAddress: c.properties?.privateIPAddress ?? `10.0.0.${this.nextIp++}` },
      }));
      this.syncPools(call.path, properties.ipConfigurations);
    }
    if (/\/loadBalancers\//i.test(call.path)) {
      const kept = (kind: string, name: string) => before?.properties?.[kind]?.find((x: any) => x.name === name)?.properties ?? {};
      properties.frontendIPConfigurations = (properties.frontendIPConfigurations ?? []).map((f: any) => ({
        ...sub('frontendIPConfigurations', f),
        properties: {
          ...f.properties,
          ...(f.properties?.subnet ? { privateIPAddress: kept('frontendIPConfigurations', f.name).privateIPAddress ?? `10.0.0.${this.nextFrontendIp--}` } : {}),
        },
      }));
      // Pool membership lives on the NICs: a PUT of the load balancer keeps it.
      properties.backendAddressPools = (properties.backendAddressPools ?? []).map((p: any) => ({
        ...sub('backendAddressPools', p),
        properties: { ...p.properties, ...(kept('backendAddressPools', p.name).backendIPConfigurations ? { backendIPConfigurations: kept('backendAddressPools', p.name).backendIPConfigurations } : {}) },
      }));
      for (const kind of ['probes', 'loadBalancingRules']) properties[kind] = (properties[kind] ?? []).map((x: any) => sub(kind, x));
    }
    if (/\/publicIPAddresses\//i.test(call.path)) {
      properties.ipAddress = before?.properties?.ipAddress ?? `203.0.113.${this.nextPublicIp++}`;
      const label = properties.dnsSettings?.domainNameLabel;
      if (label) properties.dnsSettings = { ...properties.dnsSettings, fqdn: `${label}.${body.location}.cloudapp.azure.com` };
    }
    if (/\/userAssignedIdentities\//i.test(call.path)) {
      const guid = (seed: string) => createHash('sha256').update(seed).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5');
      properties.principalId = before?.properties?.principalId ?? guid(`principal ${lower(call.path)}`);
      properties.clientId = before?.properties?.clientId ?? guid(`client ${lower(call.path)}`);
      properties.tenantId = '00000000-0000-0000-0000-00000000000t';
    }
    const providers = segments.findIndex((s) => s.toLowerCase() === 'providers');
    const type = providers >= 0 ? `${segments[providers + 1]}/${segments[providers + 2]}` : 'Microsoft.Resources/resourceGroups';
    return { ...body, id: call.path, name: segments.at(-1), type, properties };
  }

  /** As Azure does: a load balancer pool lists the NIC ipConfigurations that name it. */
  private syncPools(nicPath: string, configs: any[]): void {
    const nicPrefix = `${lower(nicPath)}/ipconfigurations/`;
    for (const [id, resource] of this.store) {
      if (!/\/loadbalancers\/[^/]+$/.test(id)) continue;
      for (const pool of resource.properties?.backendAddressPools ?? []) {
        const others = (pool.properties?.backendIPConfigurations ?? []).filter((c: any) => !lower(c.id).startsWith(nicPrefix));
        const members = configs.filter((c) => (c.properties?.loadBalancerBackendAddressPools ?? []).some((p: any) => lower(p.id) === lower(pool.id)));
        pool.properties = { ...pool.properties, backendIPConfigurations: [...others, ...members.map((c) => ({ id: c.id }))] };
      }
    }
  }
}

function notFound(code: string, message: string): Reply {
  return { status: 404, body: { error: { code, message } } };
}

/** `tagName eq 'k' and tagValue eq 'v'`, as the resources API filters. */
function matchesTagFilter(resource: any, filter: string | undefined): boolean {
  if (!filter) return true;
  const m = /tagName eq '([^']*)' and tagValue eq '([^']*)'/.exec(filter);
  return m ? resource.tags?.[m[1]!] === m[2] : true;
}

/** A TokenCredential that never talks to Entra ID. */
export const fakeCredential: AzureCredential = {
  getToken: async () => ({ token: 'x', expiresOnTimestamp: Date.now() + 3600e3 }),
};

class Headers implements Iterable<[string, string]> {
  private readonly map = new Map<string, string>();
  constructor(from?: Iterable<[string, string]>) {
    for (const [k, v] of from ?? []) this.set(k, v);
  }
  get(name: string) {
    return this.map.get(name.toLowerCase());
  }
  has(name: string) {
    return this.map.has(name.toLowerCase());
  }
  set(name: string, value: string | number | boolean) {
    this.map.set(name.toLowerCase(), String(value));
  }
  delete(name: string) {
    this.map.delete(name.toLowerCase());
  }
  toJSON() {
    return Object.fromEntries(this.map);
  }
  [Symbol.iterator]() {
    return this.map.entries();
  }
}

/**
 * The transport under the Azure clients for tests. The SDK's bearer-token policy refuses any
 * endpoint that is not https, so the provider is given https://127.0.0.1:<port> and this
 * transport alone speaks plain HTTP to the fake: every other part of the SDK pipeline (URL
 * building, serialization, auth header, retries, long-running-operation polling) runs as in production.
 */
export function plainHttpTransport(): AzureHttpClient {
  return {
    async sendRequest(request) {
      const body = typeof request.body === 'string' ? request.body : undefined;
      const res = await fetch(request.url.replace(/^https:/, 'http:'), {
        method: request.method,
        headers: request.headers.toJSON(),
        ...(body === undefined ? {} : { body }),
      });
      const bodyAsText = await res.text();
      return { request, status: res.status, headers: new Headers(res.headers), bodyAsText };
    },
  };
}
