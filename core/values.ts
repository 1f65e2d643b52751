import { CORE_SCHEMA, load } from 'js-yaml';
import { Document, Pair, parse, parseDocument, visit, YAMLMap, YAMLParseError, isMap as isYamlMap, isScalar, type Scalar } from 'yaml';
import { documentPath, formatPath, isMapping, isNamedList, itemSegment, joinKey, setAt, type PathSegment } from './value-paths.js';

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


/** Whether a values text sets nothing: blank, only comments, or an empty mapping. */
export function isEmptyValues(text: string | undefined): boolean {
  if (text === undefined || text.trim() === '') return true;
  return Object.keys(valuesOf(text)).length === 0;
}

/**
 * Parsed values of texts seen lately, frozen and shared: a profile revision's values are parsed
 * once however many clusters run it (YAML parsing is the cost of an update analysis).
 */
const CACHE_SIZE = 64;
const parsedTrees = new Map<string, Values>();
const parsedDocuments = new Map<string, Document>();

function remember<T>(cache: Map<string, T>, text: string, make: () => T): T {
  const hit = cache.get(text);
  if (hit !== undefined) {
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const value = make();
  cache.set(text, value);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return value;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v)) deepFreeze(child);
  }
  return v;
}

/**
 * valuesOf, shared: the tree is frozen. Stored values were validated by parseValues when they came
 * in, so the tree is read with js-yaml's core schema, the same YAML 1.2 types and about eight
 * times faster than the yaml package on large chart values (which matters to a cold update view).
 */
export function sharedValues(text: string): Values {
  return remember(parsedTrees, text, () => deepFreeze(fastTree(text)));
}

function fastTree(text: string): Values {
  try {
    const tree = text.trim() === '' ? {} : load(text, { schema: CORE_SCHEMA });
    if (tree === null || tree === undefined) return {};
    if (typeof tree === 'object' && !Array.isArray(tree) && !(tree instanceof Date)) return tree as Values;
  } catch {
    // not what parseValues accepts: let it say why
  }
  return valuesOf(text);
}

/** The document of a values text, shared: never to be changed (clone the part you edit). */
function sharedDocument(text: string): Document {
  return remember(parsedDocuments, text, () => parseDocument(text));
}

export interface ValueChange {
  /** Key path (core/value-paths.ts): `controller.replicas`, `"app.kubernetes.io/name"`, `env[name=HTTP_PROXY].value`. */
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  readonly from?: unknown;
  readonly to?: unknown;
}

/**
 * Every leaf that differs between two values trees, key path by key path, sorted by path.
 * Named lists are compared item by item (their order is no change); other lists whole.
 */
