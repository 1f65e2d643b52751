/** ANSI styles, applied only where someone sees them: a terminal, with NO_COLOR unset. */
export interface Palette {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const style = (on: boolean, open: number, close: number) => (s: string) => (on && s ? `\x1b[${open}m${s}\x1b[${close}m` : s);

export function palette(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): Palette {
  const on = !!stream.isTTY && !env.NO_COLOR;
  return { enabled: on, bold: style(on, 1, 22), dim: style(on, 2, 22), red: style(on, 31, 39), green: style(on, 32, 39), yellow: style(on, 33, 39), cyan: style(on, 36, 39) };
}

/** The colour of a condition status: False red, Unknown yellow, True green. */
export function statusColour(p: Palette, status: string): (s: string) => string {
  if (status === 'False' || status === 'Failed' || status === 'Unhealthy' || status === 'Warning') return p.red;
  if (status === 'True' || status === 'Running' || status === 'Healthy') return p.green;
  if (status === 'Unknown' || status === 'Pending' || status === 'Provisioning' || status === 'Deleting') return p.yellow;
  return (s) => s;
}

/** Printed width of a string, without its escape sequences. */
const ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
export const visibleLength = (s: string) => s.replace(ESCAPE, '').length;
