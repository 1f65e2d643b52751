import { execSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_SPLITTING, REPO_ROOT, bundleOptions, splitBundleCommand } from '../../lib/strata-function.js';
import { COMPLIANCE_MAX_REPORT_BYTES } from '../../core/compliance.js';
import { AGENT_API_ENTRY, AGENT_ROUTES, COMPLIANCE_MAX_BODY } from '../../functions/agent/routes.js';
import { AUTHORIZER_ENTRY, ROUTES, handlerEntry } from '../../functions/api/routes.js';

const OUT = 'out';

/**
 * The source files a function evaluates when it starts (its entry chunk and the chunks that imports
 * statically), and the built-in modules any of its chunks imports as an ES module.
 */
const builds = new Map<string, Promise<{ files: string[]; esImportedBuiltins: string[] }>>();
/** Each entry is built once for the whole file: several cases look at the same function. */
function loadedAtStart(entry: string): Promise<{ files: string[]; esImportedBuiltins: string[] }> {
  let built = builds.get(entry);
  if (!built) builds.set(entry, (built = buildForStart(entry)));
  return built;
}

async function buildForStart(entry: string): Promise<{ files: string[]; esImportedBuiltins: string[] }> {
  const { metafile } = await build({ ...bundleOptions(entry, OUT), write: false, metafile: true, logLevel: 'silent' });
  const outputs: Metafile['outputs'] = metafile.outputs;
  // Chunks loaded by import() are entry points too: the function's own is index.mjs.
  const eager = new Set([`${OUT}/${BUNDLE_SPLITTING.entryNames}${BUNDLE_SPLITTING.outExtension}`]);
  for (const o of eager) for (const i of outputs[o]!.imports) if (i.kind === 'import-statement' && outputs[i.path]) eager.add(i.path);
  const files = [...eager].flatMap((o) => Object.keys(outputs[o]!.inputs));
  const esImportedBuiltins = Object.values(outputs).flatMap((o) => o.imports.filter((i) => i.external && i.kind === 'import-statement').map((i) => i.path));
  return { files, esImportedBuiltins };
}

const fromPackage = (files: string[], pkg: string) => files.filter((f) => f.includes(`node_modules/${pkg}/`));

describe('what a function loads when it starts', () => {
  it('the agent API: the heartbeat, not bootstrap, bakes, commands, logs, compliance, YAML or the Lambda client', async () => {
    const { files } = await loadedAtStart(AGENT_API_ENTRY);
    expect(files).toContain('functions/agent/heartbeat.ts');
    for (const lazy of ['bootstrap', 'bake-result', 'command-result', 'log-upload', 'compliance-report']) expect(files).not.toContain(`functions/agent/${lazy}.ts`);
    expect(files.some((f) => f.includes('@aws-sdk/client-s3') || f.includes('@aws-sdk/client-kms') || f.includes('@aws-sdk/client-lambda'))).toBe(false);
    for (const pkg of ['yaml', 'js-yaml', 'semver']) expect(fromPackage(files, pkg), pkg).toEqual([]);
    // It shares the REST API's error helpers, not its audit trail.
    expect(files.filter((f) => f.includes('audit'))).toEqual([]);
  });

  it('the clusters API: no cloud SDK, Step Functions or Scheduler until a route needs one, and node:http through require', async () => {
    const { files, esImportedBuiltins } = await loadedAtStart(handlerEntry('clusters'));
    expect(files).toContain('functions/api/clusters.ts');
    for (const sdk of ['@aws-sdk/client-ec2', '@azure/', '@aws-sdk/client-sfn', '@aws-sdk/client-scheduler']) expect(files.filter((f) => f.includes(sdk))).toEqual([]);
    expect(esImportedBuiltins).toContain('node:crypto');
    expect(esImportedBuiltins.filter((b) => /^(node:)?https?$/.test(b))).toEqual([]);
  });

  it('the clusters, updates and kubeconfig APIs: no YAML parser and no x509 until a route changes something or signs', async () => {
    for (const name of ['clusters', 'updates', 'kubeconfig'] as const) {
      const { files } = await loadedAtStart(handlerEntry(name));
      for (const pkg of ['yaml', 'js-yaml', '@peculiar/x509']) expect(fromPackage(files, pkg), `${name}: ${pkg}`).toEqual([]);
    }
  });

  it('the tenants API: no API Gateway client until a tenant is made', async () => {
    const { files } = await loadedAtStart(handlerEntry('tenants'));
    expect(files).toContain('functions/api/tenants.ts');
    expect(files.filter((f) => f.includes('@aws-sdk/client-api-gateway') || f.includes('adapters/apigateway/usage-keys'))).toEqual([]);
  });

  it('the cluster status API, which validates only queries: no YAML and no semver', async () => {
    const { files } = await loadedAtStart(handlerEntry('clusterstatus'));
    for (const pkg of ['yaml', 'js-yaml', 'semver']) expect(fromPackage(files, pkg), pkg).toEqual([]);
  });

  it('the authorizer: no validation library, and no JWT library until a person signs in', async () => {
    const { files } = await loadedAtStart(AUTHORIZER_ENTRY);
    expect(fromPackage(files, 'zod')).toEqual([]);
    expect(fromPackage(files, 'jose')).toEqual([]);
  });

  it('every API handler: of zod, only what its schemas use (no locale but English, no JSON Schema conversion)', async () => {
    for (const handler of new Set(ROUTES.map((r) => r.handler))) {
      const zod = fromPackage((await loadedAtStart(handlerEntry(handler))).files, 'zod');
      expect(zod.filter((f) => f.includes('/locales/') && !f.endsWith('/en.js')), handler).toEqual([]);
      expect(zod.filter((f) => f.includes('from-json-schema')), handler).toEqual([]);
    }
  });

  it('the agent API takes the largest compliance report the compliance rules accept', () => {
    expect(COMPLIANCE_MAX_BODY).toBe(COMPLIANCE_MAX_REPORT_BYTES);
    expect(AGENT_ROUTES.find((r) => r.path === '/agent/v1/compliance')?.maxBody).toBe(COMPLIANCE_MAX_REPORT_BYTES);
  });
});

describe('a function bundled as the CDK bundles it', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it.each([AUTHORIZER_ENTRY, handlerEntry('clusters')])('%s: plain node imports it and every chunk, and finds the handler', (entry) => {
    const out = mkdtempSync(join(tmpdir(), 'strata-bundle-'));
    dirs.push(out);
    execSync(splitBundleCommand(REPO_ROOT, out, entry), { cwd: REPO_ROOT, stdio: 'pipe' });
    const chunks = readdirSync(join(out, 'chunks')).filter((f) => f.endsWith('.mjs'));
    expect(chunks.length).toBeGreaterThan(0);
    const script = `
      const m = await import(${JSON.stringify(join(out, 'index.mjs'))});
      if (typeof m.handler !== 'function') throw new Error('no handler');
      for (const c of ${JSON.stringify(chunks)}) await import(${JSON.stringify(join(out, 'chunks'))} + '/' + c);
      process.stdout.write('ok');`;
    const run = spawnSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], { cwd: tmpdir(), env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' } });
    expect(run.stderr.toString()).toBe('');
    expect(run.stdout.toString()).toBe('ok');
  }, 60_000);
});
