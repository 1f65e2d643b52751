// semver's functions, not the whole library (a cold start parses what it imports).
import coerce from 'semver/functions/coerce.js';
import lt from 'semver/functions/lt.js';
import valid from 'semver/functions/valid.js';
import type { Layer } from './packs.js';
import type { ResolvedLayer } from './profiles.js';
import { diffValues, sharedValues, type ValueChange, type Values } from './values.js';

export interface PackChange {
  readonly name: string;
  readonly layer: Layer;
  readonly change: 'added' | 'removed' | 'upgraded' | 'downgraded' | 'values';
  readonly fromVersion?: string;
  readonly toVersion?: string;
  /** Key-path changes of the pack's values (for upgraded, downgraded and values changes). */
  readonly values: readonly ValueChange[];
}

const asSemver = (v: string) => valid(v) ?? coerce(v, { includePrerelease: true })?.version;

/** Which way a pack's version moved; a version semver cannot read counts as an upgrade. */
export function versionChange(from: string, to: string): 'upgraded' | 'downgraded' {
  const a = asSemver(from);
  const b = asSemver(to);
  return a && b && lt(b, a) ? 'downgraded' : 'upgraded';
}

const diffs = new WeakMap<Values, WeakMap<Values, readonly ValueChange[]>>();

/**
 * Key-path changes between two values texts (see core/value-paths.ts); none without parsing when
 * the texts are equal. Shared and frozen: every cluster moving between two revisions asks the same.
 */
export function diffLayerValues(from: string, to: string): readonly ValueChange[] {
  if (from === to) return [];
  const a = sharedValues(from);
  const b = sharedValues(to);
  let byTarget = diffs.get(a);
  if (!byTarget) diffs.set(a, (byTarget = new WeakMap()));
  let changes = byTarget.get(b);
  if (!changes) byTarget.set(b, (changes = Object.freeze(diffValues(a, b).map((c) => Object.freeze(c)))));
  return changes;
}

/**
 * Every change from one layer list to another: packs added, removed, upgraded or downgraded
 * (version changed, values diffed too) and values changed key path by key path. Packs match by name.
 */
export function diffLayers(from: readonly ResolvedLayer[], to: readonly ResolvedLayer[]): PackChange[] {
  const before = new Map(from.map((l) => [l.name, l]));
  const after = new Map(to.map((l) => [l.name, l]));
  const changes: PackChange[] = [];
  for (const l of from) {
    if (!after.has(l.name)) changes.push({ name: l.name, layer: l.layer, change: 'removed', fromVersion: l.version, values: [] });
  }
  for (const l of to) {
    const old = before.get(l.name);
    if (!old) {
      changes.push({ name: l.name, layer: l.layer, change: 'added', toVersion: l.version, values: [] });
      continue;
    }
    const values = diffLayerValues(old.values, l.values);
    if (old.version !== l.version) {
      changes.push({ name: l.name, layer: l.layer, change: versionChange(old.version, l.version), fromVersion: old.version, toVersion: l.version, values });
    } else if (values.length) {
      changes.push({ name: l.name, layer: l.layer, change: 'values', fromVersion: old.version, toVersion: l.version, values });
    }
  }
  return changes;
}
