import { setSweeping } from '../../adapters/events/sweep-rule.js';
import { logger } from '../commons/powertools.js';

/** How often a function instance that writes deadline entries makes sure the sweep is on. */
const RECHECK_MS = 10 * 60_000;
let lastOn = 0;

/**
 * The sweep turns its schedule off while no cluster reports (functions/health/sweep.ts). A
 * heartbeat that puts a cluster back into the deadline index turns it on, after the write; and
 * an instance writing entries does so every 10 minutes besides, in case a turn-on was lost
 * with a failed request.
 */
export async function keepSweeping(effects: { deadlineMoved: boolean; resumed: boolean }, now: number): Promise<void> {
  if (!effects.deadlineMoved || (!effects.resumed && now - lastOn < RECHECK_MS)) return;
  lastOn = now;
  await setSweeping(true).catch((err: Error) => {
    lastOn = 0;
    logger.warn('health sweep not turned on', { error: err });
  });
}
