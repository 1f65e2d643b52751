import { stringify } from 'yaml';
import type { DesiredPack } from './agent-protocol.js';
import type { ResolvedLayer } from './profiles.js';
import { valuesOf, type Values } from './values.js';

/** Deep-merge: maps merge key by key, anything else in `over` replaces. */
export function mergeValues(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isMap(b) && isMap(v) ? mergeValues(b, v) : v;
  }
  return out;
}

const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What the agent should run: every pack of the pinned revision, the cluster's overrides on top. */
export function desiredPacks(layers: readonly ResolvedLayer[], overrides: Record<string, string>): DesiredPack[] {
  return layers.map((l) => {
    const override = overrides[l.name];
    const values = override ? stringify(mergeValues(valuesOf(l.values), valuesOf(override))) : l.values;
    return { name: l.name, layer: l.layer, version: l.version, values, content: l.content };
  });
}
