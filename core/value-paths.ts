import { isMap as isYamlMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { isMapping } from './mapping.js';

/**
 * Key paths into pack values, the one way the profile diff, the update analysis, its resolutions
 * and the override merge name a value:
 * - keys are joined with dots (`controller.replicas`); a key that is not a plain identifier
 *   (/^[A-Za-z_][A-Za-z0-9_-]*$/) is written as a JSON string (`podLabels."app.kubernetes.io/name"`);
 * - a named list (every item a mapping with a `name` string, names unique, at least one item) is
 *   compared item by item, its items addressed by name: `env[name=HTTP_PROXY].value`; a name
 *   that is not plain (/^[A-Za-z0-9_][A-Za-z0-9_.\/:-]*$/) is a JSON string (`env[name="a b"]`).
 *   Its order is not a change: a named list is a set of items keyed by name;
 * - any other list (and an empty one) is one value, compared whole.
 */
export type PathSegment = string | { readonly name: string };

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_./:-]*$/;

export { isMapping };

/** A list compared and merged item by item, by `name`. */
export function isNamedList(v: unknown): v is Record<string, unknown>[] {
  if (!Array.isArray(v) || v.length === 0) return false;
  const names = new Set<string>();
  for (const item of v) {
    if (!isMapping(item) || typeof item.name !== 'string' || names.has(item.name)) return false;
    names.add(item.name);
  }
  return true;
}

export function keySegment(key: string): string {
  return PLAIN_KEY.test(key) ? key : JSON.stringify(key);
}

export function itemSegment(name: string): string {
  return `[name=${PLAIN_NAME.test(name) ? name : JSON.stringify(name)}]`;
}

/** `base` with one more key. */
export function joinKey(base: string, key: string): string {
  return base ? `${base}.${keySegment(key)}` : keySegment(key);
}

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) out = typeof s === 'string' ? joinKey(out, s) : out + itemSegment(s.name);
  return out;
}

/** The segments of a key path; undefined when it is not one (an API answers 400 naming it). */
export function parsePath(text: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  let i = 0;
  const quoted = (): string | undefined => {
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    if (j >= text.length) return undefined;
    try {
      const value: unknown = JSON.parse(text.slice(i, j + 1));
      i = j + 1;
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  };
  const plain = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = i;
    const m = pattern.exec(text);
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const key = () => (text[i] === '"' ? quoted() : plain(/[A-Za-z_][A-Za-z0-9_-]*/y));
  const first = key();
  if (first === undefined) return undefined;
  segments.push(first);
  while (i < text.length) {
    if (text[i] === '.') {
      i++;
      const k = key();
      if (k === undefined) return undefined;
      segments.push(k);
    } else if (text.startsWith('[name=', i)) {
      i += 6;
      const name = text[i] === '"' ? quoted() : plain(/[^\]]+/y);
      if (name === undefined || text[i] !== ']') return undefined;
      i++;
      segments.push({ name });
    } else {
      return undefined;
    }
  }
  return segments;
}

/** The value at a path in a parsed tree; undefined when absent (parsed YAML holds null, never undefined). */
export function valueAt(tree: unknown, segments: readonly PathSegment[]): unknown {
  let node = tree;
  for (const s of segments) {
    if (typeof s === 'string') {
      if (!isMapping(node) || !Object.hasOwn(node, s)) return undefined;
      node = node[s];
    } else {
      if (!Array.isArray(node)) return undefined;
      node = node.find((item) => isMapping(item) && item.name === s.name);
      if (node === undefined) return undefined;
    }
  }
  return node;
}

/** The value that puts `value` at `segments` under a collection lacking the first of them. */
function valueFor(segments: readonly PathSegment[], value: unknown): unknown {
  if (segments.length === 0) return value;
  const [head, ...rest] = segments;
  if (typeof head === 'string') return { [head]: valueFor(rest, value) };
  const inner = valueFor(rest, value);
  return [isMapping(inner) ? { name: head!.name, ...inner } : { name: head!.name }];
}

const keyText = (key: unknown): string => String(isScalar(key) ? key.value : key);

/**
 * The keys (map keys as the document holds them, list indexes for named items) of the longest
 * prefix of `segments` present in a document, the node there, and what is left of the path.
 */
export function documentPath(doc: Document, segments: readonly PathSegment[]): { keys: unknown[]; node: unknown; rest: PathSegment[] } {
  const keys: unknown[] = [];
  let node: unknown = doc.contents;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (typeof s === 'string' && isYamlMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === s);
      if (pair) {
        keys.push(isScalar(pair.key) ? pair.key.value : pair.key);
        node = pair.value;
        continue;
      }
    } else if (typeof s !== 'string' && isSeq(node)) {
      const index = node.items.findIndex((item) => isYamlMap(item) && item.get('name') === s.name);
      if (index >= 0) {
        keys.push(index);
        node = node.items[index];
        continue;
      }
    }
    return { keys, node, rest: segments.slice(i) };
  }
  return { keys, node, rest: [] };
}

/** Put a value at a path of a document, making the maps and named items it needs (comments elsewhere kept). */
export function setAt(doc: Document, segments: readonly PathSegment[], value: unknown): void {
  const { keys, node, rest } = documentPath(doc, segments);
  if (rest.length === 0) {
    doc.setIn(keys, value);
    return;
  }
  const head = rest[0]!;
  if (typeof head === 'string' && (isYamlMap(node) || (keys.length === 0 && node == null))) {
    doc.setIn([...keys, head], valueFor(rest.slice(1), value));
  } else if (typeof head !== 'string' && isSeq(node)) {
    doc.addIn(keys, (valueFor(rest, value) as unknown[])[0]);
  } else {
    // A scalar (or a list of another kind) where the path goes on: the new value replaces it.
    doc.setIn(keys, valueFor(rest, value));
  }
}

/**
 * Remove the value at a path and, along it, the maps and named items it leaves empty. When the
 * document sets a scalar above the path (which replaces everything under it), that goes.
 * Returns whether anything was removed.
 */
export function deleteAt(doc: Document, segments: readonly PathSegment[]): boolean {
  const { keys, node, rest } = documentPath(doc, segments);
  if (keys.length === 0) return false;
  if (rest.length > 0 && (isYamlMap(node) || isSeq(node))) return false;
  doc.deleteIn(keys);
  for (let k = keys.length - 1; k > 0; k--) {
    const parent = doc.getIn(keys.slice(0, k)) as Node | undefined;
    const emptyMap = isYamlMap(parent) && (parent.items.length === 0 || (typeof keys[k - 1] === 'number' && parent.items.length === 1 && parent.has('name')));
    const emptyList = isSeq(parent) && parent.items.length === 0;
    if (!emptyMap && !emptyList) break;
    doc.deleteIn(keys.slice(0, k));
  }
  return true;
}
