import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Api } from '../integration/harness.js';

/** The strata launcher a user runs (it imports the bundle the tests build first). */
export const BIN = resolve('bin/strata.mjs');

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run strata as its own process, asynchronously: the runtime serving it runs in this very process. */
export function runStrata(args: readonly string[], env: NodeJS.ProcessEnv, input = ''): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** strata signed in to a test runtime with its operator key, a config dir of the test's own, colours as on a terminal. */
export function strataFor(api: () => Api, dir: () => string) {
  return (args: readonly string[]): Promise<Run> => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: join(dir(), 'config'), STRATA_API_URL: api().runtime.url, STRATA_API_KEY: api().key };
    delete env.NO_COLOR;
    return runStrata(args, env);
  };
}
