/**
 * Malformed input to every operation of openapi.json, printed (not asserted): for each operation,
 * bad path values, bad and unknown query values, bad credentials, bodies that are not JSON, not
 * objects, too large, of the wrong content type, and every property of a valid body replaced by
 * values of the wrong kind. Counts the answers that are 5xx, and those the document does not
 * promise (an undocumented status, or a body not in the documented shape).
 * Run: npm run bench:fuzz   (FUZZ_SEED=n picks another sequence)
 */
import { agentToken } from '../core/agent-token.js';
import { startRuntime } from '../local/runtime.js';
import { Contract } from '../test/contract.js';
import { benchClient } from './local-api.js';

const CONCURRENCY = 8;
let seed = Number(process.env.FUZZ_SEED ?? 7);
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

/** Values of every kind but the right one, and strings that have broken parsers before. */
const WRONG_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  '',
  'x',
  'x'.repeat(5000),
  '\u0000',
  'lone \ud800',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '1e3000000',
  '-5',
  [],
  [null],
  {},
  { $ne: 1 },
  { nested: { deeper: [1, 'two', { three: null }] } },
];
const BAD_PATH_VALUES = ['%', '%ZZ', '%00', 'x'.repeat(300), '..', '%2e%2e', '💥', 'a%2Fb', ' ', 'cl-doesnotexist', 'CL-UPPER', 'a'.repeat(64) + '%FF'];
const BAD_QUERY_VALUES = ['', '-1', '0', '101', '1e9', 'abc', 'true', 'x'.repeat(3000), '%00', '[]', '{"a":1}', '💥', 'eyJwayI6IlQjb3RoZXIifQ'];
const BAD_AUTH = [undefined, '', 'Bearer', 'Bearer ', 'Bearer x', 'Basic dXNlcjpwYXNz', `Bearer ${'x'.repeat(5000)}`, 'Bearer strata_forged', 'bearer\tstrata_x'];

