import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { diffLayers } from '../../../core/profile-diff.js';
import type { ResolvedLayer } from '../../../core/profiles.js';
import { analyzeUpdate, mergeUpdate } from '../../../core/updates.js';
import { formatPath, parsePath } from '../../../core/value-paths.js';
import { effectiveValues, mergeValues, overriddenValues, valuesOf } from '../../../core/values.js';

const layer = (name: string, version: string, values: string): ResolvedLayer => ({ layer: 'addon', registryId: 'public', packId: `pk-${name}`, name, version, values });

const BASE = `# Ingress controller settings
controller:
  # how many pods
  replicas: 2 # keep even
  env:
    - name: HTTP_PROXY
      value: http://old
    - name: NO_PROXY
      value: localhost
# metrics
metrics:
  enabled: false
`;
const TARGET = BASE.replace('replicas: 2', 'replicas: 3').replace('enabled: false', 'enabled: true');
const OVERRIDE = `# cluster cl-1: a bigger ingress
controller:
  replicas: 5 # pinned for load
`;

const base = [layer('ingress', '1.0.0', BASE)];
const target = [layer('ingress', '1.1.0', TARGET)];

describe('update analysis', () => {
  it('an upgrade lists its value changes; the one the cluster overrides conflicts, the other merges cleanly', () => {
    const analysis = analyzeUpdate(base, target, { ingress: OVERRIDE });
    expect(analysis.packs).toEqual([
      {
        name: 'ingress',
        layer: 'addon',
        change: 'upgraded',
        fromVersion: '1.0.0',
        toVersion: '1.1.0',
        values: [
          { path: 'controller.replicas', kind: 'changed', from: 2, to: 3, cluster: 5, merge: 'conflict', key: 'ingress/controller.replicas' },
          { path: 'metrics.enabled', kind: 'changed', from: false, to: true, merge: 'clean', key: 'ingress/metrics.enabled' },
        ],
      },
    ]);
    expect(analysis.conflicts).toEqual(['ingress/controller.replicas']);
  });

  it('an override equal to the new value, or one of a parent map elsewhere, is clean', () => {
    expect(analyzeUpdate(base, target, { ingress: 'controller:\n  replicas: 3\n' }).conflicts).toEqual([]);
    const elsewhere = analyzeUpdate(base, target, { ingress: 'controller:\n  env:\n    - name: NO_PROXY\n      value: internal\n' });
    expect(elsewhere.conflicts).toEqual([]);
  });

  it('a scalar set above a changed key conflicts with it (it replaces the whole map)', () => {
    const analysis = analyzeUpdate(base, target, { ingress: 'metrics: null\n' });
    expect(analysis.packs[0]!.values.find((v) => v.path === 'metrics.enabled')).toMatchObject({ cluster: null, merge: 'conflict' });
  });

  it('packs added, removed (overrides dropped only when there were some), downgraded, values only; target order then removed', () => {
    const from = [layer('a', '1.0.0', 'x: 1\n'), layer('gone', '2.0.0', ''), layer('old', '1.0.0', ''), layer('b', '3.2.0', 'y: 1\n')];
    const to = [layer('new', '0.1.0', 'z: 1\n'), layer('b', '3.1.9', 'y: 1\n'), layer('a', '1.0.0', 'x: 2\n')];
    const analysis = analyzeUpdate(from, to, { gone: 'k: v\n', old: '', a: 'w: 1\n' });
    expect(analysis.packs.map((p) => [p.name, p.change, p.overridesDropped])).toEqual([
      ['new', 'added', undefined],
      ['b', 'downgraded', undefined],
      ['a', 'values', undefined],
      ['gone', 'removed', true],
      ['old', 'removed', undefined],
    ]);
    expect(analysis.packs.find((p) => p.name === 'a')!.values).toEqual([{ path: 'x', kind: 'changed', from: 1, to: 2, merge: 'clean', key: 'a/x' }]);
    expect(diffLayers(from, to).find((c) => c.name === 'b')!.change).toBe('downgraded');
  });

  it('a reverted change (target equal to base) is no update', () => {
    expect(analyzeUpdate(base, [layer('ingress', '1.0.0', BASE)], { ingress: OVERRIDE })).toEqual({ packs: [], conflicts: [] });
  });

  it('named lists are compared item by item, ignoring order; other lists whole', () => {
    const from = [layer('p', '1.0.0', 'env:\n  - {name: a, value: "1"}\n  - {name: b, value: "2"}\nargs: [x, y]\n')];
    const reordered = [layer('p', '1.0.0', 'env:\n  - {name: b, value: "2"}\n  - {name: a, value: "1"}\nargs: [x, y]\n')];
    expect(analyzeUpdate(from, reordered, {}).packs).toEqual([]);
    const to = [layer('p', '1.0.0', 'env:\n  - {name: a, value: "9"}\n  - {name: c, value: "3"}\nargs: [y, x]\n')];
    const values = analyzeUpdate(from, to, { p: 'env:\n  - {name: a, value: "5"}\n' }).packs[0]!.values;
    expect(values.map((v) => [v.path, v.kind, v.merge])).toEqual([
      ['args', 'changed', 'clean'],
      ['env[name=a].value', 'changed', 'conflict'],
      ['env[name=b]', 'removed', 'clean'],
      ['env[name=c]', 'added', 'clean'],
    ]);
  });
});

