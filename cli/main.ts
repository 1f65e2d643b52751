import { CommanderError } from 'commander';
import { palette } from './colour.js';
import { ApiError, EXIT, Failure, UsageError } from './errors.js';
import { program } from './program.js';

/** What commander's own exits mean: help and version asked for are fine; the rest is a wrong command line. */
const ASKED_FOR = new Set(['commander.helpDisplayed', 'commander.version']);

/** An error as the user sees it on stderr, and the exit code it means. */
function report(err: unknown): number {
  const p = palette(process.stderr);
  const label = p.red('error:');
  // commander has printed its own message already.
  if (err instanceof CommanderError) return ASKED_FOR.has(err.code) ? EXIT.ok : EXIT.usage;
  if (err instanceof UsageError) {
    process.stderr.write(`${label} ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof Failure) {
    const origin = err instanceof ApiError ? ` ${p.dim(`(${err.status} ${err.code})`)}` : '';
    process.stderr.write(`${label} ${err.message}${origin}\n`);
    // A detail that only repeats the message (a 409's) adds nothing but its field.
    for (const d of err.details) if (d.message !== err.message) process.stderr.write(`  ${p.bold(d.path)}: ${d.message}\n`);
    return EXIT.failure;
  }
  process.stderr.write(`${label} ${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT.failure;
}

try {
  await program().parseAsync(process.argv);
} catch (err) {
  process.exitCode = report(err);
}
