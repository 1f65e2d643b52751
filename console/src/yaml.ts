/**
 * JSON values as YAML text, for reading only (pack settings, value changes): block style,
 * strings quoted only where YAML would read them as something else.
 */

const PLAIN = /^[A-Za-z_/.][\w ./@:+-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v);
  if (s !== '' && PLAIN.test(s) && !RESERVED.test(s) && !s.endsWith(':') && !s.includes(': ') && !s.includes(' #') && s.trim() === s) return s;
  return JSON.stringify(s);
}

/** A value written on its own line: empty collections in flow style, the rest as scalars. */
function inline(v: unknown): string {
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'object' && v !== null) return '{}';
  return typeof v === 'string' && v.includes('\n') ? JSON.stringify(v) : scalar(v);
}

const isBlock = (v: unknown) => (Array.isArray(v) && v.length > 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0);
const isMultiline = (v: unknown): v is string => typeof v === 'string' && v.includes('\n');
/** A literal block (|) reads back exactly unless the text starts with a space or ends in blank lines. */
const literalFits = (v: string) => !/^[ \t]/.test(v) && !v.endsWith('\n\n') && !v.includes('\r');

function lines(v: unknown, indent: string): string[] {
  if (Array.isArray(v)) {
    if (!v.length) return [`${indent}[]`];
    return v.flatMap((item) => {
      if (isBlock(item)) {
        const [first, ...rest] = lines(item, `${indent}  `);
        return [`${indent}- ${first!.trimStart()}`, ...rest];
      }
      return [`${indent}- ${inline(item)}`];
    });
  }
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v);
    if (!entries.length) return [`${indent}{}`];
    return entries.flatMap(([k, val]) => {
      const key = scalar(k);
      if (isBlock(val)) return [`${indent}${key}:`, ...lines(val, `${indent}  `)];
      if (isMultiline(val) && literalFits(val)) return [`${indent}${key}: ${val.endsWith('\n') ? '|' : '|-'}`, ...val.replace(/\n$/, '').split('\n').map((l) => (l ? `${indent}  ${l}` : ''))];
      return [`${indent}${key}: ${inline(val)}`];
    });
  }
  return [`${indent}${inline(v)}`];
}

export function toYaml(v: unknown): string {
  return lines(v, '').join('\n');
}