export function diffValues(from: Values, to: Values): ValueChange[] {
  const out: ValueChange[] = [];
  walk(from, to, '', out);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function walk(a: unknown, b: unknown, path: string, out: ValueChange[]): void {
  if (a === b) return;
  if (isMapping(a) && isMapping(b)) {
    for (const key of Object.keys(a)) {
      const p = joinKey(path, key);
      if (!Object.hasOwn(b, key)) out.push({ path: p, kind: 'removed', from: a[key] });
      else walk(a[key], b[key], p, out);
    }
    for (const key of Object.keys(b)) if (!Object.hasOwn(a, key)) out.push({ path: joinKey(path, key), kind: 'added', to: b[key] });
    return;
  }
  if (isNamedList(a) && isNamedList(b)) {
    const after = new Map(b.map((item) => [item.name as string, item]));
    const before = new Set<string>();
    for (const item of a) {
      const name = item.name as string;
      before.add(name);
      const p = path + itemSegment(name);
      const other = after.get(name);
      if (other === undefined) out.push({ path: p, kind: 'removed', from: item });
      else walk(item, other, p, out);
    }
    for (const item of b) if (!before.has(item.name as string)) out.push({ path: path + itemSegment(item.name as string), kind: 'added', to: item });
    return;
  }
  if (!deepEqual(a, b)) out.push({ path, kind: 'changed', from: a, to: b });
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
}

/**
 * An override on top of values: maps merge key by key, named lists item by item (an item of a
 * new name is appended), anything else in `over` replaces. Unchanged parts are shared, not copied.
 */
export function mergeValues(base: unknown, over: unknown): unknown {
  if (isMapping(base) && isMapping(over)) {
    const out: Values = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = Object.hasOwn(base, k) ? mergeValues(base[k], v) : v;
    return out;
  }
  if (isNamedList(base) && isNamedList(over)) {
    const overBy = new Map(over.map((item) => [item.name, item]));
    const out = base.map((item) => (overBy.has(item.name) ? mergeValues(item, overBy.get(item.name)) : item));
    const names = new Set(base.map((item) => item.name));
    return [...out, ...over.filter((item) => !names.has(item.name))];
  }
  return over;
}

/** effectiveValues, parsed: the tree the agent gets. */
export function effectiveTree(profileValues: string, override: string | undefined): Values {
  if (override === undefined || override.trim() === '') return sharedValues(profileValues);
  return mergeValues(sharedValues(profileValues), valuesOf(override)) as Values;
}

/** One write of an override into profile values: set a path, or append an item to the named list there. */
interface Edit {
  readonly path: readonly PathSegment[];
  readonly value: unknown;
  readonly append?: true;
}

function overrideEdits(base: unknown, over: unknown, path: PathSegment[], out: Edit[]): void {
  if (isMapping(base) && isMapping(over)) {
    for (const [k, v] of Object.entries(over)) {
      if (Object.hasOwn(base, k)) overrideEdits(base[k], v, [...path, k], out);
      else out.push({ path: [...path, k], value: v });
    }
  } else if (isNamedList(base) && isNamedList(over)) {
    for (const item of over) {
      const own = base.find((b) => b.name === item.name);
      if (own) overrideEdits(own, item, [...path, { name: item.name as string }], out);
      else out.push({ path, value: item, append: true });
    }
  } else if (!deepEqual(base, over)) {
    out.push({ path, value: over });
  }
}

function applyEdit(doc: Document, edit: Edit): void {
  if (!edit.append) return setAt(doc, edit.path, edit.value);
  doc.addIn(documentPath(doc, edit.path).keys, edit.value);
}

/**
 * The layer's values with a cluster's override on top (mergeValues' rule), as YAML text that
 * keeps the profile's comments and layout: the top-level sections the override touches are
 * written again from the edited document, every other byte stays. No override: the text itself.
 */
export function effectiveValues(profileValues: string, override: string | undefined): string {
  if (override === undefined || override.trim() === '') return profileValues;
  const over = valuesOf(override);
  const edits: Edit[] = [];
  overrideEdits(sharedValues(profileValues), over, [], edits);
  if (edits.length === 0) return profileValues;
  return spliceSections(profileValues, edits) ?? rewriteWhole(profileValues, edits);
}

function rewriteWhole(text: string, edits: readonly Edit[]): string {
  const doc: Document = parseDocument(text);
  if (doc.contents === null) doc.contents = new YAMLMap();
  for (const edit of edits) applyEdit(doc, edit);
  return doc.toString();
}

const spliceable = new WeakMap<Document, boolean>();

/** A block mapping of plain keys, no anchors or aliases: each top-level section stands alone. */
function canSplice(doc: Document): boolean {
  let ok = spliceable.get(doc);
  if (ok === undefined) {
    ok = doc.errors.length === 0 && isYamlMap(doc.contents) && !doc.contents.flow && doc.contents.items.every((p) => isScalar(p.key));
    if (ok) {
      visit(doc, {
        Alias: () => {
          ok = false;
          return visit.BREAK;
        },
        Node: (_, node) => {
          if (node.anchor) {
            ok = false;
            return visit.BREAK;
          }
          return undefined;
        },
      });
    }
    spliceable.set(doc, ok);
  }
  return ok;
}

function spliceSections(text: string, edits: readonly Edit[]): string | undefined {
  const doc = sharedDocument(text);
  if (!canSplice(doc)) return undefined;
  const root = doc.contents as YAMLMap<Scalar, unknown>;
  const bySection = new Map<string, Edit[]>();
  for (const edit of edits) {
    const key = edit.path[0] as string;
    bySection.set(key, [...(bySection.get(key) ?? []), edit]);
  }
  const replacements: { start: number; end: number; text: string }[] = [];
  let appended = '';
  for (const [key, sectionEdits] of bySection) {
    const pair = root.items.find((p) => String(p.key.value) === key);
    const section = new Document();
    const map = new YAMLMap();
    section.contents = map;
    if (!pair) {
      for (const edit of sectionEdits) applyEdit(section, edit);
      appended += section.toString();
      continue;
    }
    const value = pair.value as Scalar | YAMLMap | null;
    const keyNode = pair.key.clone();
    // What comes before the key stays in the untouched text.
    keyNode.commentBefore = undefined;
    keyNode.spaceBefore = undefined;
    map.items.push(new Pair(keyNode, value === null ? null : value.clone()));
    for (const edit of sectionEdits) applyEdit(section, edit);
    const start = pair.key.range![0];
    let end = Math.max(pair.key.range![2], value?.range?.[2] ?? 0);
    while (end < text.length && text[end - 1] !== '\n' && (text[end] === ' ' || text[end] === '\t')) end++;
    if (end < text.length && text[end - 1] !== '\n') {
      if (text[end] !== '\n' && text[end] !== '\r') return undefined;
      end += text[end] === '\r' ? 2 : 1;
    }
    replacements.push({ start, end, text: section.toString() });
  }
  replacements.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const r of replacements) {
    out += text.slice(at, r.start) + r.text;
    at = r.end;
  }
  out += text.slice(at);
  if (appended) out += (out === '' || out.endsWith('\n') ? '' : '\n') + appended;
  return out;
}

/** What an override sets at one key path, against the profile's value there. */
export interface OverriddenValue {
  readonly path: string;
  /** The profile's value (absent when the profile has none there). */
  readonly profile?: unknown;
  readonly cluster: unknown;
}

/** Every leaf key path where an override sets a value the profile's values do not have there. */
export function overriddenValues(profileValues: string, override: string | undefined): OverriddenValue[] {
  if (override === undefined || override.trim() === '') return [];
  const out: OverriddenValue[] = [];
  const leaves = (base: unknown, over: unknown, path: PathSegment[]): void => {
    if (isMapping(over) && (isMapping(base) || (base === undefined && Object.keys(over).length > 0))) {
      for (const [k, v] of Object.entries(over)) leaves(isMapping(base) ? base[k] : undefined, v, [...path, k]);
    } else if (isNamedList(over) && isNamedList(base)) {
      for (const item of over) {
        const own = base.find((b) => b.name === item.name);
        for (const [k, v] of Object.entries(item)) if (k !== 'name') leaves(own?.[k], v, [...path, { name: item.name as string }, k]);
        if (!own && Object.keys(item).length === 1) out.push({ path: formatPath([...path, { name: item.name as string }]), cluster: item });
      }
    } else if (base === undefined) {
      out.push({ path: formatPath(path), cluster: over });
    } else if (!deepEqual(base, over)) {
      out.push({ path: formatPath(path), profile: base, cluster: over });
    }
  };
  leaves(sharedValues(profileValues), valuesOf(override), []);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