interface Req {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

async function main() {
  const rt = await startRuntime({ rateLimits: false, port: 0, bootMs: 50, agentIntervalMs: 1000, workflowWaitMs: 50 });
  const started = performance.now();
  try {
    const contract = new Contract();
    const client = benchClient(rt);
    const account = await client.simAccount();
    const cluster = await client.createCluster('fuzz', account.id, 2);
    const registry = await client.post('/v1/registries', { name: 'fuzz' });
    const other = await client.post<{ apiKey: { key: string } }>('/v1/tenants', { name: 'other' });
    const otherCluster = (await fetch(`${rt.url}/v1/clusters`, {
      method: 'POST',
      headers: { authorization: `Bearer ${other.apiKey.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', profileId: 'pf-nope', cloudAccountId: 'ca-nope', region: 'sim-east-1', nodePools: [] }),
    }).then((r) => r.json())) as { id?: string };
    const key = rt.apiKey;
    const token = agentToken(process.env.PLATFORM_SECRET!, 'default', cluster.id);
    const ids: Record<string, string> = { id: cluster.id, packId: 'pk-calico-3-29-3', revision: '1', name: 'fuzz-workers-0', pack: 'calico' };

    /** A valid body per operation, whose properties are then broken one by one. */
    const bases: Record<string, Record<string, unknown>> = {
      'POST /v1/tenants': { name: 'tenant-x', displayName: 'X' },
      'POST /v1/apikeys': { name: 'k', role: 'viewer' },
      'POST /v1/registries': { name: 'reg-x', description: 'd' },
      'POST /v1/registries/{id}/packs': { layer: 'addon', name: 'tool', version: '1.0.0', values: 'a: 1\n' },
      'POST /v1/profiles': { name: 'p', layers: ['pk-ubuntu-22-04', 'pk-kubernetes-1-31-10', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'].map((packId) => ({ registryId: 'public', packId })) },
      'PUT /v1/profiles/{id}': { version: 1, layers: [] },
      'POST /v1/cloudaccounts': { name: 'acc', spec: { type: 'local' } },
      'POST /v1/clusters': { name: 'c', profileId: 'pf-sample', cloudAccountId: account.id, region: 'sim-east-1', nodePools: [{ name: 'cp', role: 'controlPlane', count: 1, instanceType: 'sim.large', zones: ['sim-east-1a'] }] },
      'PUT /v1/clusters/{id}': { version: 1, nodePools: [{ name: 'cp', role: 'controlPlane', count: 1, instanceType: 'sim.large', zones: ['sim-east-1a'] }] },
      'POST /v1/clusters/{id}/updates/apply': { toRevision: 1, resolutions: { 'calico/a.b': 'keepCluster' } },
      'PUT /v1/clusters/{id}/ospatch': { frequency: 'weekly', dayOfWeek: 'SUN', timeOfDay: '03:00', timeZone: 'Europe/Berlin', windowMinutes: 120, version: 1 },
      'PUT /v1/clusters/{id}/packs/{pack}/values': { values: 'a: 1\n', version: 1 },
      'POST /agent/v1/heartbeat': { agentVersion: 'fuzz', clusterId: cluster.id, observedGeneration: 0, nodes: [{ name: 'n1', role: 'worker', conditions: [], capacity: { cpu: '2' }, usage: { cpu: '1' } }], services: [], packs: [] },
    };

    const requests: Req[] = [];
    for (const [path, item] of Object.entries(contract.doc.paths)) {
      for (const [method, op] of Object.entries(item as Record<string, { parameters?: { in: string; name: string }[]; requestBody?: unknown }>)) {
        if (!['get', 'post', 'put', 'delete'].includes(method)) continue;
        const M = method.toUpperCase();
        const agent = path.startsWith('/agent/');
        const auth = agent ? (path.endsWith('heartbeat') ? token : 'sbt.default.x.y.1.z') : key;
        const fill = (values: Record<string, string> = {}) => path.replace(/\{(\w+)\}/g, (_, p: string) => (p in values ? values[p]! : (ids[p] ?? registry.id)));
        const base = (extra: Partial<Req> = {}): Req => ({ method: M, path: fill(path.startsWith('/v1/registries/{id}') ? { id: registry.id } : {}), headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' }, ...extra });
        const params = op.parameters ?? [];
        const body = bases[`${M} ${path}`];

        // Path values
        for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)) {
          for (const v of BAD_PATH_VALUES) requests.push(base({ path: fill({ [name]: v }) }));
          if (otherCluster.id) requests.push(base({ path: fill({ [name]: otherCluster.id }) }));
        }
        // Query values, unknown parameters, repeated parameters
        for (const p of params.filter((x) => x.in === 'query')) {
          for (const v of BAD_QUERY_VALUES) requests.push(base({ path: `${base().path}?${p.name}=${encodeURIComponent(v)}` }));
          requests.push(base({ path: `${base().path}?${p.name}=1&${p.name}=2` }));
        }
        requests.push(base({ path: `${base().path}?unknown=1` }), base({ path: `${base().path}?%=1` }));
        // Credentials
        for (const a of BAD_AUTH) {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (a !== undefined) headers.authorization = a;
          requests.push(base({ headers, body: body ? JSON.stringify(body) : undefined }));
        }
        // Headers
        if (params.some((p) => p.in === 'header')) for (const v of ['', ' ', 'x'.repeat(200), 'a b', '💥']) requests.push(base({ headers: { ...base().headers, 'idempotency-key': encodeURIComponent(v) }, body: JSON.stringify(body) }));
        if (!op.requestBody && M !== 'GET') requests.push(base({ body: '{"unexpected": true}' }));
        // Bodies: not JSON, not objects, too large, wrong content types
        if (op.requestBody) for (const raw of ['', 'not json', '{', '[1,2]', 'null', '42', '"text"', '{"a":1}', `{"a":"${'x'.repeat(1_100_000)}"}`, '['.repeat(5000) + ']'.repeat(5000), '\u0000']) requests.push(base({ body: raw }));
        if (op.requestBody) for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/json-patch+json', '']) {
          const headers: Record<string, string> = { authorization: `Bearer ${auth}` };
          if (type) headers['content-type'] = type;
          requests.push(base({ headers, body: JSON.stringify(body ?? {}) }));
        }
        // Every property of a valid body, broken; and unknown ones added
        if (body) {
          for (const prop of Object.keys(body)) {
            for (const v of WRONG_VALUES) requests.push(base({ body: JSON.stringify({ ...body, [prop]: v }) }));
            const { [prop]: _dropped, ...without } = body;
            requests.push(base({ body: JSON.stringify(without) }));
          }
          for (let i = 0; i < 20; i++) requests.push(base({ body: JSON.stringify({ ...body, [`x${i}`]: pick(WRONG_VALUES) }) }));
          // One level down: the fields of nested objects (spec.type) and of list items (nodePools[0].count).
          for (const [prop, value] of Object.entries(body)) {
            const inner = Array.isArray(value) ? value[0] : value;
            if (typeof inner !== 'object' || inner === null) continue;
            for (const field of Object.keys(inner)) {
              for (const v of WRONG_VALUES) {
                const broken = { ...(inner as Record<string, unknown>), [field]: v };
                requests.push(base({ body: JSON.stringify({ ...body, [prop]: Array.isArray(value) ? [broken, ...value.slice(1)] : broken }) }));
              }
            }
          }
        }
        // Mixed: a bad query value, two broken properties and a bad header at once, in a seeded random order.
        for (let i = 0; i < 80; i++) {
          const q = params.filter((p) => p.in === 'query');
          const query = q.length ? `?${pick(q).name}=${encodeURIComponent(pick(BAD_QUERY_VALUES))}` : '';
          const broken = body ? { ...body, [pick(Object.keys(body))]: pick(WRONG_VALUES), [pick(Object.keys(body))]: pick(WRONG_VALUES) } : undefined;
          const headers = random() < 0.2 ? { ...base().headers, authorization: pick(BAD_AUTH.filter((a): a is string => a !== undefined)) } : base().headers;
          requests.push(base({ path: `${base().path}${query}`, headers, body: broken ? JSON.stringify(broken) : undefined }));
        }
      }
    }

    let fiveHundreds = 0;
    let offContract = 0;
    const problems = new Map<string, number>();
    const byStatus = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const r = requests[next++]!;
        const res = await fetch(`${rt.url}${r.path}`, { method: r.method, headers: r.headers, body: r.body }).catch((err: Error) => err);
        if (res instanceof Error) {
          problems.set(`${r.method} ${r.path.slice(0, 60)}: ${res.message}`, 1);
          offContract++;
          continue;
        }
        const text = await res.text();
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: the contract check says whether that was promised
        }
        byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
        if (res.status >= 500) fiveHundreds++;
        const violations = contract.violations(r.method, r.path, res.status, res.headers.get('content-type'), parsed);
        if (violations.length) {
          offContract++;
          const op = contract.operation(r.method, r.path);
          const label = `${op ? `${r.method} ${op.path}` : `${r.method} (no operation)`} → ${res.status}: ${violations[0]!.replace(/^.*?→ \d+: /, '').slice(0, 140)}`;
          problems.set(label, (problems.get(label) ?? 0) + 1);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - started) / 1000;
    const operations = Object.values(contract.doc.paths).reduce((n, item) => n + Object.keys(item).filter((k) => ['get', 'post', 'put', 'delete'].includes(k)).length, 0);
    console.log(`fuzz: ${requests.length} malformed requests to ${operations} operations in ${seconds.toFixed(1)} s (seed ${process.env.FUZZ_SEED ?? 7})`);
    console.log(`  answers by status: ${[...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    console.log(`  5xx answers: ${fiveHundreds}`);
    console.log(`  answers not in the documented shape (status or body): ${offContract}`);
    for (const [label, n] of [...problems].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`    ${n} × ${label}`);
  } finally {
    await rt.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
