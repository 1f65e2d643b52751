/**
 * Kubernetes resource quantities ("250m", "123456n", "1024Ki", "1.5Gi", "2", "1e3"), parsed
 * exactly with integers: CPU in nanocores, memory and disk in bytes.
 */
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };

const PATTERN = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** An exact rational value num / den. */
interface Exact {
  readonly num: bigint;
  readonly den: bigint;
}

export function parseQuantityExact(text: string | number): Exact {
  const s = String(text).trim();
  const m = PATTERN.exec(s);
  if (!m) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(text)}`);
  const [, sign, digits, suffix = '', exp] = m;
  const [whole = '', frac = ''] = digits!.split('.');
  let num = BigInt((whole || '0') + frac) * (sign === '-' ? -1n : 1n);
  let den = 10n ** BigInt(frac.length);
  if (suffix in BINARY) num *= BINARY[suffix]!;
  else {
    const e = exp !== undefined ? Number(exp) : DECIMAL[suffix]!;
    if (e >= 0) num *= 10n ** BigInt(e);
    else den *= 10n ** BigInt(-e);
  }
  return { num, den };
}

/** Round up, as Kubernetes does when it stores a quantity at a coarser scale. */
const ceilDiv = (a: bigint, b: bigint) => (a >= 0n ? (a + b - 1n) / b : a / b);

/** CPU in nanocores: "250m" → 250000000n, "110691045n" → 110691045n, "2" → 2000000000n. */
export function cpuNanocores(q: string | number): bigint {
  const { num, den } = parseQuantityExact(q);
  return ceilDiv(num * 1_000_000_000n, den);
}

/** Bytes: "1024Ki" → 1048576n, "1.5Gi" → 1610612736n. */
export function bytes(q: string | number): bigint {
  const { num, den } = parseQuantityExact(q);
  return ceilDiv(num, den);
}

export const nanocoresToCores = (n: bigint) => Number(n) / 1e9;
