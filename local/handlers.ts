/**
 * The one handler map of the local runtime: every Lambda the CDK stack deploys is an entry file
 * (functions/api/routes.ts, functions/agent/routes.ts, functions/workflows/tasks.ts,
 * LOCAL_FUNCTIONS below), and the local API, Step Functions and Lambda endpoints load the same
 * file's `handler`, on first use, like a cold start.
 */
const loaded = new Map<string, Promise<unknown>>();

export function loadHandler<H>(entry: string): Promise<H> {
  let p = loaded.get(entry);
  if (!p) {
    // Entries are .ts files relative to the repository root; the runtime (tsx, vitest) loads TypeScript.
    p = import(new URL(`../${entry}`, import.meta.url).href).then((m: { handler?: unknown }) => {
      if (typeof m.handler !== 'function') throw new Error(`${entry} exports no handler`);
      return m.handler;
    });
    loaded.set(entry, p);
  }
  return p as Promise<H>;
}

/** Functions the control plane invokes by name (Lambda Invoke API), and the files they are. */
export const LOCAL_FUNCTIONS: Readonly<Record<string, string>> = {
  'strata-health': 'functions/health/score-health.ts',
};
