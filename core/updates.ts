import { z } from 'zod';
import { Text } from './text.js';
import { ValuesText, type Layer } from './packs.js';
import { isMap as isYamlMap, parseDocument, type Document } from 'yaml';
import { diffLayers } from './profile-diff.js';
import type { ResolvedLayer } from './profiles.js';
import { deleteAt, isMapping, isNamedList, parsePath, setAt, valueAt, type PathSegment } from './value-paths.js';
import { deepEqual, effectiveValues, isEmptyValues, mergeValues, sharedValues, valuesOf, type ValueChange, type Values } from './values.js';

/**
 * Profile updates of one cluster: what changed between the revision it runs (base) and another
 * revision of its profile (target, usually the latest), and the three-way merge of each pack's
 * values with the cluster's overrides (ours).
 *
 * Values model (README, "Profile updates"): a profile layer's `values` REPLACE the pack's default
 * values (a layer without values takes the pack's own); a cluster's override of a pack is a
 * PARTIAL document holding only the keys it sets, merged on top of the layer's values. The diff
 * compares layer values; the merge applies overrides on top of them.
 *
 * Key paths: dotted keys (`controller.replicas`); a key that is not a plain identifier is written
 * as a JSON string (`"app.kubernetes.io/name"`); items of a list whose every item is a mapping
 * with a unique `name` are addressed by it (`env[name=HTTP_PROXY].value`); any other list is one
 * value. A resolution key is `<pack>/<key path>`.
 */

/** How one conflict is settled: the cluster's override stays, the profile's new value is taken, or a new value. */
export type Resolution = 'keepCluster' | 'takeProfile' | { readonly value: unknown };

export const ResolutionInput = z.union([z.enum(['keepCluster', 'takeProfile']), z.strictObject({ value: z.unknown() })]);

export const ApplyUpdateInput = z
  .strictObject({
    /** The revision to move to: the latest for an update, an earlier one for a rollback. */
    toRevision: z.int().positive(),
    /** The cluster version you read; when given, a stale one is refused with 409. */
    version: z.int().positive().optional(),
    /** One per conflict, keyed "<pack>/<key path>". */
    resolutions: z.record(Text(600, 1), ResolutionInput).default({}),
  })
  .meta({ id: 'ApplyUpdateInput' });
export type ApplyUpdateInput = z.infer<typeof ApplyUpdateInput>;

export const PackValuesInput = z
  .strictObject({
    /** The cluster's override of this pack: a partial YAML document holding only the keys it sets ('' removes every override). */
    values: ValuesText,
    /** The cluster version you read; when given, a stale one is refused with 409. */
    version: z.int().positive().optional(),
  })
  .meta({ id: 'PackValuesInput' });
export type PackValuesInput = z.infer<typeof PackValuesInput>;

export const PACK_UPDATE_KINDS = ['added', 'removed', 'upgraded', 'downgraded', 'values'] as const;
export type PackUpdateKind = (typeof PACK_UPDATE_KINDS)[number];

/** One key path of one pack that the profile changed between base and target. */
export interface ValueUpdate {
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  /** The profile's value at base (absent when added). */
  readonly from?: unknown;
  /** The profile's value at target (absent when removed). */
  readonly to?: unknown;
  /** What the cluster's override sets at this path (absent when it sets nothing there). */
  readonly cluster?: unknown;
  /**
   * clean: the cluster does not override this path, or overrides it with the target's value;
   * conflict: the cluster overrides it with something else: resolve before applying.
   */
  readonly merge: 'clean' | 'conflict';
  /** "<pack>/<path>": the key of its resolution. */
  readonly key: string;
}

export interface PackUpdate {
  readonly name: string;
  readonly layer: Layer;
  readonly change: PackUpdateKind;
  readonly fromVersion?: string;
  readonly toVersion?: string;
  readonly values: readonly ValueUpdate[];
  /** A removed pack the cluster had overrides for: they go with it. */
  readonly overridesDropped?: true;
}

export interface UpdateAnalysis {
  readonly packs: readonly PackUpdate[];
  /** Keys of every conflicting value, sorted. */
  readonly conflicts: readonly string[];
}

/**
 * Where a cluster's override reaches one key path: the value it sets there (or under it), or the
 * nearest value above it that replaces the whole subtree (a scalar or plain list where the target
 * has a map, a named list or anything). Undefined when the override leaves the path to the profile.
 */
function overrideReach(over: Values | undefined, target: Values, path: readonly PathSegment[]): { cluster: unknown } | undefined {
  if (over === undefined) return undefined;
  const exact = valueAt(over, path);
  if (exact !== undefined) return { cluster: exact };
  let o: unknown = over;
  let t: unknown = target;
  for (let i = 0; i < path.length - 1; i++) {
    o = valueAt(o, [path[i]!]);
    if (o === undefined) return undefined;
    t = t === undefined ? undefined : valueAt(t, [path[i]!]);
    const merges = (isMapping(o) && isMapping(t)) || (isNamedList(o) && isNamedList(t));
    if (!merges) return { cluster: o };
  }
  return undefined;
}

