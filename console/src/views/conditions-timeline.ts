import { h } from '../dom';
import { ago, plural, time } from '../format';
import type { Condition } from '../types';
import { statusBadge } from './badges';
import { failureParts } from './failure';

/** Health checks have a section of their own; the rest are milestones (as core/conditions.ts groups them). */
const HEALTH_TYPES = ['HeartbeatHealthy', 'NodesHealthy', 'MetricsHealthy', 'NodeRepair'];
export const isHealthCondition = (c: Condition) => HEALTH_TYPES.includes(c.type.split('/')[0]!);

const STEP_STATE = { True: 'done', False: 'failed', Unknown: 'waiting' } as const;
const stepWord = (c: Condition) => (c.status === 'True' ? 'Done' : c.status === 'False' ? 'Failed' : c.reason === 'NotStarted' ? 'Not started' : 'In progress');

function detail(c: Condition): Node[] {
  if (c.status !== 'False') return [h('p', { class: 'step-message' }, c.message)];
  const parts = failureParts(c.message);
  return [
    h('p', { class: 'step-message' }, h('strong', {}, c.reason), ': ', parts.said),
    parts.remedy ? h('p', { class: 'remedy' }, h('strong', {}, 'What to do: '), parts.remedy) : null,
    parts.retry ? h('p', { class: 'retry muted' }, parts.retry) : null,
  ].filter((n): n is HTMLParagraphElement => n !== null);
}

/**
 * The lifecycle milestones in the order the API gives them, as a timeline: each with its state,
 * its message, and for a failure the provider's words, the remedy and when the next attempt is.
 */
export function conditionsTimeline(conditions: readonly Condition[]): HTMLElement {
  const milestones = conditions.filter((c) => !isHealthCondition(c));
  if (!milestones.length) return h('p', { class: 'empty' }, 'No milestone reached yet: provisioning has not started.');
  return h(
    'ol',
    { class: 'timeline' },
    milestones.map((c) =>
      h(
        'li',
        { class: `step ${STEP_STATE[c.status]}`, 'data-condition': c.type },
        h('span', { class: 'step-marker', 'aria-hidden': 'true' }),
        h(
          'div',
          { class: 'step-body' },
          h('h3', {}, c.title, c.type.includes('/') ? h('span', { class: 'muted' }, ` ${c.type.slice(c.type.indexOf('/') + 1)}`) : null, ' ', statusBadge(c.status, stepWord(c))),
          detail(c),
          h(
            'p',
            { class: 'muted small' },
            h('time', { datetime: c.lastTransitionTime, title: time(c.lastTransitionTime) }, ago(c.lastTransitionTime)),
            c.attempts > 1 ? ` · ${plural(c.attempts, 'attempt')}` : null,
            ` · ${c.type}`,
          ),
        ),
      ),
    ),
  );
}