describe('update merge', () => {
  const resolve = (resolution: Parameters<typeof mergeUpdate>[3][string]) => mergeUpdate(base, target, { ingress: OVERRIDE }, { 'ingress/controller.replicas': resolution });

  it('keepCluster: the override stays as written; the merged values keep the profile comments with the cluster value', () => {
    const merged = resolve('keepCluster');
    expect(merged).toMatchObject({ unresolved: [], unknown: [] });
    expect(merged.overrides.ingress).toBe(OVERRIDE);
    expect(merged.values.ingress).toBe(TARGET.replace('replicas: 3', 'replicas: 5'));
  });

  it("takeProfile: the override loses the key (its other comments kept); the values take the profile's", () => {
    const merged = mergeUpdate(base, target, { ingress: `${OVERRIDE}  ingressClass: internal # ours\n` }, { 'ingress/controller.replicas': 'takeProfile' });
    expect(merged.overrides.ingress).toBe('# cluster cl-1: a bigger ingress\ncontroller:\n  ingressClass: internal # ours\n');
    expect(parse(merged.values.ingress!).controller).toMatchObject({ replicas: 3, ingressClass: 'internal' });
    expect(merged.values.ingress).toContain('  # how many pods\n  replicas: 3 # keep even\n');
    // Nothing left to override: the pack drops out of the overrides.
    expect(resolve('takeProfile').overrides).toEqual({});
    expect(resolve('takeProfile').values.ingress).toBe(TARGET);
  });

  it('a new value: written in the override where the old one was, comments of both kept', () => {
    const merged = resolve({ value: 7 });
    expect(merged.overrides.ingress).toBe(OVERRIDE.replace('replicas: 5', 'replicas: 7'));
    expect(merged.values.ingress).toBe(TARGET.replace('replicas: 3', 'replicas: 7'));
  });

  it('named-list item paths resolve in the override document', () => {
    const from = [layer('p', '1.0.0', 'env:\n  - name: a\n    value: "1"\n  - name: b\n    value: "2"\n')];
    const to = [layer('p', '1.0.0', 'env:\n  - name: a\n    value: "9"\n  - name: b\n    value: "2"\n')];
    const override = 'env:\n  - name: b # second\n    value: x\n  - name: a\n    value: "5"\n';
    const key = 'p/env[name=a].value';
    expect(mergeUpdate(from, to, { p: override }, { [key]: { value: '6' } }).overrides.p).toBe(override.replace('"5"', '"6"'));
    const taken = mergeUpdate(from, to, { p: override }, { [key]: 'takeProfile' });
    expect(taken.overrides.p).toBe('env:\n  - name: b # second\n    value: x\n');
    expect(parse(taken.values.p!).env).toEqual([
      { name: 'a', value: '9' },
      { name: 'b', value: 'x' },
    ]);
  });

  it('unresolved conflicts and unknown resolution keys are reported; overrides of removed packs go', () => {
    const merged = mergeUpdate(base, target, { ingress: OVERRIDE, gone: 'a: 1\n' }, { 'ingress/metrics.enabled': 'takeProfile', 'other/x': 'keepCluster' });
    expect(merged.unresolved).toEqual(['ingress/controller.replicas']);
    expect(merged.unknown).toEqual(['ingress/metrics.enabled', 'other/x']);
    expect(merged.overrides).toEqual({ ingress: OVERRIDE });
  });
});

