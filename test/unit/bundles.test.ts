import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLE_ALIASES, BUNDLE_MAIN_FIELDS, BUNDLE_SPLITTING, REPO_ROOT } from '../../lib/strata-function.js';
import { AGENT_API_ENTRY } from '../../functions/agent/routes.js';
import { handlerEntry } from '../../functions/api/routes.js';

/**
 * The source files a function evaluates when it starts (its entry chunk and the chunks that imports
 * statically), and the built-in modules any of its chunks imports as an ES module.
 */
async function loadedAtStart(entry: string): Promise<{ files: string[]; esImportedBuiltins: string[] }> {
  const { metafile } = await build({
    entryPoints: [entry],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    splitting: true,
    write: false,
    metafile: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: [...BUNDLE_MAIN_FIELDS],
    alias: { ...BUNDLE_ALIASES },
    outdir: 'out',
    entryNames: BUNDLE_SPLITTING.entryNames,
    chunkNames: BUNDLE_SPLITTING.chunkNames,
    logLevel: 'silent',
  });
  const outputs: Metafile['outputs'] = metafile.outputs;
  // Chunks loaded by import() are entry points too: the function's own is index.js.
  const eager = new Set([`out/${BUNDLE_SPLITTING.entryNames}.js`]);
  for (const o of eager) for (const i of outputs[o]!.imports) if (i.kind === 'import-statement' && outputs[i.path]) eager.add(i.path);
  const files = [...eager].flatMap((o) => Object.keys(outputs[o]!.inputs));
  const esImportedBuiltins = Object.values(outputs).flatMap((o) => o.imports.filter((i) => i.external && i.kind === 'import-statement').map((i) => i.path));
  return { files, esImportedBuiltins };
}

describe('what a function loads when it starts', () => {
  it('the agent API: the heartbeat, not bootstrap, bakes, commands, logs or compliance', async () => {
    const { files } = await loadedAtStart(AGENT_API_ENTRY);
    expect(files).toContain('functions/agent/heartbeat.ts');
    for (const lazy of ['bootstrap', 'bake-result', 'command-result', 'log-upload', 'compliance-report']) expect(files).not.toContain(`functions/agent/${lazy}.ts`);
    expect(files.some((f) => f.includes('@aws-sdk/client-s3') || f.includes('@aws-sdk/client-kms'))).toBe(false);
  });

  it('the clusters API: no cloud SDK, Step Functions or Scheduler until a route needs one, and node:http through require', async () => {
    const { files, esImportedBuiltins } = await loadedAtStart(handlerEntry('clusters'));
    expect(files).toContain('functions/api/clusters.ts');
    for (const sdk of ['@aws-sdk/client-ec2', '@azure/', '@aws-sdk/client-sfn', '@aws-sdk/client-scheduler']) expect(files.filter((f) => f.includes(sdk))).toEqual([]);
    expect(esImportedBuiltins).toContain('node:crypto');
    expect(esImportedBuiltins.filter((b) => /^(node:)?https?$/.test(b))).toEqual([]);
  });

  it('the authorizer: no validation library', async () => {
    const { files } = await loadedAtStart('functions/api/authorizer.ts');
    expect(files.filter((f) => f.includes('node_modules/zod/'))).toEqual([]);
  });
});
