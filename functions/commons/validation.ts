import type { z } from 'zod';
import { validationFailed, type ErrorDetail } from '../../core/errors.js';

/** zod issue path → `nodePools[0].count`. */
export function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export function issuesToDetails(prefix: string, issues: readonly z.core.$ZodIssue[]): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) details.push({ path: formatPath(prefix, [...issue.path, key]), message: 'unknown field' });
    } else if (issue.code === 'invalid_union' && issue.errors.length) {
      details.push({ path: formatPath(prefix, issue.path), message: issue.message });
    } else {
      details.push({ path: formatPath(prefix, issue.path), message: issue.message });
    }
  }
  return details;
}

/** Validate with a schema; every problem becomes a 400 naming its field. */
export function validate<S extends z.ZodType>(schema: S, data: unknown, prefix: string): z.infer<S> {
  const result = schema.safeParse(data);
  if (!result.success) throw validationFailed(issuesToDetails(prefix, result.error.issues));
  return result.data;
}
