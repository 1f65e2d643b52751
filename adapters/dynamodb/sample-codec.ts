import type { Sample } from '../../core/usage.js';

/**
 * A usage sample's per-node figures as stored: varints instead of text, so a 50-node item holds
 * its 1-minute point and a roll-up in one write unit (1 KB). Each figure is stored plus one, zero
 * standing for a figure the node did not report; no nodes is an empty buffer.
 */
export function packPerNode(per: string): Uint8Array {
  if (per === '') return new Uint8Array(0);
  const out: number[] = [];
  const rows = per.split(';');
  for (const row of rows) {
    const fields = row.split(',');
    for (let i = 0; i < 3; i++) {
      const f = fields[i] ?? '';
      let v = f === '' ? 0 : Math.max(0, Math.round(Number(f))) + 1;
      if (!Number.isFinite(v)) v = 0;
      do {
        out.push((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        v = Math.floor(v / 0x80);
      } while (v > 0);
    }
  }
  return Uint8Array.from(out);
}

export function unpackPerNode(bytes: Uint8Array): string {
  if (!bytes.length) return '';
  const values: string[] = [];
  let v = 0;
  let scale = 1;
  for (const b of bytes) {
    v += (b & 0x7f) * scale;
    if (b & 0x80) {
      scale *= 0x80;
      continue;
    }
    values.push(v === 0 ? '' : String(v - 1));
    v = 0;
    scale = 1;
  }
  const rows: string[] = [];
  for (let i = 0; i < values.length; i += 3) rows.push(values.slice(i, i + 3).join(','));
  return rows.join(';');
}

/** A sample in the form an item holds it. */
export interface PackedSample {
  readonly t: string;
  readonly w: Sample['w'];
  readonly cp: Sample['cp'];
  readonly nodes: string;
  readonly pb: Uint8Array;
}

export const packSample = (s: Sample): PackedSample => ({ t: s.t, w: s.w, cp: s.cp, nodes: s.nodes, pb: packPerNode(s.per) });

/** Items written before packing kept `per` as text. */
export const unpackSample = (s: { t: string; w: Sample['w']; cp: Sample['cp']; nodes: string; pb?: Uint8Array; per?: string }): Sample => ({
  t: s.t,
  w: s.w,
  cp: s.cp,
  nodes: s.nodes,
  per: s.per ?? (s.pb ? unpackPerNode(s.pb) : ''),
});
