import { parse, YAMLParseError } from 'yaml';

/** Pack values are YAML text; this is the parsed tree. */
export type Values = { [key: string]: unknown };

/** Parse values text; returns an error message instead of throwing, for zod refinements. */
export function parseValues(text: string): { ok: true; values: Values } | { ok: false; message: string } {
  if (text.trim() === '') return { ok: true, values: {} };
  try {
    const doc = parse(text, { strict: true, uniqueKeys: true, maxAliasCount: 100 });
    if (doc === null || doc === undefined) return { ok: true, values: {} };
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      return { ok: false, message: 'values must be a YAML mapping (key: value), not a scalar or a list' };
    }
    return { ok: true, values: doc as Values };
  } catch (err) {
    const message = err instanceof YAMLParseError ? err.message.split('\n')[0]! : String(err);
    return { ok: false, message: `not valid YAML: ${message}` };
  }
}

export function valuesOf(text: string): Values {
  const result = parseValues(text);
  if (!result.ok) throw new Error(result.message);
  return result.values;
}

export interface ValueChange {
  /** Dotted key path, e.g. controller.replicas; list items as [i]. */
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  readonly from?: unknown;
  readonly to?: unknown;
}

const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

function join(base: string, key: string): string {
  const safe = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return base ? `${base}.${safe}` : safe;
}

/** Every leaf that differs between two values trees, key path by key path, sorted by path. */
export function diffValues(from: Values, to: Values): ValueChange[] {
  const out: ValueChange[] = [];
  walk(from, to, '', out);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

function walk(a: unknown, b: unknown, path: string, out: ValueChange[]): void {
  if (isMap(a) && isMap(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const p = join(path, key);
      if (!(key in b)) out.push({ path: p, kind: 'removed', from: a[key] });
      else if (!(key in a)) out.push({ path: p, kind: 'added', to: b[key] });
      else walk(a[key], b[key], p, out);
    }
    return;
  }
  if (!deepEqual(a, b)) out.push({ path, kind: 'changed', from: a, to: b });
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}
