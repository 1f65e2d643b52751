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
 * and public addresses, a public IP's FQDN, an identity's principal id, a load balancer pool's
 * backendIPConfigurations from the NICs that name the pool, and a VM's OS disk (attached to it
 * until the VM is deleted; the fake does not carry out deleteOption, so tests see leftovers).
 *
 * VM actions: deallocate (202 with an operation that has succeeded; the VM's instance view says
 * PowerState/deallocated) and generalize (refused with 409 OperationNotAllowed unless the VM is
 * stopped or deallocated; then OSState/generalized).
 *
 * Compute Gallery: an image definition needs its gallery and a version its definition
 * (404 ParentResourceNotFound); a new version needs its source VM generalized. A version is created
 * (or updated, by PUT or PATCH) with provisioningState Creating (Updating) and each new target region
 * Replicating, until a test calls `replicate()`; a GET with $expand=ReplicationStatus shows the
 * regions' states as Azure does, a plain GET does not.
 *
 * The generic resources list answers what Azure's does: each resource's id, name, type, location
 * (and kind, sku, managedBy), never its properties, and no tags when the list is filtered by tag.
 */
export class FakeArm {
  readonly calls: ArmCall[] = [];
  /** lower-cased resource id → the resource as ARM returns it (wire format, `properties` nested). */
  readonly store = new Map<string, any>();
  /** lower-cased NIC ipConfiguration id → its probe result; a backend not in here is not probed yet (Down, NA). */
  readonly health = new Map<string, BackendHealth>();
  private readonly responders: { method: string; path: RegExp; respond: Responder; times: number }[] = [];
  /** lower-cased gallery image version id → lower-cased region → its replication. */
  private readonly replication = new Map<string, Map<string, { region: string; state: string; details?: string; progress: number }>>();
  /** Operation status URLs (paths) the fake answered an action with → their status. */
  private readonly operations = new Map<string, unknown>();
  private nextOperation = 1;
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
    this.replication.clear();
    this.operations.clear();
    this.nextOperation = 1;
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

  /**
   * Azure's replication of a gallery image version to a region reaches `state` (Completed by
   * default). Once every target region has Completed, the version's provisioningState is Succeeded;
   * a Failed region makes it Failed.
   */
  replicate(versionId: string, region: string, state: 'Completed' | 'Failed' | 'Replicating' = 'Completed', details?: string): void {
    const key = lower(versionId);
    const version = this.store.get(key);
    const regions = this.replication.get(key);
    const replica = regions?.get(normRegion(region));
    if (!version || !regions || !replica) throw new Error(`no replication of ${versionId} to ${region}`);
    replica.state = state;
    replica.progress = state === 'Completed' ? 100 : replica.progress;
    if (details === undefined) delete replica.details;
    else replica.details = details;
    const states = [...regions.values()].map((r) => r.state);
    if (states.includes('Failed')) version.properties.provisioningState = 'Failed';
    else if (states.every((x) => x === 'Completed')) version.properties.provisioningState = 'Succeeded';
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
        const before = this.store.get(key);
        if (rg && rg !== key && !this.store.has(rg)) return notFound('ResourceGroupNotFound', `Resource group '${rg.split('/').at(-1)}' could not be found.`);
        if (rg === key && before?.location && call.body?.location && normRegion(before.location) !== normRegion(call.body.location)) {
          return conflict('InvalidResourceGroupLocation', `Invalid resource group location '${call.body.location}'. The Resource group already exists in location '${before.location}'.`);
        }
        const refused = this.refuseGalleryPut(call, key, before);
        if (refused) return refused;
        const resource = this.materialize(call);
        if (GALLERY_VERSION.test(key)) this.syncReplication(key, resource, before);
        this.store.set(key, resource);
        if (!before && /\/virtualmachines\/[^/]+$/.test(key)) this.attachOsDisk(call, resource);
        return { status: before ? 200 : 201, body: resource };
      }
      case 'PATCH': {
        const found = this.store.get(key);
        if (!found) return notFound('ResourceNotFound', `The Resource '${call.path}' was not found.`);
        const patched = mergePatch(found, call.body ?? {});
        if (GALLERY_VERSION.test(key)) this.syncReplication(key, patched, found);
        this.store.set(key, patched);
        return { status: 200, body: patched };
      }
      case 'GET': {
        if (key.startsWith('/operationresults/')) return { status: 202, headers: { 'retry-after': '15' } };
        const operation = this.operations.get(key);
        if (operation) return { status: 200, body: operation };
        const found = this.store.get(key);
        if (found && GALLERY_VERSION.test(key) && /^replicationstatus$/i.test(call.query.$expand ?? '')) return { status: 200, body: this.withReplicationStatus(key, found) };
        if (found) return { status: 200, body: found };
        const last = key.split('/').at(-1)!;
        if (COLLECTIONS.has(last)) {
          if (rg && !this.store.has(rg)) return notFound('ResourceGroupNotFound', `Resource group '${rg.split('/').at(-1)}' could not be found.`);
          const parent = last === 'resources' ? `${rg}/providers/` : `${key}/`;
          const value = [...this.store.entries()]
            .filter(([id]) => id.startsWith(parent) && (last === 'resources' || !id.slice(parent.length).includes('/')))
            .map(([, r]) => r)
            .filter((r) => matchesTagFilter(r, call.query.$filter))
            .map((r) => (last === 'resources' ? genericResource(r, isTagFilter(call.query.$filter)) : r));
          return { status: 200, body: { value } };
        }
        return rg === key
          ? notFound('ResourceGroupNotFound', `Resource group '${key.split('/').at(-1)}' could not be found.`)
          : notFound('ResourceNotFound', `The Resource '${call.path}' was not found.`);
      }
      case 'POST': {
        const action = /^(.*\/virtualmachines\/[^/]+)\/(deallocate|generalize)$/.exec(key);
        if (action) return this.vmAction(call, action[1]!, action[2]!);
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
        this.replication.delete(key);
        // Azure detaches the VM's disks; whether they go too is deleteOption's, which the fake leaves to the test.
        if (/\/virtualmachines\/[^/]+$/.test(key)) {
          for (const r of this.store.values()) {
            if (typeof r.managedBy === 'string' && lower(r.managedBy) === key) {
              delete r.managedBy;
              r.properties = { ...r.properties, diskState: 'Unattached' };
            }
          }
        }
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
    // The type is the provider's namespace and every type segment after the last `providers`: Microsoft.Compute/galleries/images/versions.
    const providers = segments.map((s) => s.toLowerCase()).lastIndexOf('providers');
    const type =
      providers >= 0 ? [segments[providers + 1], ...segments.slice(providers + 2).filter((_, i) => i % 2 === 0)].join('/') : 'Microsoft.Resources/resourceGroups';
    return { ...body, id: call.path, name: segments.at(-1), type, properties };
  }

