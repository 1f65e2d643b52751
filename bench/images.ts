/**
 * Node image budgets, printed (not asserted):
 *   - signature and decision for an OS pack with 20 roles (goal ≤ 1 ms);
 *   - cloud calls when a cluster reuses an image another one baked (goal: one lookup);
 *   - bake wall time on the simulated cloud with zero delays, and the same cluster when it reuses.
 * Run: npm run bench:images
 */
import { signatureVars } from '../functions/commons/cluster-image.js';
import { imageDecision, imageSignature, signatureInput, type OsSettings } from '../core/images.js';
import { startRuntime } from '../local/runtime.js';
import { benchClient } from './local-api.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;

// ---- signature and decision, pure
const roles = Array.from({ length: 20 }, (_, i) => ({
  name: `org.role_${i}`,
  version: `${i}.2.3`,
  vars: `enabled: true\nlevel: ${i}\npackages:\n  - auditd\n  - aide\nsettings:\n  max_log_file: 32\n  space_left_action: email\n`,
}));
const os: OsSettings = {
  images: { aws: Object.fromEntries(['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1'].map((r) => [r, 'resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id'])) },
  skipK8sInstall: false,
  ansibleRoles: roles,
  arch: 'amd64',
};
const pack = { name: 'ubuntu-hardened', os };
for (let i = 0; i < 200; i++) imageSignature(signatureInput(pack, 'aws', '1.31.10', signatureVars)); // warm-up
const times: number[] = [];
for (let i = 0; i < 2000; i++) {
  const t = performance.now();
  imageDecision(os, '1.31.10');
  imageSignature(signatureInput(pack, 'aws', '1.31.10', signatureVars));
  times.push(performance.now() - t);
}
console.log('\nImage signature and decision, OS pack with 20 roles (vars read with js-yaml, canonical JSON, sha256), 2,000 runs');
console.log(`  median ${median(times).toFixed(3)} ms   p95 ${p95(times).toFixed(3)} ms   goal ≤ 1 ms`);

// ---- bake and reuse on the simulated cloud
const rt = await startRuntime({ rateLimits: false, port: 0, bootMs: 0, imageMs: 0, bakeMs: 0, agentIntervalMs: 1000, workflowWaitMs: 10 });
try {
  const client = benchClient(rt);
  const account = await client.simAccount();
  const RUNS = 5;
  const bakes: number[] = [];
  const reuses: number[] = [];
  const lookups: Record<string, number>[] = [];
  const bakeRuns: { ms: number; transitions: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    // A new OS pack each run (another role version: another signature): its first cluster bakes, the second reuses.
    const reg = await client.post('/v1/registries', { name: `bench-images-${run}` });
    const osPack = await client.post(`/v1/registries/${reg.id}/packs`, {
      layer: 'os',
      name: 'bench-ubuntu',
      version: '1.0.0',
      os: { images: { local: { 'sim-east-1': 'sim-ubuntu-22.04' } }, skipK8sInstall: false, ansibleRoles: [{ name: 'cis-hardening', version: `1.0.${run}` }] },
    });
    const layers = [{ registryId: reg.id, packId: osPack.id }, ...['pk-kubernetes-1-31-10', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'].map((packId) => ({ registryId: 'public', packId }))];
    const profile = await client.post('/v1/profiles', { name: `bench-images-${run}`, layers });
    const provision = async (name: string) => {
      const started = performance.now();
      const cluster = await client.post('/v1/clusters', {
        name,
        profileId: profile.id,
        cloudAccountId: account.id,
        region: 'sim-east-1',
        nodePools: [
          { name: 'cp', role: 'controlPlane', count: 1, instanceType: 'sim.large', zones: ['sim-east-1a'] },
          { name: 'workers', role: 'worker', count: 1, instanceType: 'sim.large', zones: ['sim-east-1a'] },
        ],
      });
      const exec = [...rt.workflows.executions.values()].find((e) => e.name.startsWith(cluster.id))!;
      await exec.done;
      const { phase } = await client.get<{ phase: string }>(`/v1/clusters/${cluster.id}`);
      if (phase !== 'Running') throw new Error(`${name}: ${phase}`);
      return performance.now() - started;
    };
    const before0 = new Set(rt.workflows.executions.keys());
    bakes.push(await provision(`bake-${run}`));
    const bake = [...rt.workflows.executions.entries()].find(([k, e]) => !before0.has(k) && e.workflow === 'bake')?.[1];
    await bake?.done;
    if (!bake?.stopDate || bake.status !== 'SUCCEEDED') throw new Error(`run ${run}: no finished bake`);
    bakeRuns.push({ ms: bake.stopDate.getTime() - bake.startDate.getTime(), transitions: bake.transitions });
    const before = new Map(rt.cloud.callsByOperation);
    reuses.push(await provision(`reuse-${run}`));
    const delta = (op: string) => (rt.cloud.callsByOperation.get(op) ?? 0) - (before.get(op) ?? 0);
    lookups.push({ DescribeImages: delta('DescribeImages'), launchBuilder: delta('launchBuilder'), CreateImage: delta('CreateImage'), CopyImage: delta('CopyImage') });
  }
  console.log(`\nProvision 1 control-plane + 1 worker on a new customized OS pack, simulated cloud with zero delays (${RUNS} runs)`);
  console.log(`  first cluster (bakes the image): median ${(median(bakes) / 1000).toFixed(2)} s  (min ${(Math.min(...bakes) / 1000).toFixed(2)}, max ${(Math.max(...bakes) / 1000).toFixed(2)})`);
  console.log(`  second cluster (reuses it):      median ${(median(reuses) / 1000).toFixed(2)} s  (min ${(Math.min(...reuses) / 1000).toFixed(2)}, max ${(Math.max(...reuses) / 1000).toFixed(2)})`);
  const bakeMs = bakeRuns.map((b) => b.ms);
  console.log(`  bake-image execution wall time: median ${(median(bakeMs) / 1000).toFixed(2)} s  (min ${(Math.min(...bakeMs) / 1000).toFixed(2)}, max ${(Math.max(...bakeMs) / 1000).toFixed(2)}), ${median(bakeRuns.map((b) => b.transitions))} state transitions`);
  const worst = (op: string) => Math.max(...lookups.map((l) => l[op]!));
  console.log(`  cloud image calls of the reusing cluster (worst run): DescribeImages ${worst('DescribeImages')}, builders launched ${worst('launchBuilder')}, CreateImage ${worst('CreateImage')}, CopyImage ${worst('CopyImage')}   goal: one lookup`);
} finally {
  await rt.stop();
}
