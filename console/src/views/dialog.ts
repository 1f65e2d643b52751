import { h, uid } from '../dom';

/**
 * Modal dialogs on the native <dialog>: it traps focus, Escape closes it, and focus returns to
 * the button that opened it.
 */
export function modal(title: string, ...content: Node[]): { dialog: HTMLDialogElement; body: HTMLElement; close(): void } {
  const titleId = uid('dlg');
  const body = h('div', { class: 'dialog-body' }, content);
  const opener = document.activeElement as HTMLElement | null;
  const dialog = h('dialog', { 'aria-labelledby': titleId, class: 'dialog' }, h('h2', { id: titleId }, title), body);
  const close = () => dialog.close();
  dialog.addEventListener('close', () => {
    dialog.remove();
    opener?.focus?.();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, body, close };
}

/** Ask before something that cannot be undone; Cancel has the focus, so Enter does no harm. */
export function confirmAction(title: string, message: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = false;
    const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => close() }, 'Cancel');
    const ok = h('button', { type: 'button', class: 'danger', onclick: () => ((answer = true), close()) }, confirmLabel);
    const { dialog, close } = modal(title, h('p', {}, message), h('div', { class: 'actions' }, cancel, ok));
    dialog.addEventListener('close', () => resolve(answer));
    cancel.focus();
  });
}
