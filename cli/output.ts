import { stringify } from 'yaml';
import { Option } from 'commander';

export const FORMATS = ['table', 'json', 'yaml'] as const;
export type Format = (typeof FORMATS)[number];

/** -o table|json|yaml, the same on every command that prints data. */
export const outputOption = () => new Option('-o, --output <format>', 'output format').choices(FORMATS).default('table');

/** Data as JSON or YAML, or as the command's own table rendering. */
export function print(format: Format, data: unknown, table: () => string): void {
  process.stdout.write(serialize(format, data) ?? table());
}

/** The data as JSON or YAML text; undefined for a table, which the command renders itself. */
export function serialize(format: Format, data: unknown): string | undefined {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  if (format === 'yaml') return stringify(data, { lineWidth: 0 });
  return undefined;
}

/** A line for people, on stderr when the data goes to stdout in a machine format. */
export function say(format: Format, line: string): void {
  (format === 'table' ? process.stdout : process.stderr).write(`${line}\n`);
}
