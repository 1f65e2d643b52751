/**
 * Fan-out of a published profile revision to 10,000 clusters on one profile, on the local runtime:
 * the PUT that publishes it (it only starts the notify workflow), then the workflow's wall time,
 * its DynamoDB operations by kind, its state transitions and the events it wrote.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../adapters/dynamodb/client.js';
import { tableName } from '../adapters/dynamodb/tables.js';
import { revisionHash, type ResolvedLayer } from '../core/profiles.js';
import { startRuntime } from '../local/runtime.js';

const CLUSTERS = 10_000;

export async function fanoutFigures(): Promise<void> {
  const rt = await startRuntime({ rateLimits: false, port: 0, bootMs: 0, agentIntervalMs: 60_000, workflowWaitMs: 10 });
  try {
    const headers = { authorization: `Bearer ${rt.apiKey}`, 'content-type': 'application/json' };
    const call = async (method: string, path: string, body?: unknown) => (await fetch(`${rt.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a bench reads a few fields of the answers
    const ref = (packId: string, values?: string) => ({ registryId: 'public', packId, ...(values ? { values } : {}) });
    const layers = (replicas: number) => [ref('pk-ubuntu-22-04'), ref('pk-kubernetes-1-31-10'), ref('pk-calico-3-29-3'), ref('pk-aws-ebs-csi-1-44-0', `controller:\n  replicas: ${replicas}\n`)];
    const profile = await call('POST', '/v1/profiles', { name: 'fleet', layers: layers(2) });
    const hash = revisionHash(profile.layers as ResolvedLayer[]);

    // 10,000 cluster records as the API writes them (the by-profile index keys included), written directly: provisioning them is not what is measured.
    const tenantPk = 'T#default';
    const now = new Date().toISOString();
    const items = Array.from({ length: CLUSTERS }, (_, i) => {
      const id = `cl-fleet${String(i).padStart(5, '0')}`;
      return {
        pk: tenantPk,
        sk: `CLUSTER#${id}`,
        kind: 'CLUSTER',
        gsi1pk: `${tenantPk}#PROFILE#${profile.id}`,
        gsi1sk: `CLUSTER#${id}`,
        id,
        name: `fleet-${i}`,
        profileId: profile.id,
        profileRevision: 1,
        revisionHash: hash,
        cloudAccountId: 'ca-none',
        cloud: 'local',
        region: 'sim-east-1',
        nodePools: [{ name: 'workers', role: 'worker', count: 50, instanceType: 'sim.large', zones: ['sim-east-1a'], diskGiB: 80 }],
        overrides: i % 10 === 0 ? { 'aws-ebs-csi': 'controller:\n  replicas: 1\n' } : {},
        phase: 'Running',
        generation: 1,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
    });
    const db = documentClient();
    for (let i = 0; i < items.length; i += 25) {
      let pending = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      while (pending.length) {
        const res = await db.send(new BatchWriteCommand({ RequestItems: { [tableName('definitions')]: pending } }));
        pending = (res.UnprocessedItems?.[tableName('definitions')] ?? []) as typeof pending;
      }
    }

    // Count every DynamoDB call from here on, by command (the handlers share this process's client).
    const ops = new Map<string, number>();
    db.middlewareStack.add(
      (next, context) => async (args) => {
        ops.set(context.commandName ?? '?', (ops.get(context.commandName ?? '?') ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'benchCount' },
    );

    const started = performance.now();
    const published = await call('PUT', `/v1/profiles/${profile.id}`, { version: profile.version, layers: layers(3) });
    const putMs = performance.now() - started;
    const exec = [...rt.workflows.executions.values()].find((e) => e.name === `${profile.id}-r${published.latestRevision}-notify`);
    if (!exec) throw new Error('the notify workflow did not start');
    await exec.done;
    const wallMs = performance.now() - started;
    const sample = await call('GET', `/v1/clusters/cl-fleet00000/events`);
    const notified = sample.items.filter((e: { reason: string }) => e.reason === 'UpdateAvailable').length;
    if (exec.status !== 'SUCCEEDED' || notified !== 1) throw new Error(`notify ${exec.status}, events on a sample cluster: ${notified}`);

    const total = [...ops.values()].reduce((a, b) => a + b, 0);
    console.log(`\nFan-out of a new revision to ${CLUSTERS.toLocaleString('en')} clusters on one profile (local runtime, DynamoDB Local)`);
    console.log(`  PUT /v1/profiles/{id} answered in ${putMs.toFixed(0)} ms (it starts the notify workflow; nothing per cluster)`);
    console.log(`  notify workflow: ${(wallMs / 1000).toFixed(1)} s wall, ${exec.transitions} state transitions`);
    console.log(`  DynamoDB operations: ${total} in all — ${[...ops].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k.replace('Command', '')} ${v}`).join(', ')}`);
    console.log(`  = ${(total / CLUSTERS).toFixed(3)} operations per cluster (events in batches of 25, clusters read 200 per index query)`);
  } finally {
    await rt.stop();
  }
}
