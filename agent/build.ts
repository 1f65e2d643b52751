/**
 * Bundles the in-cluster agent into one file, dist/strata-agent.mjs, that a control-plane node
 * fetches from the agent API at first boot (core/bootstrap.ts checks it against its sha256). The
 * CDK stack and the local runtime build it when it is missing or older than its sources, so a
 * fresh clone needs no earlier step: `npm run build:agent` does it by hand.
 */
import { buildSync } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const AGENT_BUNDLE = join(ROOT, 'dist', 'strata-agent.mjs');

/** The agent's dependencies are CommonJS in part: their require() calls of Node's modules need a real require. */
const BANNER = "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);";

/** What the agent imports from the repository: its own folder and the domain rules it shares with the platform. */
const SOURCES = ['agent', 'core'].map((d) => join(ROOT, d));

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0));
  }
  return latest;
}

export interface AgentBundle {
  readonly path: string;
  readonly bytes: number;
  /** sha256 (hex) of the file: what a node checks before it runs it. */
  readonly sha256: string;
}

/** Build the bundle (synchronously: CDK constructs call it at synth). */
export function bundleAgent(): AgentBundle {
  const result = buildSync({
    absWorkingDir: ROOT,
    entryPoints: ['agent/main.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: BANNER },
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
  const contents = result.outputFiles[0]!.contents;
  mkdirSync(dirname(AGENT_BUNDLE), { recursive: true });
  // Written aside and renamed: a reader never sees half a bundle.
  const tmp = `${AGENT_BUNDLE}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, AGENT_BUNDLE);
  return { path: AGENT_BUNDLE, bytes: contents.byteLength, sha256: createHash('sha256').update(contents).digest('hex') };
}

/** The bundle as it is, built first when it is missing or older than the agent's sources. */
export function agentBundle(): AgentBundle {
  const stale = !existsSync(AGENT_BUNDLE) || (existsSync(SOURCES[0]!) && statSync(AGENT_BUNDLE).mtimeMs < Math.max(...SOURCES.map(newest)));
  if (stale) return bundleAgent();
  const contents = readFileSync(AGENT_BUNDLE);
  return { path: AGENT_BUNDLE, bytes: contents.byteLength, sha256: createHash('sha256').update(contents).digest('hex') };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { path, bytes, sha256 } = bundleAgent();
  process.stdout.write(`${path}: ${(bytes / 1024).toFixed(1)} KiB, sha256 ${sha256}\n`);
}
