import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, Plugin } from 'esbuild';
import { Duration, Validations } from 'aws-cdk-lib';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The repository root: every entry path and the lock file are resolved from here. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * esbuild emits ESM, where `require` does not exist; a CommonJS dependency that requires a
 * Node built-in would then throw "Dynamic require of X is not supported". Define one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as strataCreateRequire } from 'node:module'; const require = strataCreateRequire(import.meta.url);";

/** Where esbuild looks in a package first: its ES modules, which it can tree-shake (the AWS SDK's dist-es). */
export const BUNDLE_MAIN_FIELDS = ['module', 'main'] as const;

/**
 * Built-in modules a bundle takes through require (functions/commons/node-*.cts), relative to the
 * repository root: an ES import of node:http loads undici with it, about 30 ms of every cold start.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = Object.fromEntries(
  ['http', 'https'].flatMap((name) => [name, `node:${name}`].map((spec) => [spec, `./functions/commons/node-${name}.cts`])),
);

/**
 * How a bundle is split: a module a handler loads with import() (a cloud SDK, a rare route) goes to
 * a chunk of its own, read only when first used. In one file, V8 would parse it at every cold start.
 */
export const BUNDLE_SPLITTING = { entryNames: 'index', chunkNames: 'chunks/[name]-[hash]', outExtension: '.mjs' } as const;

const NAMED_ZOD_IMPORT = /import\s*\{\s*z\s*\}\s*from\s*'zod';/g;

/**
 * `import { z } from 'zod'` as `import * as z from 'zod'`, the form zod documents: esbuild drops
 * the exports a namespace import never names, but a named `z` is one object holding all of zod
 * (its every locale, JSON Schema conversion, the compiler): about 350 KiB more to parse per handler.
 */
const zodNamespaceImports: Plugin = {
  name: 'zod-namespace-imports',
  setup(build) {
    build.onLoad({ filter: /\.m?ts$/ }, async (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes("from 'zod'")) return undefined;
      return { contents: text.replace(NAMED_ZOD_IMPORT, "import * as z from 'zod';"), loader: 'ts' };
    });
  },
};

/**
 * esbuild's options for a function: ESM for Node 22, minified, split (BUNDLE_SPLITTING), with the
 * aliases and the require banner. The deployed bundle, bench/api.ts and the bundle tests all use it.
 */
export function bundleOptions(entry: string, outdir: string, opts: { sourcemap?: boolean } = {}): BuildOptions {
  return {
    entryPoints: [entry],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: true,
    sourcemap: opts.sourcemap ?? false,
    mainFields: [...BUNDLE_MAIN_FIELDS],
    alias: { ...BUNDLE_ALIASES },
    outdir,
    entryNames: BUNDLE_SPLITTING.entryNames,
    chunkNames: BUNDLE_SPLITTING.chunkNames,
    outExtension: { '.js': BUNDLE_SPLITTING.outExtension },
    banner: { js: ESM_REQUIRE_BANNER },
    plugins: [zodNamespaceImports],
    logLevel: 'warning',
  };
}

const shellQuote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
const THIS_FILE = fileURLToPath(import.meta.url);

/**
 * The command that bundles `entry` (relative to the repository root) into outputDir as index.mjs
 * and its chunks: this file, run by the Node that runs the CDK app. The CDK's esbuild writes one
 * file (--outfile) and takes no plugins: this runs after it and replaces that file.
 */
export function splitBundleCommand(inputDir: string, outputDir: string, entry: string): string {
  return [process.execPath, THIS_FILE, join(inputDir, entry), outputDir].map(shellQuote).join(' ');
}

export interface StrataFunctionProps {
  /**
   * Files (absolute paths) copied beside the handler in the function's package, which it reads
   * from LAMBDA_TASK_ROOT.
   * @default - none
   */
  readonly files?: readonly string[];
  /**
   * Handler file, relative to the repository root (or absolute), e.g. `functions/api/clusters.ts`.
   * It must export `handler`.
   */
  readonly entry: string;
  /**
   * What the function is for, shown in the Lambda console.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Extra environment variables, merged over the defaults.
   * @default - only NODE_OPTIONS=--enable-source-maps and POWERTOOLS_SERVICE_NAME=strata
   */
  readonly environment?: Record<string, string>;
  /**
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MiB (CPU scales with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Lowest application log level shipped to CloudWatch.
   * @default ApplicationLogLevel.INFO
   */
  readonly applicationLogLevel?: ApplicationLogLevel;
  /**
   * Concurrency reserved for the function (and its cap).
   * @default none reserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * How long the function's log group keeps its events.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * A Strata Lambda function: nodejs22.x on arm64, bundled by esbuild as minified ESM with source
 * maps (the AWS SDK included, so what runs is the version the lock file pins), X-Ray tracing,
 * and its own log group with a retention. Stacks only say which file and what it may touch.
 */
export class StrataFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: StrataFunctionProps) {
    const entry = isAbsolute(props.entry) ? props.entry : join(REPO_ROOT, props.entry);
    if (!/\.(ts|mts|js|mjs)$/.test(entry)) throw new Error(`StrataFunction ${id}: entry ${props.entry} is not a .ts or .js file`);
    if (!existsSync(entry)) throw new Error(`StrataFunction ${id}: entry ${entry} does not exist`);
    const memorySize = props.memorySize ?? 512;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240) {
      throw new Error(`StrataFunction ${id}: memorySize ${memorySize} must be an integer from 128 to 10240 MiB`);
    }

    const logGroup = new LogGroup(scope, `${id}LogGroup`, { retention: props.logRetention ?? RetentionDays.ONE_MONTH });

    super(scope, id, {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout: props.timeout ?? Duration.seconds(30),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: Tracing.ACTIVE,
      logGroup,
      // JSON logs; Lambda's own START/END/REPORT lines only at WARN: at 2 heartbeats a minute per
      // cluster they would cost more than the function itself (CloudWatch metrics still count runs).
      loggingFormat: LoggingFormat.JSON,
      systemLogLevelV2: SystemLogLevel.WARN,
      applicationLogLevelV2: props.applicationLogLevel ?? ApplicationLogLevel.INFO,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'strata',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: [...BUNDLE_MAIN_FIELDS],
        minify: true,
        sourceMap: true,
        bundleAwsSDK: true,
        banner: ESM_REQUIRE_BANNER,
        esbuildArgs: { '--alias': Object.entries(BUNDLE_ALIASES).map(([spec, file]) => `${spec}=${file}`) },
        logLevel: LogLevel.WARNING,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (input: string, output: string) => [splitBundleCommand(input, output, relative(REPO_ROOT, entry)), ...(props.files ?? []).map((f) => `cp "${f}" "${output}/"`)],
        },
      },
    });

    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-L1',
        reason:
          'nodejs22.x is pinned on purpose: the project runs Node 22 everywhere (local runtime, tests, Lambda), so what is tested is what runs.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "AWSLambdaBasicExecutionRole is AWS's documented minimum for a function: it only lets the function write its own CloudWatch logs.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active tracing grants xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
      },
    );
  }
}

// Run as a script (splitBundleCommand): bundle an entry into a directory, with source maps.
if (process.argv[1] === THIS_FILE) {
  const [entry, outdir] = process.argv.slice(2);
  if (!entry || !outdir) throw new Error('usage: node lib/strata-function.ts <entry> <outdir>');
  const { build } = await import('esbuild');
  await build(bundleOptions(entry, outdir, { sourcemap: true }));
}
