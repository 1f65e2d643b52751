import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../core/errors.js';
import {
  applyPlan,
  applyStep,
  checkRolloutSettings,
  NODE_STATES,
  planReconcile,
  rolloutFor,
  type DesiredPool,
  type ObservedNode,
  type Plan,
  type PlanInput,
  type RolloutSettings,
} from '../../../core/plan.js';

const CLUSTER = 'c';
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const bare = (v: string) => v.replace(/^v/, '');

const DESIRED = { instanceType: 'm6i.large', diskGiB: 50, imageId: 'ami-b', kubernetesVersion: '1.32.6' };

function pool(name: string, count: number, zones: string[], over: Partial<DesiredPool> = {}): DesiredPool {
  return { name, role: name === 'cp' ? 'controlPlane' : 'worker', count, zones, instanceType: DESIRED.instanceType, diskGiB: DESIRED.diskGiB, ...over };
}

function node(poolName: string, index: number, over: Partial<ObservedNode> = {}): ObservedNode {
  return {
    name: `${CLUSTER}-${poolName}-${index}`,
    pool: poolName,
    role: poolName === 'cp' ? 'controlPlane' : 'worker',
    index,
    zone: 'z-a',
    instanceType: DESIRED.instanceType,
    diskGiB: DESIRED.diskGiB,
    imageId: DESIRED.imageId,
    kubernetesVersion: DESIRED.kubernetesVersion,
    instanceId: `i-${poolName}-${index}`,
    state: 'ready',
    createdAt: at(index),
    ...over,
  };
}

function input(pools: DesiredPool[], observed: ObservedNode[], over: Partial<PlanInput['desired']> = {}): PlanInput {
  return { clusterName: CLUSTER, desired: { pools, imageId: DESIRED.imageId, kubernetesVersion: DESIRED.kubernetesVersion, ...over }, observed };
}

const ids = (plan: Plan) => plan.steps.map((s) => s.id);
const summary = (plan: Plan, name: string) => plan.pools.find((p) => p.pool === name);

/** Everything walking the steps one by one must never show; empty when the plan is safe. */
function walkViolations(inp: PlanInput, plan: Plan): string[] {
  const out: string[] = [];
  const pools = new Map(inp.desired.pools.map((p) => [p.name, p]));
  const cpDesired = inp.desired.pools.filter((p) => p.role === 'controlPlane').reduce((n, p) => n + p.count, 0);
  const quorum = cpDesired ? Math.floor(cpDesired / 2) + 1 : 0;
  const rank = (name: string) => {
    const p = pools.get(name);
    if (!p) return 1000;
    return p.role === 'controlPlane' ? 0 : 1 + inp.desired.pools.indexOf(p);
  };
  const maxIndex = new Map<string, number>();
  for (const n of inp.observed) maxIndex.set(n.pool, Math.max(maxIndex.get(n.pool) ?? -1, n.index));
  const ready = (ns: readonly ObservedNode[], keep: (n: ObservedNode) => boolean) => ns.filter((n) => keep(n) && n.state === 'ready').length;
  let nodes: readonly ObservedNode[] = inp.observed;
  let lastRank = 0;
  const seen = new Set<string>();
  plan.steps.forEach((step, k) => {
    const at = `#${k} ${step.id}`;
    if (seen.has(step.id)) out.push(`${at}: id used twice`);
    seen.add(step.id);
    if (step.kind !== 'waitReady') {
      if (rank(step.pool) < lastRank) out.push(`${at}: pool ${step.pool} after a pool that comes later`);
      lastRank = rank(step.pool);
    }
    const prev = nodes.find((n) => n.name === step.node);
    if (step.kind === 'terminate' && prev && !['drained', 'terminating'].includes(prev.state)) out.push(`${at}: terminated in state ${prev.state}, not drained`);
    if (step.kind === 'launch' && step.launch!.index <= (maxIndex.get(step.pool) ?? -1)) out.push(`${at}: reuses an index at or below an observed one`);
    const after = applyStep(nodes, step);
    const p = pools.get(step.pool);
    if (p) {
      const { maxSurge, maxUnavailable } = rolloutFor(p);
      const inPool = after.filter((n) => n.pool === p.name);
      if (step.kind === 'launch' && inPool.length > p.count + maxSurge) out.push(`${at}: ${inPool.length} nodes, beyond ${p.count} + maxSurge ${maxSurge}`);
      const was = ready(nodes, (n) => n.pool === p.name);
      const is = ready(after, (n) => n.pool === p.name);
      if (is < was && is < p.count - maxUnavailable) out.push(`${at}: ${is} Ready of ${p.count} with maxUnavailable ${maxUnavailable}`);
      if (p.role === 'controlPlane' && step.kind === 'launch' && inPool.filter((n) => n.state === 'launching').length > 1) out.push(`${at}: two control-plane nodes launching at once`);
    }
    const cpWas = ready(nodes, (n) => n.role === 'controlPlane');
    const cpIs = ready(after, (n) => n.role === 'controlPlane');
    if (cpIs < cpWas && cpIs < quorum) out.push(`${at}: ${cpIs} control-plane nodes Ready, quorum is ${quorum}`);
    nodes = after;
  });
  return out;
}

