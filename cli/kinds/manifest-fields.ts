import { stringify } from 'yaml';
import { UsageError } from '../errors.js';
import type { Manifest } from './kind.js';

/** The manifest as a request body: everything but `kind`, and the named fields taken out. */
export function bodyOf(manifest: Manifest, ...taken: string[]): Record<string, unknown> {
  const body: Record<string, unknown> = { ...manifest };
  for (const key of ['kind', ...taken]) delete body[key];
  return body;
}

/** A reference field (a name or an id), when given. */
export function refField(manifest: Manifest, field: string): string | undefined {
  const v = manifest[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new UsageError(`${manifest.kind ?? 'manifest'} ${String(manifest.name ?? '')}: ${field} must be a name or an id`);
  return String(v);
}

/** Pack values are YAML text in the API; a manifest may give them as a mapping. */
export function valuesText(values: unknown): unknown {
  return values !== null && typeof values === 'object' ? stringify(values) : values;
}
