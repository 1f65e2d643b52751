/** A plain mapping (a JSON object or a YAML map as parsed), not a list or null. Apart from the YAML path helpers, so checking one loads no YAML library. */
export const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
