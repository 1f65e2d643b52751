import { ApiError } from '../api';
import { fill, h } from '../dom';

/** What went wrong, in the API's own words, announced to screen readers. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const fields = err.details.filter((d) => d.path && !err.message.includes(d.message));
    return [err.message, ...fields.map((d) => `${d.path}: ${d.message}`)].join('; ');
  }
  return err instanceof Error ? err.message : String(err);
}

export const errorBox = (err: unknown) => h('p', { class: 'notice error', role: 'alert' }, errorText(err));

/** A slot for a page section's error: shown when a refresh fails, cleared when one succeeds. */
export function errorSlot(): { el: HTMLElement; show(err: unknown): void; clear(): void } {
  const el = h('div', { class: 'error-slot' });
  return {
    el,
    // The same failure again (a refresh every few seconds) is not announced again.
    show: (err) => {
      if (el.textContent !== errorText(err)) fill(el, errorBox(err));
    },
    clear: () => {
      if (el.firstChild) el.replaceChildren();
    },
  };
}

export const loading = (what: string) => h('p', { class: 'muted', role: 'status' }, `Loading ${what}…`);