describe('effective values', () => {
  it('merges a partial override into the profile document, comments and untouched sections kept byte for byte', () => {
    const profile = '# top\na:\n  b: 1 # one\n  list: [1, 2]\nenv:\n  - name: A\n    value: x\n\n# untouched\nz:   {k: v}\n';
    expect(effectiveValues(profile, '')).toBe(profile);
    expect(effectiveValues(profile, undefined)).toBe(profile);
    const merged = effectiveValues(profile, 'a:\n  b: 2\nenv:\n  - name: B\n    value: y\nnew: true\n');
    // Sections the override touches are written by the YAML library (its flow-list spacing).
    expect(merged).toBe('# top\na:\n  b: 2 # one\n  list: [ 1, 2 ]\nenv:\n  - name: A\n    value: x\n  - name: B\n    value: y\n\n# untouched\nz:   {k: v}\nnew: true\n');
    expect(overriddenValues(profile, 'a:\n  b: 1\n  c: 3\nenv:\n  - name: A\n    value: y\n')).toEqual([
      { path: 'a.c', cluster: 3 },
      { path: 'env[name=A].value', profile: 'x', cluster: 'y' },
    ]);
  });

  it('writes the whole document again when sections share anchors', () => {
    const profile = 'a: &d {x: 1}\nb: *d\n';
    expect(parse(effectiveValues(profile, 'a:\n  x: 2\n'))).toEqual({ a: { x: 2 }, b: { x: 2 } });
  });

  it('key paths read back what they write', () => {
    const segments = ['controller', 'app.kubernetes.io/name', 'env', { name: 'HTTP PROXY' }, 'value'];
    expect(formatPath(segments)).toBe('controller."app.kubernetes.io/name".env[name="HTTP PROXY"].value');
    expect(parsePath(formatPath(segments))).toEqual(segments);
    expect(parsePath('a[name=x-1.y].b')).toEqual(['a', { name: 'x-1.y' }, 'b']);
    expect(parsePath('a..b')).toBeUndefined();
    expect(parsePath('[name=x]')).toBeUndefined();
  });
});

describe('properties', () => {
  const scalar = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('a', 'b', 'c d', ''), fc.boolean());
  const keys = fc.constantFrom('a', 'b', 'c', 'odd.key', 'n');
  const tree = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, scalar, tie('map'), tie('named'), fc.array(scalar, { maxLength: 2 })),
    map: fc.dictionary(keys, tie('node'), { maxKeys: 3 }),
    named: fc.uniqueArray(fc.record({ name: fc.constantFrom('x', 'y', 'z'), v: scalar }), { selector: (i) => i.name, minLength: 1, maxLength: 3 }),
  })).map as fc.Arbitrary<Record<string, unknown>>;
  const doc = tree.map((t) => stringify(t));
  const pack = (values: string) => [layer('p', '1.0.0', values)];

  it('a revision compared with itself is no update, whatever the overrides', () => {
    fc.assert(
      fc.property(doc, doc, (v, o) => {
        expect(analyzeUpdate(pack(v), pack(v), { p: o })).toEqual({ packs: [], conflicts: [] });
      }),
      { numRuns: 100 },
    );
  });

  it('without overrides there are no conflicts and the merged values are the target values', () => {
    fc.assert(
      fc.property(doc, doc, (a, b) => {
        expect(analyzeUpdate(pack(a), pack(b), {}).conflicts).toEqual([]);
        const merged = mergeUpdate(pack(a), pack(b), {}, {});
        expect(merged.overrides).toEqual({});
        expect(parse(merged.values.p!) ?? {}).toEqual(parse(b) ?? {});
      }),
      { numRuns: 100 },
    );
  });

  it('the effective values text parses to the merge of the parsed trees', () => {
    fc.assert(
      fc.property(doc, doc, (p, o) => {
        const merged = effectiveValues(p, o);
        expect(valuesOf(merged)).toEqual(mergeValues(valuesOf(p), valuesOf(o)));
        // Every value the override sets is in place: merging it again finds nothing to override.
        expect(overriddenValues(merged, o)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