function packValueUpdates(pack: string, changes: readonly ValueChange[], targetValues: string, override: string | undefined): ValueUpdate[] {
  const over = isEmptyValues(override) ? undefined : valuesOf(override!);
  const target = changes.length && over ? sharedValues(targetValues) : {};
  const effective = over ? mergeValues(target, over) : undefined;
  return changes.map((c) => {
    const key = `${pack}/${c.path}`;
    const path = over ? parsePath(c.path) : undefined;
    const reach = path && overrideReach(over, target, path);
    if (!reach) return { ...c, merge: 'clean', key };
    const conflict = !deepEqual(valueAt(effective, path), valueAt(target, path));
    return { ...c, cluster: reach.cluster, merge: conflict ? 'conflict' : 'clean', key };
  });
}

/**
 * Every change from base to target, each value marked clean or conflict against the cluster's
 * overrides. Packs come in target layer order, the removed ones after them in base order;
 * values sorted by path.
 */
export function analyzeUpdate(base: readonly ResolvedLayer[], target: readonly ResolvedLayer[], overrides: Readonly<Record<string, string>>): UpdateAnalysis {
  const targetByName = new Map(target.map((l) => [l.name, l]));
  const changes = diffLayers(base, target);
  const byName = new Map(changes.map((c) => [c.name, c]));
  const packs: PackUpdate[] = [];
  const ordered = [...target.map((l) => byName.get(l.name)), ...changes.filter((c) => c.change === 'removed')];
  for (const c of ordered) {
    if (!c) continue;
    const override = Object.hasOwn(overrides, c.name) ? overrides[c.name] : undefined;
    if (c.change === 'removed') {
      packs.push({ ...c, values: [], ...(isEmptyValues(override) ? {} : { overridesDropped: true as const }) });
      continue;
    }
    packs.push({ ...c, values: packValueUpdates(c.name, c.values, targetByName.get(c.name)!.values, override) });
  }
  const conflicts = packs.flatMap((p) => p.values.filter((v) => v.merge === 'conflict').map((v) => v.key));
  return { packs, conflicts: conflicts.sort() };
}

export interface MergedUpdate {
  /** The cluster's overrides after the move (partial documents, their comments and layout kept); packs not in target dropped. */
  readonly overrides: Record<string, string>;
  /** Every target pack's effective values: the target layer's document with the overrides applied (its comments kept). */
  readonly values: Record<string, string>;
  /** Conflict keys with no resolution. */
  readonly unresolved: readonly string[];
  /** Resolution keys that name no conflict (a 400 naming each). */
  readonly unknown: readonly string[];
}

/** The pack name and key path of a resolution key (`<pack>/<key path>`: pack names hold no slash). */
export function splitResolutionKey(key: string): { pack: string; path: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { pack: key, path: '' } : { pack: key.slice(0, slash), path: key.slice(slash + 1) };
}

/** An override after its resolved conflicts: the text itself when none changes it; undefined when it sets nothing any more. */
function resolvedOverride(override: string | undefined, resolved: readonly { path: readonly PathSegment[]; resolution: Resolution }[]): string | undefined {
  if (isEmptyValues(override)) return undefined;
  const edits = resolved.filter((r) => r.resolution !== 'keepCluster');
  if (edits.length === 0) return override;
  const doc: Document = parseDocument(override!);
  for (const { path, resolution } of edits) {
    if (resolution === 'takeProfile') deleteAt(doc, path);
    else if (typeof resolution === 'object') setAt(doc, path, resolution.value ?? null);
  }
  const contents = doc.contents;
  if (contents === null || (isYamlMap(contents) && contents.items.length === 0)) return undefined;
  return doc.toString();
}

/**
 * The three-way merge: base, target, the cluster's overrides and the resolutions. With conflicts
 * left unresolved the overrides and values are still the best known (those keep the cluster's).
 */
export function mergeUpdate(
  base: readonly ResolvedLayer[],
  target: readonly ResolvedLayer[],
  overrides: Readonly<Record<string, string>>,
  resolutions: Readonly<Record<string, Resolution>>,
): MergedUpdate {
  const { conflicts } = analyzeUpdate(base, target, overrides);
  const conflictKeys = new Set(conflicts);
  const unresolved = conflicts.filter((k) => !Object.hasOwn(resolutions, k));
  const unknown = Object.keys(resolutions)
    .filter((k) => !conflictKeys.has(k))
    .sort();
  const resolvedByPack = new Map<string, { path: PathSegment[]; resolution: Resolution }[]>();
  for (const key of conflicts) {
    if (!Object.hasOwn(resolutions, key)) continue;
    const { pack, path } = splitResolutionKey(key);
    const segments = parsePath(path)!;
    resolvedByPack.set(pack, [...(resolvedByPack.get(pack) ?? []), { path: segments, resolution: resolutions[key]! }]);
  }
  const newOverrides: Record<string, string> = {};
  const values: Record<string, string> = {};
  for (const l of target) {
    const override = Object.hasOwn(overrides, l.name) ? overrides[l.name] : undefined;
    const next = resolvedOverride(override, resolvedByPack.get(l.name) ?? []);
    if (next !== undefined) newOverrides[l.name] = next;
    values[l.name] = effectiveValues(l.values, next);
  }
  return { overrides: newOverrides, values, unresolved, unknown };
}
