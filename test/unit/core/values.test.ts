import { describe, expect, it } from 'vitest';
import { diffValues, parseValues, valuesOf } from '../../../core/values.js';

describe('pack values', () => {
  it('accepts a YAML mapping or nothing, and refuses scalars, lists, duplicate keys and broken YAML', () => {
    expect(parseValues('')).toEqual({ ok: true, values: {} });
    expect(parseValues('a:\n  b: 1\n')).toEqual({ ok: true, values: { a: { b: 1 } } });
    expect(parseValues('just a string').ok).toBe(false);
    expect(parseValues('- a\n- b').ok).toBe(false);
    expect(parseValues('a: 1\na: 2\n').ok).toBe(false);
    const broken = parseValues('a: [1, 2\n');
    expect(broken.ok || broken.message).toMatch(/not valid YAML/);
  });

  it('diffs key path by key path, whatever the key order', () => {
    const from = valuesOf('b: 1\na:\n  x: old\n  gone: true\nlist: [1, 2]\n');
    const to = valuesOf('a:\n  x: new\n  fresh: 3\nb: 1\nlist: [1, 2, 3]\n"odd key": y\n');
    expect(diffValues(from, to)).toEqual([
      { path: '"odd key"', kind: 'added', to: 'y' },
      { path: 'a.fresh', kind: 'added', to: 3 },
      { path: 'a.gone', kind: 'removed', from: true },
      { path: 'a.x', kind: 'changed', from: 'old', to: 'new' },
      { path: 'list', kind: 'changed', from: [1, 2], to: [1, 2, 3] },
    ]);
    expect(diffValues(valuesOf('a: {b: 1, c: 2}'), valuesOf('a: {c: 2, b: 1}'))).toEqual([]);
  });

  it('diffs named lists item by item whatever their order, other lists whole', () => {
    const from = valuesOf('env:\n  - {name: A, value: "1"}\n  - {name: B, value: "2"}\nports: [80]\n');
    const to = valuesOf('env:\n  - {name: B, value: "2"}\n  - {name: A, value: "3"}\n  - {name: "C D", value: "4"}\nports: [80, 443]\n');
    expect(diffValues(from, to)).toEqual([
      { path: 'env[name="C D"]', kind: 'added', to: { name: 'C D', value: '4' } },
      { path: 'env[name=A].value', kind: 'changed', from: '1', to: '3' },
      { path: 'ports', kind: 'changed', from: [80], to: [80, 443] },
    ]);
  });
});
