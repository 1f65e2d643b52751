import { visibleLength } from './colour.js';

/** A column of a table: its header and how to show one row's cell. */
export interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => string;
}

const GAP = '   ';

/** Padded to a printed width, escape sequences not counted. */
export const padVisible = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - visibleLength(s)));

/** kubectl-style: upper-case headers, columns padded to their widest cell, no borders. */
export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[], bold: (s: string) => string = (s) => s): string {
  const cells = rows.map((r) => columns.map((c) => c.cell(r)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => visibleLength(row[i]!))));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : padVisible(v, widths[i]!)))
      .join(GAP)
      .trimEnd();
  return [bold(line(columns.map((c) => c.header))), ...cells.map(line)].join('\n') + '\n';
}

/** One fact a line, `Label:  value`, the values aligned; facts without a value are left out. */
export function renderFacts(facts: readonly (readonly [string, string | undefined])[], bold: (s: string) => string = (s) => s): string {
  const shown = facts.filter((f): f is readonly [string, string] => f[1] !== undefined && f[1] !== '');
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${bold(`${label}:`)}${' '.repeat(width - label.length + 2)}${value}`).join('\n') + '\n';
}