/** How the nodes differ from the desired state; empty when they match it. */
function convergenceViolations(inp: PlanInput, nodes: readonly ObservedNode[]): string[] {
  const out: string[] = [];
  const d = inp.desired;
  if (new Set(nodes.map((n) => n.name)).size !== nodes.length) out.push('a node name twice');
  for (const n of nodes) {
    if (!d.pools.some((p) => p.name === n.pool)) out.push(`${n.name}: pool ${n.pool} is not desired`);
    if (n.state !== 'ready' && n.state !== 'notReady') out.push(`${n.name}: left ${n.state}`);
  }
  for (const p of d.pools) {
    const ns = nodes.filter((n) => n.pool === p.name);
    if (ns.length !== p.count) out.push(`${p.name}: ${ns.length} nodes, want ${p.count}`);
    for (const n of ns) {
      const spec = [n.role, n.instanceType, n.diskGiB, n.imageId, bare(n.kubernetesVersion)];
      const want = [p.role, p.instanceType, p.diskGiB, d.imageId, bare(d.kubernetesVersion)];
      if (JSON.stringify(spec) !== JSON.stringify(want)) out.push(`${n.name}: ${JSON.stringify(spec)}, want ${JSON.stringify(want)}`);
      if (!p.zones.includes(n.zone)) out.push(`${n.name}: zone ${n.zone} not in ${p.zones.join(',')}`);
    }
    const perZone = p.zones.map((z) => ns.filter((n) => n.zone === z).length);
    if (Math.max(...perZone) - Math.min(...perZone) > 1) out.push(`${p.name}: zones ${perZone.join('/')}`);
  }
  return out;
}

// Random states: a control plane plus 0–4 worker pools, 0–30 nodes (some in pools no longer
// desired), mostly on spec but with random differences, zones and states.
const ZONES = ['z-a', 'z-b', 'z-c', 'z-d'];
const TYPES = ['m5.large', 'm6i.large', 'c6i.xlarge'];
const IMAGES = ['ami-a', 'ami-b'];
const VERSIONS = ['1.31.10', '1.32.6'];

const mostly = <T,>(want: T, others: readonly T[]) =>
  fc.oneof({ arbitrary: fc.constant(want), weight: 4 }, { arbitrary: fc.constantFrom(...others), weight: 1 });

const rolloutArb: fc.Arbitrary<Partial<RolloutSettings> | undefined> = fc.option(
  fc.record({ maxSurge: fc.integer({ min: 0, max: 3 }), maxUnavailable: fc.integer({ min: 0, max: 3 }) }).map((r) => (r.maxSurge === 0 && r.maxUnavailable === 0 ? { ...r, maxUnavailable: 1 } : r)),
  { nil: undefined },
);

