import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFile } from 'node:fs/promises';

/** One etcd member as the v3 gateway lists it; uint64 ids come as decimal strings. */
export interface EtcdMember {
  readonly ID: string;
  /** kubeadm names a control-plane node's member after the node; empty until the member has started. */
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
  readonly isLearner?: boolean;
}

/** What removeEtcdMember needs of etcd; the real one is {@link EtcdGateway}. */
export interface EtcdMembers {
  /** The members, and the id of the member that answered (the agent's own etcd), when it says. */
  list(): Promise<{ readonly self?: string; readonly members: readonly EtcdMember[] }>;
  /** Removes a member: the members left, or undefined when there was no such member. */
  remove(id: string): Promise<readonly EtcdMember[] | undefined>;
}

/** Where kubeadm's stacked etcd listens and the client certificate the agent talks to it with. */
export const ETCD_DEFAULTS = {
  endpoint: 'https://127.0.0.1:2379',
  caFile: '/etc/kubernetes/pki/etcd/ca.crt',
  certFile: '/etc/kubernetes/pki/etcd/healthcheck-client.crt',
  keyFile: '/etc/kubernetes/pki/etcd/healthcheck-client.key',
} as const;

export interface EtcdGatewayOptions {
  /** @default ETCD_DEFAULTS.endpoint; http:// only for tests */
  readonly endpoint?: string;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** One request's timeout. @default 10 s */
  readonly timeoutMs?: number;
}

/** Where the settings differ from kubeadm's layout: STRATA_ETCD_ENDPOINT, STRATA_ETCD_CA_FILE, STRATA_ETCD_CERT_FILE, STRATA_ETCD_KEY_FILE. */
export function etcdOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): EtcdGatewayOptions {
  const get = (key: string) => env[key]?.trim() || undefined;
  const o = { endpoint: get('STRATA_ETCD_ENDPOINT'), caFile: get('STRATA_ETCD_CA_FILE'), certFile: get('STRATA_ETCD_CERT_FILE'), keyFile: get('STRATA_ETCD_KEY_FILE') };
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** gRPC's NotFound, as the gateway carries it (etcdserver: member not found). */
const GRPC_NOT_FOUND = 5;

/** An answer of the etcd gateway other than 2xx: its gRPC code and message. */
export class EtcdError extends Error {
  constructor(
    readonly status: number,
    readonly grpcCode: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'EtcdError';
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function members(body: unknown): EtcdMember[] {
  const list = (body as { members?: unknown })?.members;
  return (Array.isArray(list) ? list : []).map((m: Record<string, unknown>) => ({
    ID: str(m?.ID),
    name: str(m?.name),
    peerURLs: strings(m?.peerURLs),
    clientURLs: strings(m?.clientURLs),
    ...(m?.isLearner === true ? { isLearner: true } : {}),
  }));
}

/**
 * etcd's v3 JSON gateway (grpc-gateway: POST /v3/cluster/member/list and /member/remove), over
 * mutual TLS with a client certificate of the etcd CA, as etcdctl would talk to the node's own
 * etcd. No etcd client library: two calls do not need one, and the gateway ships with every etcd.
 * The certificates are read per call, so a renewal (kubeadm certs renew) is picked up.
 */
export class EtcdGateway implements EtcdMembers {
  private readonly endpoint: URL;

  constructor(private readonly options: EtcdGatewayOptions = {}) {
    this.endpoint = new URL(options.endpoint ?? ETCD_DEFAULTS.endpoint);
  }

  async list() {
    const body = await this.post('/v3/cluster/member/list', {});
    const self = str((body as { header?: { member_id?: unknown } })?.header?.member_id);
    return { ...(self ? { self } : {}), members: members(body) };
  }

  async remove(id: string) {
    try {
      // The id as a string: a uint64 does not survive a JSON number.
      const body = await this.post('/v3/cluster/member/remove', { ID: id });
      // etcd since 3.4 answers with the members left; before, ask.
      return Array.isArray((body as { members?: unknown })?.members) ? members(body) : (await this.list()).members;
    } catch (err) {
      if (err instanceof EtcdError && err.grpcCode === GRPC_NOT_FOUND) return undefined;
      throw err;
    }
  }

  private async post(path: string, payload: unknown): Promise<unknown> {
    const url = new URL(path, this.endpoint);
    const body = JSON.stringify(payload);
    const tls = url.protocol === 'https:';
    const o = this.options;
    const [ca, cert, key] = tls
      ? await Promise.all([o.caFile ?? ETCD_DEFAULTS.caFile, o.certFile ?? ETCD_DEFAULTS.certFile, o.keyFile ?? ETCD_DEFAULTS.keyFile].map((f) => readFile(f)))
      : [];
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const options = { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: o.timeoutMs ?? 10_000 };
      const done = (r: IncomingMessage) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        r.on('error', reject);
      };
      const req = tls ? httpsRequest(url, { ...options, ca, cert, key }, done) : httpRequest(url, options, done);
      req.on('timeout', () => req.destroy(new Error(`etcd at ${this.endpoint.origin} did not answer ${path} in time`)));
      req.on('error', reject);
      req.end(body);
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.text);
    } catch {
      parsed = undefined;
    }
    if (res.status < 200 || res.status >= 300) {
      const e = parsed as { code?: unknown; message?: unknown; error?: unknown } | undefined;
      const message = str(e?.message) || str(e?.error) || res.text.trim().slice(0, 300) || `HTTP ${res.status}`;
      throw new EtcdError(res.status, typeof e?.code === 'number' ? e.code : undefined, `etcd ${path}: ${message}`);
    }
    if (parsed === undefined) throw new Error(`etcd ${path}: not JSON: ${res.text.slice(0, 200)}`);
    return parsed;
  }
}
