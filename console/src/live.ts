import { isAbort } from './api';

/** How often live pages read again. */
export const REFRESH_MS = 4000;
/** Resolves after `ms`, or at once when the signal aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Resolves once the tab is visible (at once when it is), or when the signal aborts. */
export function visible(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (!document.hidden || signal.aborted) return resolve();
    const done = () => {
      if (document.hidden && !signal.aborted) return;
      document.removeEventListener('visibilitychange', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    document.addEventListener('visibilitychange', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Run `load` now and again `ms` after each run ends, until the page is left. A failed run reports
 * its error and the next one tries again; a hidden tab skips runs (nobody is looking).
 */
export function refreshEvery(ms: number | (() => number), signal: AbortSignal, load: () => Promise<void>, onError: (err: unknown) => void): { now(): void } {
  let wake: (() => void) | undefined;
  void (async () => {
    while (!signal.aborted) {
      if (!document.hidden) {
        try {
          await load();
        } catch (err) {
          if (!isAbort(err) && !signal.aborted) onError(err);
        }
      }
      const nudge = new AbortController();
      wake = () => nudge.abort();
      await pause(typeof ms === 'number' ? ms : ms(), AbortSignal.any([signal, nudge.signal]));
    }
  })();
  return { now: () => wake?.() };
}

/**
 * Run `load` now and again `ms` after each run while it answers true (something is still
 * changing), until the page is left; now() runs it at once, and starts it again once it stopped.
 * A failed run reports its error and counts as still changing.
 */
export function refreshWhile(ms: number, signal: AbortSignal, load: () => Promise<boolean>, onError: (err: unknown) => void): { now(): void } {
  let running = false;
  let nudge = new AbortController();
  const run = async () => {
    running = true;
    while (!signal.aborted) {
      nudge = new AbortController();
      const woken = nudge.signal;
      let changing = true;
      if (!document.hidden) {
        try {
          changing = await load();
        } catch (err) {
          if (!isAbort(err) && !signal.aborted) onError(err);
        }
      }
      // A wake-up during the run may mean news the run did not see: one more run.
      if (!changing && !woken.aborted) break;
      await pause(ms, AbortSignal.any([signal, woken]));
    }
    running = false;
  };
  void run();
  return {
    now: () => {
      if (running) nudge.abort();
      else void run();
    },
  };
}
