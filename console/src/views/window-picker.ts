import { h } from '../dom';
import type { UsageWindow } from '../types';

const WINDOWS: readonly UsageWindow[] = ['1h', '24h', '7d', '30d'];
const NAMES: Record<UsageWindow, string> = { '1h': 'last hour', '24h': 'last 24 hours', '7d': 'last 7 days', '30d': 'last 30 days' };

/** The time window of usage charts: toggle buttons, the chosen one pressed. */
export function windowPicker(initial: UsageWindow, onChange: (w: UsageWindow) => void): HTMLElement {
  const buttons = WINDOWS.map((w) =>
    h(
      'button',
      {
        type: 'button',
        class: 'toggle',
        'aria-pressed': String(w === initial),
        title: `Show the ${NAMES[w]}`,
        'data-window': w,
        onclick: () => {
          for (const b of buttons) b.setAttribute('aria-pressed', String(b === buttons[WINDOWS.indexOf(w)]));
          onChange(w);
        },
      },
      w,
    ),
  );
  return h('div', { class: 'window-picker', role: 'group', 'aria-label': 'Time window' }, buttons);
}
