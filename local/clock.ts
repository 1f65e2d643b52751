import type { Clock } from '../core/clock.js';

/**
 * The local runtime's clock: the system clock plus an offset that tests move forward. Everything
 * that waits on it (workflow Wait states, the scheduler, simulated boots) wakes when an advance
 * passes its time, so a test skips ten minutes instead of sleeping them. 1× otherwise: a message
 * that says "retrying in 300 s" means 300 real seconds under npm start.
 */
/** The longest delay setTimeout honours. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class LocalClock implements Clock {
  private offset = 0;
  private readonly waiting = new Set<{ readonly at: number; readonly wake: () => void }>();

  now(): number {
    return Date.now() + this.offset;
  }

  /** Move time forward by `ms`: whatever waits for a time now past wakes. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error('the clock only moves forward');
    this.offset += ms;
    const now = this.now();
    for (const w of [...this.waiting]) if (w.at <= now) w.wake();
  }

  /** Resolves once the clock reads `at` or later (real time passing, or an advance); early when `signal` aborts. */
  until(at: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (this.now() >= at || signal?.aborted) return resolve();
      const entry = {
        at,
        wake: () => {
          clearTimeout(timer);
          this.waiting.delete(entry);
          signal?.removeEventListener('abort', entry.wake);
          resolve();
        },
      };
      // setTimeout fires at once past 2^31-1 ms (24.8 days): wait in chunks and look again.
      const arm = (): ReturnType<typeof setTimeout> => {
        const t = setTimeout(() => (this.now() >= at ? entry.wake() : (timer = arm())), Math.min(at - this.now(), MAX_TIMEOUT_MS));
        t.unref?.();
        return t;
      };
      let timer = arm();
      this.waiting.add(entry);
      signal?.addEventListener('abort', entry.wake, { once: true });
    });
  }

  /** The earliest time something waits for, if anything does: tests move the clock straight to it. */
  nextWake(): number | undefined {
    let next: number | undefined;
    for (const w of this.waiting) if (next === undefined || w.at < next) next = w.at;
    return next;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.until(this.now() + ms, signal);
  }
}
