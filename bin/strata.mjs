#!/usr/bin/env node
// The `strata` command: runs the bundled CLI (dist/strata.mjs), bundling it first with esbuild when
// it is missing or older than its sources, so a fresh clone works after npm install, with no install script.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'strata.mjs');
const sources = join(root, 'cli');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // A file removed meanwhile (an editor's swap file) is no source.
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0));
  }
  return latest;
}

/** Runs cli/build.ts, made JavaScript by esbuild first (beside the bundle, so it finds esbuild and the sources as the original does). */
async function rebuild() {
  const { transform } = await import('esbuild');
  const { code } = await transform(readFileSync(join(sources, 'build.ts'), 'utf8'), { loader: 'ts', format: 'esm', target: 'node20' });
  mkdirSync(dirname(bundle), { recursive: true });
  const builder = join(dirname(bundle), `.build-cli-${process.pid}.mjs`);
  writeFileSync(builder, code);
  try {
    await (await import(pathToFileURL(builder).href)).bundleCli();
  } finally {
    rmSync(builder, { force: true });
  }
}

// Without sources (an installed copy), the bundle is what there is.
if (!existsSync(bundle) || (existsSync(sources) && statSync(bundle).mtimeMs < newest(sources))) {
  try {
    await rebuild();
  } catch (err) {
    process.stderr.write(`strata: cannot bundle the CLI (${err.message}); run npm install, then npm run build:cli\n`);
    process.exit(1);
  }
}
await import(pathToFileURL(bundle).href);
