/**
 * Bundles the CLI into one file, dist/strata.mjs: `npm run build:cli`, or bin/strata.mjs when the
 * bundle is missing or older than its sources. The launcher runs this file made JavaScript, from
 * dist/: so it imports nothing but esbuild and Node's own modules, and its paths work from either
 * folder (both one level below the root).
 */
import { build } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUNDLE = fileURLToPath(new URL('../dist/strata.mjs', import.meta.url));

/** commander is CommonJS: its require() calls of Node's modules need a real require in an ES module. */
const BANNER = "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);";

/** The CLI speaks to the public API only: nothing of the platform's own code may be bundled in. */
const ALLOWED_INPUTS = [/^cli\//, /^node_modules\/(commander|yaml)\//, /^package\.json$/];

export async function bundleCli(): Promise<{ path: string; bytes: number }> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ['cli/main.ts'],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    banner: { js: BANNER },
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const strays = Object.keys(result.metafile.inputs).filter((input) => !ALLOWED_INPUTS.some((re) => re.test(input)));
  if (strays.length) throw new Error(`the CLI bundle must hold only cli/, commander and yaml, not ${strays.join(', ')}`);
  const contents = result.outputFiles[0]!.contents;
  mkdirSync(dirname(BUNDLE), { recursive: true });
  // Written aside and renamed: a CLI started meanwhile never loads half a bundle.
  const tmp = `${BUNDLE}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, BUNDLE);
  return { path: BUNDLE, bytes: contents.byteLength };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { path, bytes } = await bundleCli();
  process.stdout.write(`${relative(process.cwd(), path)}: ${(bytes / 1024).toFixed(1)} KiB\n`);
}
