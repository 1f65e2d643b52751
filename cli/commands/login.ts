import { Command } from 'commander';
import { text } from 'node:stream/consumers';
import { ApiClient } from '../api-client.js';
import { DEFAULT_PROFILE, removeProfile, saveProfile } from '../config.js';
import { UsageError } from '../errors.js';

/** The key from stdin, so it stays out of the shell's history and the process list. */
async function keyFromStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('give the API key with --key KEY, or on stdin: strata login --url URL < key-file');
  const key = (await text(process.stdin)).trim();
  if (!key) throw new UsageError('stdin held no API key');
  return key;
}

function checkedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url ${url} is not a URL such as https://api.strata.example.com`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new UsageError(`--url ${url}: the API speaks http or https`);
  return url.replace(/\/+$/, '');
}

export function loginCommand(): Command {
  return new Command('login')
    .description('store the URL and API key of a Strata platform in the config file (mode 0600), as --profile or "default"')
    .requiredOption('--url <url>', "the API's base URL")
    .option('--key <key>', 'the API key; read from stdin when not given')
    .option('--no-verify', 'store it without checking the key with the API')
    .action(async (opts: { url: string; key?: string; verify: boolean }, cmd: Command) => {
      const { profile = DEFAULT_PROFILE } = cmd.optsWithGlobals<{ profile?: string }>();
      const url = checkedUrl(opts.url);
      const key = opts.key ?? (await keyFromStdin());
      // Every role may list registries: a cheap proof that the URL is Strata's and the key works.
      if (opts.verify) await new ApiClient(url, key).get('/v1/registries');
      const path = saveProfile(profile, { url, key });
      process.stdout.write(`Logged in to ${url} as profile "${profile}"; stored in ${path} (mode 600).\n`);
    });
}

export function logoutCommand(): Command {
  return new Command('logout').description('forget the stored URL and key of --profile (or "default")').action((_opts: unknown, cmd: Command) => {
    const { profile = DEFAULT_PROFILE } = cmd.optsWithGlobals<{ profile?: string }>();
    process.stdout.write(removeProfile(profile) ? `Profile "${profile}" removed.\n` : `No profile "${profile}" was stored.\n`);
  });
}