const poolArb = (name: string, role: DesiredPool['role']): fc.Arbitrary<DesiredPool> =>
  fc.record({
    name: fc.constant(name),
    role: fc.constant(role),
    count: role === 'controlPlane' ? fc.constantFrom(1, 3, 5) : fc.integer({ min: 0, max: 8 }),
    instanceType: fc.constantFrom(...TYPES),
    zones: fc.shuffledSubarray(ZONES, { minLength: 1, maxLength: 3 }),
    diskGiB: fc.constantFrom(50, 100),
    rollout: role === 'controlPlane' ? fc.constant(undefined) : rolloutArb,
  });

const desiredArb = fc
  .tuple(fc.integer({ min: 0, max: 4 }), fc.nat())
  .chain(([workers, cpAt]) =>
    fc.tuple(poolArb('cp', 'controlPlane'), ...Array.from({ length: workers }, (_, i) => poolArb(`w${i}`, 'worker'))).map((pools) => {
      const [cp, ...rest] = pools;
      rest.splice(cpAt % (rest.length + 1), 0, cp); // the control plane rolls first wherever it is defined
      return rest;
    }),
  )
  .chain((pools) => fc.record({ pools: fc.constant(pools), imageId: fc.constantFrom(...IMAGES), kubernetesVersion: fc.constantFrom(...VERSIONS) }));

const nodeArb = (d: PlanInput['desired']) => {
  const removed: DesiredPool[] = ['old0', 'old1'].map((name) => ({ name, role: 'worker', count: 0, zones: ZONES, instanceType: 'm5.large', diskGiB: 50 }));
  return fc.constantFrom(...d.pools, ...removed).chain((p) =>
    fc.record({
      pool: fc.constant(p.name),
      role: p.count === 0 && p.name.startsWith('old') ? fc.constantFrom('worker' as const, 'controlPlane' as const) : mostly(p.role, ['worker', 'controlPlane'] as const),
      zone: fc.oneof({ arbitrary: fc.constantFrom(...p.zones), weight: 4 }, { arbitrary: fc.constantFrom(...ZONES), weight: 1 }),
      instanceType: mostly(p.instanceType, TYPES),
      diskGiB: mostly(p.diskGiB, [50, 100]),
      imageId: mostly(d.imageId, IMAGES),
      kubernetesVersion: mostly(d.kubernetesVersion, [...VERSIONS, `v${d.kubernetesVersion}`]),
      state: fc.oneof({ arbitrary: fc.constant('ready' as const), weight: 5 }, { arbitrary: fc.constantFrom(...NODE_STATES), weight: 2 }),
      minute: fc.integer({ min: 0, max: 500 }),
      gap: fc.integer({ min: 0, max: 2 }),
    }),
  );
};

const inputArb: fc.Arbitrary<PlanInput> = desiredArb.chain((desired) =>
  fc.array(nodeArb(desired), { maxLength: 30 }).map((raw) => {
    const next = new Map<string, number>();
    const observed = raw.map(({ pool: p, gap, minute, ...rest }) => {
      const index = (next.get(p) ?? 0) + gap;
      next.set(p, index + 1);
      return { ...rest, pool: p, index, name: `${CLUSTER}-${p}-${index}`, createdAt: at(minute) };
    });
    return { clusterName: CLUSTER, desired, observed };
  }),
);

