type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Deep equality of JSON values, whatever the key order. */
export function sameValue(a: Json, b: Json): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => a[k] !== undefined || b[k] !== undefined));
    return [...keys].every((k) => sameValue(a[k], b[k]));
  }
  return a === b;
}

/**
 * Whether `current` already says everything `desired` says: what a manifest leaves out is the
 * API's default, so only what it says is compared (lists item by item, of the same length).
 */
export function contains(current: Json, desired: Json): boolean {
  if (Array.isArray(desired)) return Array.isArray(current) && current.length === desired.length && desired.every((d, i) => contains(current[i], d));
  if (isObject(desired)) return isObject(current) && Object.entries(desired).every(([k, v]) => v === undefined || contains(current[k], v));
  return current === desired;
}

/** The top-level fields of `desired` that `current` does not already say. */
export function differingFields(current: Record<string, Json>, desired: Record<string, Json>): string[] {
  return Object.keys(desired).filter((k) => desired[k] !== undefined && !contains(current[k], desired[k]));
}
