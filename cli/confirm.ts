import { createInterface } from 'node:readline/promises';
import { UsageError } from './errors.js';

/**
 * Ask on the terminal before changing something. --yes answers for the user; with no terminal
 * to ask on and no --yes, nothing is changed and the command fails as misused.
 */
export async function confirm(action: string, opts: { yes?: boolean }): Promise<boolean> {
  if (opts.yes) return true;
  if (!process.stdin.isTTY) throw new UsageError(`will not ${action} without confirmation, and stdin is not a terminal to ask on; run it again with --yes to go ahead`);
  const question = `${action[0]!.toUpperCase()}${action.slice(1)}?`;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
