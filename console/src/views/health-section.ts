import { h } from '../dom';
import { ago } from '../format';
import type { Condition, Health } from '../types';
import { healthBadge, statusBadge } from './badges';
import { isHealthCondition } from './conditions-timeline';

/** Overall health with the reasons of every check that is not passing, then each check. */
export function healthSection(health: Health, conditions: readonly Condition[]): Node[] {
  const checks = conditions.filter(isHealthCondition);
  return [
    h('p', { class: 'health-now' }, 'Cluster health: ', healthBadge(health.health)),
    health.reasons.length
      ? h('ul', { class: 'reasons', 'aria-label': 'Why' }, health.reasons.map((r) => h('li', {}, r)))
      : null,
    checks.length
      ? h(
          'ul',
          { class: 'checks' },
          checks.map((c) =>
            h(
              'li',
              { 'data-condition': c.type },
              statusBadge(c.status),
              ' ',
              h('strong', {}, c.title),
              ` — ${c.message} `,
              h('span', { class: 'muted small' }, `(${c.reason}, ${ago(c.lastTransitionTime)})`),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No health check has run yet: they start once the cluster agent reports.'),
  ].filter((n) => n !== null);
}
