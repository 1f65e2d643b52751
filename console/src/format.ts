/** How numbers and times read on screen. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function bytes(n: number): string {
  let i = 0;
  while (Math.abs(n) >= 1024 && i < UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${UNITS[i]}`;
}

export const cores = (n: number) => `${n >= 10 ? n.toFixed(1) : n.toFixed(2)} cores`;
export const percent = (n: number) => `${n.toFixed(n >= 10 ? 0 : 1)} %`;

/** 2027-03-04 10:22:05 UTC: one zone for everyone reading the same cluster. */
export function time(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** 5 s, 3 min, 2 h, 4 d. */
function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** 5 s ago, 3 min ago, 2 h ago, 4 d ago. */
export const ago = (iso: string | undefined, now = Date.now()) => (iso ? `${span(now - Date.parse(iso))} ago` : '—');

/** in 5 s, in 3 min, in 2 h, in 4 d. */
export const fromNow = (iso: string | undefined, now = Date.now()) => (iso ? `in ${span(Date.parse(iso) - now)}` : '—');

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