  /** What Azure refuses of a gallery PUT: a missing parent, a version whose source VM is missing or not generalized. */
  private refuseGalleryPut(call: ArmCall, key: string, before: unknown): Reply | undefined {
    if (!/\/galleries\//i.test(call.path)) return undefined;
    const parent = /^(.*\/galleries\/[^/]+(?:\/images\/[^/]+)?)\/(?:images|versions)\/[^/]+$/i.exec(call.path);
    if (parent && !this.store.has(lower(parent[1]!))) {
      const name = parent[1]!.replace(/^.*\/galleries\//i, '').replace(/\/images\//i, '/');
      return notFound('ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${name}' not found.`);
    }
    if (!GALLERY_VERSION.test(key) || before) return undefined;
    const vmId: string | undefined = call.body?.properties?.storageProfile?.source?.virtualMachineId;
    if (!vmId) return undefined;
    const vm = this.store.get(lower(vmId));
    if (!vm) return { status: 400, body: { error: { code: 'InvalidParameter', message: `The source virtual machine '${vmId}' was not found.`, target: 'virtualMachineId' } } };
    if (!statusesOf(vm).some((code) => code.toLowerCase() === 'osstate/generalized')) {
      return { status: 400, body: { error: { code: 'InvalidParameter', message: `The source virtual machine '${vmId}' must be generalized to create a generalized image version.`, target: 'virtualMachineId' } } };
    }
    return undefined;
  }

  /** A version's target regions: those kept keep their replication, new ones start Replicating. */
  private syncReplication(key: string, version: any, before: any): void {
    const old = this.replication.get(key) ?? new Map();
    const next = new Map<string, { region: string; state: string; details?: string; progress: number }>();
    let added = false;
    for (const t of version.properties?.publishingProfile?.targetRegions ?? []) {
      const kept = old.get(normRegion(t.name));
      if (!kept) added = true;
      next.set(normRegion(t.name), kept ?? { region: t.name, state: 'Replicating', progress: 0 });
    }
    this.replication.set(key, next);
    version.properties.provisioningState = !before ? 'Creating' : added ? 'Updating' : (before.properties?.provisioningState ?? 'Succeeded');
    version.properties.publishingProfile = { ...version.properties.publishingProfile, publishedDate: before?.properties?.publishingProfile?.publishedDate ?? new Date().toISOString() };
  }

  private withReplicationStatus(key: string, version: any): any {
    const regions = this.replication.get(key);
    if (!regions) return version;
    const summary = [...regions.values()].map((r) => ({ region: r.region, state: r.state, progress: r.progress, ...(r.details ? { details: r.details } : {}) }));
    const states = summary.map((r) => r.state);
    const aggregatedState = states.includes('Failed') ? 'Failed' : states.every((x) => x === 'Completed') ? 'Completed' : 'InProgress';
    return { ...version, properties: { ...version.properties, replicationStatus: { aggregatedState, summary } } };
  }

  /** The managed OS disk Azure makes for a new VM, attached to it. */
  private attachOsDisk(call: ArmCall, vm: any): void {
    const osDisk = call.body?.properties?.storageProfile?.osDisk;
    if (!osDisk?.name) return;
    const id = `${call.path.replace(/\/providers\/.*$/i, '')}/providers/Microsoft.Compute/disks/${osDisk.name}`;
    if (this.store.has(lower(id))) return;
    this.store.set(lower(id), {
      id,
      name: osDisk.name,
      type: 'Microsoft.Compute/disks',
      location: vm.location,
      managedBy: call.path,
      properties: { diskSizeGB: osDisk.diskSizeGB, diskState: 'Attached', provisioningState: 'Succeeded' },
    });
  }

  /** deallocate and generalize, as Azure answers them. */
  private vmAction(call: ArmCall, vmKey: string, action: string): Reply {
    const vm = this.store.get(vmKey);
    if (!vm) return notFound('ResourceNotFound', `The Resource '${call.path.replace(/\/[^/]+$/, '')}' was not found.`);
    const name = vm.name as string;
    const statuses = () => (vm.properties.instanceView ??= { statuses: [{ code: 'ProvisioningState/succeeded', level: 'Info' }] }).statuses as any[];
    if (action === 'generalize') {
      const power = statusesOf(vm).find((c) => c.startsWith('PowerState/'));
      if (power !== 'PowerState/deallocated' && power !== 'PowerState/stopped') {
        return conflict('OperationNotAllowed', `Operation 'generalize' is not allowed on VM '${name}' since the VM is running. Please stop or deallocate the VM and retry the operation.`);
      }
      if (!statusesOf(vm).includes('OSState/generalized')) statuses().push({ code: 'OSState/generalized', level: 'Info', displayStatus: 'VM generalized' });
      return { status: 200 };
    }
    const kept = statuses().filter((s) => !String(s.code).startsWith('PowerState/'));
    vm.properties.instanceView.statuses = [...kept, { code: 'PowerState/deallocated', level: 'Info', displayStatus: 'VM deallocated' }];
    const sub = /^\/subscriptions\/[^/]+/i.exec(call.path)![0];
    const operation = `${sub}/providers/Microsoft.Compute/locations/${vm.location}/operations/fake-op-${this.nextOperation++}`;
    this.operations.set(lower(operation), { name: operation.split('/').at(-1), status: 'Succeeded', startTime: new Date().toISOString() });
    return { status: 202, headers: { 'azure-asyncoperation': `${this.endpoint}${operation}?api-version=${call.apiVersion}`, 'retry-after': '0' } };
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

function conflict(code: string, message: string): Reply {
  return { status: 409, body: { error: { code, message } } };
}

const GALLERY_VERSION = /\/galleries\/[^/]+\/images\/[^/]+\/versions\/[^/]+$/;

/** `West Europe` and `westeurope` are one region. */
const normRegion = (r: string) => r.replace(/\s+/g, '').toLowerCase();

function statusesOf(vm: any): string[] {
  return (vm.properties?.instanceView?.statuses ?? []).map((s: any) => String(s.code));
}

/** A JSON merge patch (RFC 7396) as Azure applies PATCH: objects merge, anything else replaces. */
function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const out = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = k === 'tags' ? structuredClone(v) : mergePatch(out[k], v);
  }
  return out;
}

/** What the generic resources list shows of a resource: never its properties, and no tags under a tag filter. */
function genericResource(r: any, tagFiltered: boolean): any {
  const keep = ['id', 'name', 'type', 'location', 'kind', 'sku', 'managedBy', 'plan', 'identity', 'zones', 'extendedLocation', ...(tagFiltered ? [] : ['tags'])];
  return Object.fromEntries(keep.filter((k) => r[k] !== undefined).map((k) => [k, r[k]]));
}

const isTagFilter = (filter: string | undefined) => filter !== undefined && /tagName eq /.test(filter);

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
