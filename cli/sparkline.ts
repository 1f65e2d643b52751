const BARS = '▁▂▃▄▅▆▇█';

/**
 * A series as one line of block characters, on a fixed scale (0 to max) so two sparklines of
 * percentages compare; squeezed to `width` by averaging neighbouring points.
 */
export function sparkline(values: readonly number[], max: number, width = 60): string {
  if (!values.length) return '';
  const buckets = Math.min(width, values.length);
  const out: string[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * values.length) / buckets);
    const to = Math.max(from + 1, Math.floor(((b + 1) * values.length) / buckets));
    const slice = values.slice(from, to);
    const mean = slice.reduce((s, v) => s + v, 0) / slice.length;
    const level = max > 0 ? Math.round((Math.min(Math.max(mean, 0), max) / max) * (BARS.length - 1)) : 0;
    out.push(BARS[level]!);
  }
  return out.join('');
}

/** Room for a sparkline: what the terminal leaves beside the figures, within reason. */
export const sparkWidth = () => Math.max(20, Math.min(60, (process.stdout.columns ?? 100) - 60));
