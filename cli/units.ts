const GiB = 1024 ** 3;

/** A percentage as the usage views show it: 42.5%. */
export const pct = (n: number) => `${n.toFixed(1)}%`;
/** Bytes in GiB, one decimal. */
export const gib = (bytes: number) => (bytes / GiB).toFixed(1);
