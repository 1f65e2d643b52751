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

/** Longest quantity text accepted: Kubernetes' own canonical forms are far shorter. */
export const MAX_QUANTITY_LENGTH = 64;
/** Largest decimal exponent accepted ("1e30"); past it, 10^e alone would cost time and memory. */
const MAX_EXPONENT = 30;
/** Largest value in base units (nanocores, bytes): Kubernetes keeps quantities in an int64. */
export const MAX_QUANTITY_VALUE = (1n << 63n) - 1n;

/**
 * Parse exactly. The work is linear in the text: the length is bounded and so is the exponent,
 * so "1e3000000" is refused at once instead of computing a three-million-digit power of ten.
 */
export function parseQuantityExact(text: string | number): Exact {
  const s = String(text).trim();
  if (s.length > MAX_QUANTITY_LENGTH) throw new Error(`not a Kubernetes quantity: longer than ${MAX_QUANTITY_LENGTH} characters`);
  const m = PATTERN.exec(s);
  if (!m) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(text)}`);
  const [, sign, digits, suffix = '', exp] = m;
  if (exp !== undefined && Math.abs(Number(exp)) > MAX_EXPONENT) throw new Error(`not a Kubernetes quantity: exponent ${exp} is out of range (±${MAX_EXPONENT})`);
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

function bounded(value: bigint, q: string | number): bigint {
  if (value > MAX_QUANTITY_VALUE || value < -MAX_QUANTITY_VALUE) throw new Error(`quantity ${JSON.stringify(q)} is out of range`);
  return value;
}

/** CPU in nanocores: "250m" → 250000000n, "110691045n" → 110691045n, "2" → 2000000000n. */
export function cpuNanocores(q: string | number): bigint {
  const { num, den } = parseQuantityExact(q);
  return bounded(ceilDiv(num * 1_000_000_000n, den), q);
}

/** Bytes: "1024Ki" → 1048576n, "1.5Gi" → 1610612736n. */
export function bytes(q: string | number): bigint {
  const { num, den } = parseQuantityExact(q);
  return bounded(ceilDiv(num, den), q);
}


export const nanocoresToCores = (n: bigint) => Number(n) / 1e9;

const SCALE = new Map<string, number>([
  ['n', 1e-9], ['u', 1e-6], ['m', 1e-3], ['', 1], ['k', 1e3], ['M', 1e6], ['G', 1e9], ['T', 1e12], ['P', 1e15], ['E', 1e18],
  ['Ki', 2 ** 10], ['Mi', 2 ** 20], ['Gi', 2 ** 30], ['Ti', 2 ** 40], ['Pi', 2 ** 50], ['Ei', 2 ** 60],
]);
/** Quantities repeat (every node of a type states the same capacity, report after report): remembered. */
const approxCache = new Map<string, number>();

/**
 * A quantity as a float, in its plain unit (cores, bytes, a count): for checks and comparisons
 * where a relative error of 1e-15 does not matter, without the cost of exact BigInt arithmetic.
 * NaN when the text is not a quantity; the exponent is bounded as in parseQuantityExact.
 */
export function approxQuantity(text: string): number {
  const hit = approxCache.get(text);
  if (hit !== undefined) return hit;
  let value = NaN;
  const m = text.length <= MAX_QUANTITY_LENGTH ? PATTERN.exec(text.trim()) : null;
  if (m) {
    const exp = m[4];
    if (exp === undefined) value = Number(m[2]) * SCALE.get(m[3] ?? '')!;
    else if (Math.abs(Number(exp)) <= MAX_EXPONENT) value = Number(m[2]) * 10 ** Number(exp);
    if (m[1] === '-') value = -value;
  }
  if (approxCache.size >= 10_000) approxCache.clear();
  approxCache.set(text, value);
  return value;
}

/** The largest quantity, as a float, in the plain unit of a resource (CPU is kept in nanocores). */
export const maxPlainQuantity = (resource: string) => Number(MAX_QUANTITY_VALUE) / (resource === 'cpu' ? 1e9 : 1);
