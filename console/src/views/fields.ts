import { ApiError } from '../api';
import { fill, h, uid } from '../dom';
import type { FieldDetail } from '../types';
import { errorText } from './notice';

/**
 * Form fields that show the API's field errors where they belong: every input carries the API
 * path it fills (data-path, e.g. nodePools[1].count), and each detail of a 400 lands at the
 * input of its path, or of the nearest enclosing path, or else above the form.
 */

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export function field(label: string, control: Control, opts: { path?: string; hint?: string; class?: string } = {}): HTMLElement {
  control.id ||= uid('f');
  if (opts.path) control.dataset.path = opts.path;
  const hintId = opts.hint ? `${control.id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: `field ${opts.class ?? ''}` },
    h('label', { for: control.id }, label),
    control,
    opts.hint ? h('p', { class: 'hint', id: hintId }, opts.hint) : null,
    h('p', { class: 'field-error', id: `${control.id}-error`, hidden: true }),
  );
}

export function input(attrs: Record<string, string | number | boolean | undefined> = {}): HTMLInputElement {
  return h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs });
}

export function select(options: readonly (readonly [value: string, label: string])[], value?: string, attrs: Record<string, string | boolean | undefined> = {}): HTMLSelectElement {
  const el = h('select', attrs, options.map(([v, l]) => h('option', { value: v }, l)));
  if (value !== undefined) el.value = value;
  return el;
}

/** nodePools[0].zones[1] → nodePools[0].zones → nodePools[0] → nodePools. */
function parentPath(path: string): string | undefined {
  const m = /^(.*)(\.[^.[\]]+|\[\d+\])$/.exec(path);
  return m ? m[1] : undefined;
}

function controlFor(form: HTMLElement, path: string): Control | undefined {
  for (let p: string | undefined = path; p; p = parentPath(p)) {
    const found = form.querySelector<Control>(`[data-path="${CSS.escape(p)}"]`);
    if (found) return found;
  }
  return undefined;
}

export function clearFieldErrors(form: HTMLElement): void {
  for (const c of form.querySelectorAll<Control>('[aria-invalid="true"]')) {
    c.removeAttribute('aria-invalid');
    const described = (c.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && id !== `${c.id}-error`);
    if (described.length) c.setAttribute('aria-describedby', described.join(' '));
    else c.removeAttribute('aria-describedby');
  }
  for (const p of form.querySelectorAll<HTMLElement>('.field-error')) {
    p.hidden = true;
    p.textContent = '';
  }
}

/**
 * Show an error of a form's submission: field details at their fields (the first one focused),
 * the rest in `summary`.
 */
export function showFormError(form: HTMLElement, summary: HTMLElement, err: unknown): void {
  clearFieldErrors(form);
  const details: readonly FieldDetail[] = err instanceof ApiError ? err.details : [];
  const unplaced: FieldDetail[] = [];
  let first: Control | undefined;
  for (const d of details) {
    const control = d.path ? controlFor(form, d.path) : undefined;
    if (!control) {
      unplaced.push(d);
      continue;
    }
    const slot = form.querySelector<HTMLElement>(`#${CSS.escape(control.id)}-error`);
    if (!slot) {
      unplaced.push(d);
      continue;
    }
    // The control's own path needs no repeating; a nested one (zones[1]) says which item.
    const text = d.path === control.dataset.path ? d.message : `${d.path}: ${d.message}`;
    slot.textContent = slot.textContent ? `${slot.textContent} ${text}` : text;
    slot.hidden = false;
    control.setAttribute('aria-invalid', 'true');
    const described = new Set((control.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean));
    described.add(slot.id);
    control.setAttribute('aria-describedby', [...described].join(' '));
    first ??= control;
  }
  const message = details.length && !unplaced.length ? `${err instanceof ApiError ? err.code : 'Error'}: see the fields marked below.` : errorText(unplaced.length && err instanceof ApiError ? new ApiError(err.status, err.code, unplaced.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ')) : err);
  fill(summary, h('p', { class: 'notice error', role: 'alert' }, message));
  first?.focus();
}