/** A cluster exactly as desired: every pool at its count, on spec, evenly spread, Ready. */
const settledArb: fc.Arbitrary<PlanInput> = desiredArb.chain((desired) =>
  fc.tuple(...desired.pools.map((p) => fc.tuple(fc.shuffledSubarray(p.zones, { minLength: p.zones.length, maxLength: p.zones.length }), fc.array(fc.integer({ min: 0, max: 500 }), { minLength: p.count, maxLength: p.count })))).map((perPool) => {
    const observed = desired.pools.flatMap((p, i) => {
      const [zones, minutes] = perPool[i]!;
      return minutes.map((minute, index) =>
        node(p.name, index, { role: p.role, zone: zones[index % zones.length]!, instanceType: p.instanceType, diskGiB: p.diskGiB, imageId: desired.imageId, kubernetesVersion: desired.kubernetesVersion, createdAt: at(minute) }),
      );
    });
    return { clusterName: CLUSTER, desired, observed };
  }),
);

describe('planReconcile properties', () => {
  it('(a) applying the plan gives the desired state, which then plans nothing', () => {
    fc.assert(
      fc.property(inputArb, (inp) => {
        const after = applyPlan(inp.observed, planReconcile(inp));
        expect(convergenceViolations(inp, after)).toEqual([]);
        expect(planReconcile({ ...inp, observed: after }).steps).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('(b, c) step by step: within maxSurge and maxUnavailable per pool, control plane at quorum, drained before terminated', () => {
    fc.assert(
      fc.property(inputArb, (inp) => {
        expect(walkViolations(inp, planReconcile(inp))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('(d) is deterministic, whatever the order of the observed nodes', () => {
    fc.assert(
      fc.property(
        inputArb.chain((inp) => fc.tuple(fc.constant(inp), fc.shuffledSubarray([...inp.observed], { minLength: inp.observed.length, maxLength: inp.observed.length }))),
        ([inp, shuffled]) => {
          const plan = planReconcile(inp);
          expect(planReconcile(inp)).toEqual(plan);
          expect(planReconcile({ ...inp, observed: shuffled })).toEqual(plan);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('(e) a settled cluster plans nothing', () => {
    fc.assert(
      fc.property(settledArb, (inp) => {
        const plan = planReconcile(inp);
        expect(plan.steps).toEqual([]);
        for (const s of plan.pools) expect(s).toMatchObject({ toLaunch: 0, toRemove: 0, toReplace: 0, leaving: 0 });
      }),
      { numRuns: 200 },
    );
  });

  it('summaries add up: desired = current + toLaunch − toRemove, and match the steps', () => {
    fc.assert(
      fc.property(inputArb, (inp) => {
        const plan = planReconcile(inp);
        for (const s of plan.pools) {
          expect(s.current + s.toLaunch - s.toRemove).toBe(s.desired);
          const steps = plan.steps.filter((st) => st.pool === s.pool);
          expect(steps.filter((st) => st.kind === 'launch').length).toBe(s.toLaunch + s.toReplace);
          expect(steps.filter((st) => st.kind === 'terminate').length).toBe(s.toRemove + s.toReplace + s.leaving);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('planReconcile scenarios', () => {
  const cp1 = [node('cp', 0)];

  it('scales 2 → 4 workers: next indexes, one per zone, then waits for them', () => {
    const inp = input([pool('cp', 1, ['z-a']), pool('workers', 4, ['z-a', 'z-b'])], [...cp1, node('workers', 0), node('workers', 1, { zone: 'z-b' })]);
    const plan = planReconcile(inp);
    expect(ids(plan)).toEqual(['launch:workers:2', 'launch:workers:3', 'waitReady:workers:2', 'waitReady:workers:3']);
    expect(plan.steps.filter((s) => s.kind === 'launch').map((s) => [s.node, s.zone, s.reason])).toEqual([
      ['c-workers-2', 'z-a', 'scaleUp'],
      ['c-workers-3', 'z-b', 'scaleUp'],
    ]);
    expect(plan.steps[0]!.launch).toEqual({ role: 'worker', index: 2, ...DESIRED });
    expect(summary(plan, 'workers')).toEqual({ pool: 'workers', removed: false, desired: 4, current: 2, toLaunch: 2, toRemove: 0, toReplace: 0, leaving: 0 });
    expect(summary(plan, 'cp')).toMatchObject({ desired: 1, current: 1, toLaunch: 0 });
  });

  it('spreads by count per zone, not by index: a gap in one zone is filled there', () => {
    // z-a holds 2, z-b none: round-robin by index would put index 2 in z-a.
    const inp = input([pool('cp', 1, ['z-a']), pool('workers', 4, ['z-a', 'z-b'])], [...cp1, node('workers', 0), node('workers', 1)]);
    expect(planReconcile(inp).steps.filter((s) => s.kind === 'launch').map((s) => s.zone)).toEqual(['z-b', 'z-b']);
  });

  it('scales 4 → 2: the newest leave first, from the fullest zone, each drained then terminated', () => {
    const observed = [
      ...cp1,
      node('workers', 0, { zone: 'z-a', createdAt: at(0) }),
      node('workers', 1, { zone: 'z-b', createdAt: at(10) }), // recreated: the newest
      node('workers', 2, { zone: 'z-a', createdAt: at(2) }),
      node('workers', 3, { zone: 'z-b', createdAt: at(3) }),
    ];
    const plan = planReconcile(input([pool('cp', 1, ['z-a']), pool('workers', 2, ['z-a', 'z-b'])], observed));
    expect(ids(plan)).toEqual(['drain:workers:1', 'terminate:workers:1', 'drain:workers:2', 'terminate:workers:2']);
    expect(new Set(plan.steps.map((s) => s.reason))).toEqual(new Set(['scaleDown']));
    expect(summary(plan, 'workers')).toMatchObject({ desired: 2, current: 4, toRemove: 2 });
  });

  it('removes every node of a removed pool, after the pools that stay', () => {
    const observed = [...cp1, node('workers', 0), node('gpu', 0), node('gpu', 1, { zone: 'z-b' })];
    const plan = planReconcile(input([pool('cp', 1, ['z-a']), pool('workers', 2, ['z-a'])], observed));
    expect(ids(plan)).toEqual(['launch:workers:1', 'waitReady:workers:1', 'drain:gpu:1', 'terminate:gpu:1', 'drain:gpu:0', 'terminate:gpu:0']);
    expect(plan.steps.filter((s) => s.pool === 'gpu').every((s) => s.reason === 'poolRemoved')).toBe(true);
    expect(summary(plan, 'gpu')).toEqual({ pool: 'gpu', removed: true, desired: 0, current: 2, toLaunch: 0, toRemove: 2, toReplace: 0, leaving: 0 });
  });

  it('replaces an instance type one node at a time with maxSurge 1 / maxUnavailable 0, each in its zone', () => {
    const zones = ['z-a', 'z-b', 'z-c'];
    const observed = [...cp1, ...zones.map((zone, i) => node('workers', i, { zone, instanceType: 'm5.large' }))];
    const inp = input([pool('cp', 1, ['z-a']), pool('workers', 3, zones, { rollout: { maxSurge: 1, maxUnavailable: 0 } })], observed);
    const plan = planReconcile(inp);
    expect(ids(plan)).toEqual([
      ...['launch:workers:3', 'waitReady:workers:3', 'drain:workers:0', 'terminate:workers:0'],
      ...['launch:workers:4', 'waitReady:workers:4', 'drain:workers:1', 'terminate:workers:1'],
      ...['launch:workers:5', 'waitReady:workers:5', 'drain:workers:2', 'terminate:workers:2'],
    ]);
    const launches = plan.steps.filter((s) => s.kind === 'launch');
    expect(launches.map((s) => [s.zone, s.replaces])).toEqual([
      ['z-a', 'c-workers-0'],
      ['z-b', 'c-workers-1'],
      ['z-c', 'c-workers-2'],
    ]);
    expect(plan.steps.every((s) => s.reason === 'replace' && s.details?.join() === 'instanceType m5.large → m6i.large')).toBe(true);
    expect(summary(plan, 'workers')).toMatchObject({ desired: 3, current: 3, toLaunch: 0, toRemove: 0, toReplace: 3 });
    expect(walkViolations(inp, plan)).toEqual([]);
  });

  it('with maxSurge 0 takes nodes out first, maxUnavailable at a time', () => {
    const observed = [...cp1, ...[0, 1, 2, 3].map((i) => node('workers', i, { instanceType: 'm5.large' }))];
    const inp = input([pool('cp', 1, ['z-a']), pool('workers', 4, ['z-a'], { rollout: { maxSurge: 0, maxUnavailable: 2 } })], observed);
    const plan = planReconcile(inp);
    expect(ids(plan)).toEqual([
      ...['drain:workers:0', 'terminate:workers:0', 'drain:workers:1', 'terminate:workers:1'],
      ...['launch:workers:4', 'launch:workers:5', 'waitReady:workers:4', 'waitReady:workers:5'],
      ...['drain:workers:2', 'terminate:workers:2', 'drain:workers:3', 'terminate:workers:3'],
      ...['launch:workers:6', 'launch:workers:7', 'waitReady:workers:6', 'waitReady:workers:7'],
    ]);
    expect(walkViolations(inp, plan)).toEqual([]);
  });

  it('rebalances when a zone is added: one node moves, the newest of the fuller zones', () => {
    const observed = [...cp1, ...['z-a', 'z-b', 'z-a', 'z-b'].map((zone, i) => node('workers', i, { zone }))];
    const plan = planReconcile(input([pool('cp', 1, ['z-a']), pool('workers', 4, ['z-a', 'z-b', 'z-c'])], observed));
    expect(ids(plan)).toEqual(['launch:workers:4', 'waitReady:workers:4', 'drain:workers:3', 'terminate:workers:3']);
    expect(plan.steps[0]).toMatchObject({ zone: 'z-c', reason: 'rebalance', details: ['zone z-b → z-c'], replaces: 'c-workers-3' });
    expect(summary(plan, 'workers')).toMatchObject({ toReplace: 1, toLaunch: 0, toRemove: 0 });
  });

  it('moves the nodes of a removed zone into the remaining ones', () => {
    const observed = [...cp1, ...['z-a', 'z-b', 'z-c'].map((zone, i) => node('workers', i, { zone }))];
    const plan = planReconcile(input([pool('cp', 1, ['z-a']), pool('workers', 3, ['z-a', 'z-b'])], observed));
    expect(ids(plan)).toEqual(['launch:workers:3', 'waitReady:workers:3', 'drain:workers:2', 'terminate:workers:2']);
    expect(plan.steps[0]).toMatchObject({ reason: 'rebalance', details: ['zone z-c → z-a'] });
  });

  it('upgrades Kubernetes 1.31 → 1.32 control plane first, one node at a time, never below quorum', () => {
    const old = { kubernetesVersion: '1.31.10' };
    const zones = ['z-a', 'z-b', 'z-c'];
    const observed = [
      ...zones.map((zone, i) => node('cp', i, { zone, ...old })),
      ...[0, 1].map((i) => node('workers', i, { zone: zones[i]!, ...old })),
    ];
    const inp = input([pool('workers', 2, ['z-a', 'z-b']), pool('cp', 3, zones)], observed);
    const plan = planReconcile(inp);
    const kinds = plan.steps.map((s) => `${s.kind}:${s.pool}`);
    expect(kinds.slice(0, 12)).toEqual(Array.from({ length: 3 }, () => ['launch:cp', 'waitReady:cp', 'drain:cp', 'terminate:cp']).flat());
    expect(kinds.slice(12).every((k) => k.endsWith(':workers'))).toBe(true);
    expect(plan.steps[0]).toMatchObject({ reason: 'replace', details: ['kubernetes 1.31.10 → 1.32.6'], launch: { role: 'controlPlane', kubernetesVersion: '1.32.6' } });
    expect(walkViolations(inp, plan)).toEqual([]);
  });

  it('replaces nodes on an old OS image', () => {
    const observed = [node('cp', 0, { imageId: 'ami-a' }), node('workers', 0, { imageId: 'ami-a' }), node('workers', 1)];
    const plan = planReconcile(input([pool('cp', 1, ['z-a']), pool('workers', 2, ['z-a'])], observed));
    expect(ids(plan)).toEqual([
      ...['launch:cp:1', 'waitReady:cp:1', 'drain:cp:0', 'terminate:cp:0'],
      ...['launch:workers:2', 'waitReady:workers:2', 'drain:workers:0', 'terminate:workers:0'],
    ]);
    expect(plan.steps.every((s) => s.details?.join() === 'image ami-a → ami-b')).toBe(true);
  });

  it('moves a control plane to a renamed pool without losing quorum', () => {
    const zones = ['z-a', 'z-b', 'z-c'];
    const observed = zones.map((zone, i) => node('masters', i, { zone, role: 'controlPlane' }));
    const inp = input([{ ...pool('cp', 3, zones) }], observed);
    const plan = planReconcile(inp);
    expect(ids(plan).slice(0, 6)).toEqual(['launch:cp:0', 'waitReady:cp:0', 'launch:cp:1', 'waitReady:cp:1', 'launch:cp:2', 'waitReady:cp:2']);
    expect(plan.steps.slice(6).every((s) => s.pool === 'masters' && s.reason === 'poolRemoved')).toBe(true);
    expect(walkViolations(inp, plan)).toEqual([]);
  });

  it('finishes an earlier plan: a drained node just needs terminating', () => {
    const observed = [
      ...cp1,
      node('workers', 0, { instanceType: 'm5.large', state: 'drained' }),
      node('workers', 1, { instanceType: 'm5.large' }),
      node('workers', 2), // the Ready replacement of workers-0
    ];
    const plan = planReconcile(input([pool('cp', 1, ['z-a']), pool('workers', 2, ['z-a'])], observed));
    expect(ids(plan)).toEqual(['terminate:workers:0', 'launch:workers:3', 'waitReady:workers:3', 'drain:workers:1', 'terminate:workers:1']);
    expect(summary(plan, 'workers')).toMatchObject({ current: 2, leaving: 1, toReplace: 1 });
  });

  it('waits for a launching node and counts it as surge', () => {
    const observed = [
      ...cp1,
      node('workers', 0, { instanceType: 'm5.large' }),
      node('workers', 1, { instanceType: 'm5.large' }),
      node('workers', 2, { state: 'launching' }),
    ];
    const inp = input([pool('cp', 1, ['z-a']), pool('workers', 2, ['z-a'])], observed);
    const plan = planReconcile(inp);
    expect(ids(plan)).toEqual(['waitReady:workers:2', 'drain:workers:1', 'terminate:workers:1', 'launch:workers:3', 'waitReady:workers:3', 'drain:workers:0', 'terminate:workers:0']);
    expect(walkViolations(inp, plan)).toEqual([]);
  });

  it('waits for a NotReady node it keeps before draining one that still serves', () => {
    const observed = [...cp1, node('workers', 0, { state: 'notReady' }), node('workers', 1), node('workers', 2, { instanceType: 'm5.large' })];
    const plan = planReconcile(input([pool('cp', 1, ['z-a']), pool('workers', 2, ['z-a'])], observed));
    expect(ids(plan)).toEqual(['waitReady:workers:0', 'drain:workers:2', 'terminate:workers:2']);
    expect(plan.steps[0]!.details).toEqual(['Ready before c-workers-2 is drained']);
  });

  it('replaces a NotReady control-plane node only once its successor is Ready: its etcd may hold the only data', () => {
    const observed = [node('cp', 0, { state: 'notReady', imageId: 'ami-a' }), node('workers', 0, { state: 'notReady', imageId: 'ami-a' })];
    const plan = planReconcile(input([pool('cp', 1, ['z-a']), pool('workers', 1, ['z-a'])], observed));
    expect(ids(plan)).toEqual([
      ...['launch:cp:1', 'waitReady:cp:1', 'drain:cp:0', 'terminate:cp:0'],
      // A NotReady worker serves nothing: out first, which frees the surge room.
      ...['drain:workers:0', 'terminate:workers:0', 'launch:workers:1', 'waitReady:workers:1'],
    ]);
  });

  it('reads kubelet versions with a v prefix as the same version', () => {
    const observed = [node('cp', 0, { kubernetesVersion: 'v1.32.6' })];
    expect(planReconcile(input([pool('cp', 1, ['z-a'])], observed)).steps).toEqual([]);
  });

  it('never reuses the index of a node that still exists', () => {
    const observed = [...cp1, node('workers', 0), node('workers', 7, { state: 'draining' })];
    const plan = planReconcile(input([pool('cp', 1, ['z-a']), pool('workers', 2, ['z-a'])], observed));
    expect(ids(plan)).toEqual(['drain:workers:7', 'terminate:workers:7', 'launch:workers:8', 'waitReady:workers:8']);
  });

  it('applyPlan launches Ready nodes on the desired spec and removes terminated ones', () => {
    const observed = [...cp1, node('workers', 0, { instanceType: 'm5.large' })];
    const plan = planReconcile(input([pool('cp', 1, ['z-a']), pool('workers', 1, ['z-b'])], observed));
    const after = applyPlan(observed, plan);
    expect(after.map((n) => [n.name, n.zone, n.instanceType, n.state])).toEqual([
      ['c-cp-0', 'z-a', 'm6i.large', 'ready'],
      ['c-workers-1', 'z-b', 'm6i.large', 'ready'],
    ]);
    expect(after[1]!.createdAt > observed[1]!.createdAt).toBe(true);
    expect(plan.steps.reduce<ObservedNode[]>((ns, s) => applyStep(ns, s), observed)).toEqual(after);
  });
});

describe('rollout settings', () => {
  it('default to maxSurge 1, maxUnavailable 0, field by field; the control plane is fixed', () => {
    expect(rolloutFor({ role: 'worker' })).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(rolloutFor({ role: 'worker', rollout: { maxUnavailable: 2 } })).toEqual({ maxSurge: 1, maxUnavailable: 2 });
    expect(rolloutFor({ role: 'controlPlane', rollout: { maxSurge: 3 } })).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it('refuse settings that cannot progress, naming the field', () => {
    const pools = [
      pool('cp', 3, ['z-a'], { rollout: { maxSurge: 2 } }),
      pool('a', 1, ['z-a'], { rollout: { maxSurge: 0 } }),
      pool('b', 1, ['z-a'], { rollout: { maxSurge: 0, maxUnavailable: 1 } }),
      pool('c', 1, ['z-a'], { rollout: { maxSurge: -1, maxUnavailable: 1.5 } }),
    ];
    expect(checkRolloutSettings(pools).map((d) => d.path)).toEqual([
      'nodePools[0].rollout',
      'nodePools[1].rollout.maxUnavailable',
      'nodePools[3].rollout.maxSurge',
      'nodePools[3].rollout.maxUnavailable',
    ]);
    expect(checkRolloutSettings([pool('cp', 3, ['z-a'], { rollout: { maxSurge: 1, maxUnavailable: 0 } })])).toEqual([]);
    try {
      planReconcile(input(pools, []));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).details.map((d) => d.path)).toContain('nodePools[1].rollout.maxUnavailable');
    }
  });

  it('refuse the same node observed twice', () => {
    expect(() => planReconcile(input([pool('cp', 1, ['z-a'])], [node('cp', 0), node('cp', 0)]))).toThrow(/observed\[1\]/);
  });
});
