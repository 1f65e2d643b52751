import type { Runtime } from '../local/runtime.js';

/** A small client of a local runtime's API for the benches, with the operator key. */
export function benchClient(rt: Runtime) {
  const headers = { authorization: `Bearer ${rt.apiKey}`, 'content-type': 'application/json' };
  const post = async <T = { id: string }>(path: string, body: unknown) => (await (await fetch(`${rt.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as T;
  const get = async <T = unknown>(path: string) => (await (await fetch(`${rt.url}${path}`, { headers })).json()) as T;
  return {
    headers,
    post,
    get,
    /** A cloud account on the simulated cloud. */
    simAccount: () => post('/v1/cloudaccounts', { name: 'sim', spec: { type: 'local' } }),
    /** A cluster of the sample profile: one control-plane node and `workers` workers. */
    createCluster: (name: string, cloudAccountId: string, workers: number) =>
      post('/v1/clusters', {
        name,
        profileId: 'pf-sample',
        cloudAccountId,
        region: 'sim-east-1',
        nodePools: [
          { name: 'cp', role: 'controlPlane', count: 1, instanceType: 'sim.large', zones: ['sim-east-1a'] },
          { name: 'workers', role: 'worker', count: workers, instanceType: 'sim.large', zones: ['sim-east-1a', 'sim-east-1b'] },
        ],
      }),
  };
}
