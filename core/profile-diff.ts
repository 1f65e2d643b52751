import type { Layer } from './packs.js';
import type { ResolvedLayer } from './profiles.js';
import { diffValues, valuesOf, type ValueChange } from './values.js';

export interface PackChange {
  readonly name: string;
  readonly layer: Layer;
  readonly change: 'added' | 'removed' | 'upgraded' | 'values';
  readonly fromVersion?: string;
  readonly toVersion?: string;
  /** Key-path changes of the pack's values (for upgraded and values changes). */
  readonly values: readonly ValueChange[];
}

/**
 * Every change from one layer list to another: packs added, removed, upgraded (version
 * changed, values diffed too) and values changed key path by key path. Packs match by name.
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
    const values = diffValues(valuesOf(old.values), valuesOf(l.values));
    if (old.version !== l.version) {
      changes.push({ name: l.name, layer: l.layer, change: 'upgraded', fromVersion: old.version, toVersion: l.version, values });
    } else if (values.length) {
      changes.push({ name: l.name, layer: l.layer, change: 'values', fromVersion: old.version, toVersion: l.version, values });
    }
  }
  return changes;
}
