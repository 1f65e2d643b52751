/**
 * A small element builder. Text always goes in as text nodes, never as HTML: nothing the API
 * answers can become markup.
 */

type Child = Node | string | number | false | null | undefined | readonly Child[];
type Attrs = Record<string, string | number | boolean | undefined | null | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = String(value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

let ids = 0;
/** A document-unique id, for label/aria wiring. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** A table with a caption-like label, header cells scoped to their columns. */
export function table(label: string, headers: readonly string[], rows: readonly Node[], attrs: Attrs = {}): HTMLTableElement {
  return h(
    'table',
    { 'aria-label': label, ...attrs },
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows),
  );
}

/** A definition list of label → value. */
export function facts(pairs: readonly (readonly [string, Child])[]): HTMLDListElement {
  return h(
    'dl',
    { class: 'facts' },
    pairs.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v ?? '—'))),
  );
}
