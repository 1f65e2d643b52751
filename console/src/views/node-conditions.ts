import { h } from '../dom';
import type { NodeCondition } from '../types';

/** Ready should be True; every other node condition (pressures, NetworkUnavailable) False. */
export const isNormal = (c: NodeCondition) => (c.type === 'Ready' ? c.status === 'True' : c.status === 'False');

/** A node's conditions as small badges, the abnormal ones marked and explained on hover. */
export function nodeConditionBadges(conditions: readonly NodeCondition[]): HTMLElement {
  if (!conditions.length) return h('span', { class: 'muted' }, 'not reported');
  return h(
    'ul',
    { class: 'inline-list' },
    conditions.map((c) =>
      h(
        'li',
        {},
        h(
          'span',
          { class: `badge ${isNormal(c) ? 'good' : 'bad'}`, title: [c.reason, c.message].filter(Boolean).join(': ') || undefined },
          `${c.type} ${c.status}`,
        ),
      ),
    ),
  );
}
