import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ASSETS_PREFIX, consoleHeaders, IMMUTABLE_CACHE, REVALIDATE_CACHE } from '../console/headers.js';

/** s3rver's origin, where the console fetches downloads from presigned URLs. */
const headers = () => consoleHeaders(process.env.AWS_ENDPOINT_URL_S3 ? [process.env.AWS_ENDPOINT_URL_S3] : []);
import { AGENT_ROUTES } from '../functions/agent/routes.js';
import { ROUTES } from '../functions/api/routes.js';

/**
 * The web console on the local runtime, same origin as the API: console/dist at /, its files as
 * they are, and index.html for every other page path (the app routes in the browser). When dist
 * is missing or older than the console's sources, it is built first with Vite, so a fresh clone
 * serves it at `npm start`.
 */

export const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));
const DIST = join(CONSOLE_DIR, 'dist');
/** What the build reads: a change to any of these makes dist stale. */
const SOURCES = ['index.html', 'vite.config.ts', 'headers.ts', 'src', 'public'];

/** First path segments that are the API's (REST, agent, local controls): never the console's. */
const API_SEGMENTS = new Set([...ROUTES, ...AGENT_ROUTES].map((r) => r.path.split('/')[1]!).concat('local'));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Whether dist holds a build at least as new as every source. */
export function consoleIsFresh(): boolean {
  const built = join(DIST, 'index.html');
  if (!existsSync(built)) return false;
  return statSync(built).mtimeMs >= Math.max(...SOURCES.map((s) => newestMtime(join(CONSOLE_DIR, s))));
}

/**
 * One build at a time across processes (test files start runtimes in parallel): a lock directory,
 * taken over when its holder has been at it far longer than a build takes.
 */
const LOCK = join(tmpdir(), `strata-console-${createHash('sha256').update(CONSOLE_DIR).digest('hex').slice(0, 12)}.lock`);
const STALE_LOCK_MS = 120_000;

async function withBuildLock<T>(run: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      const age = existsSync(LOCK) ? Date.now() - statSync(LOCK).mtimeMs : 0;
      if (age > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await run();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export type ConsoleBuild = { readonly state: 'fresh' } | { readonly state: 'built'; readonly ms: number } | { readonly state: 'unavailable'; readonly reason: string };

let building: Promise<ConsoleBuild> | undefined;

/** Build console/dist with Vite's JS API when it is missing or stale; once per process. */
export function prepareConsole(): Promise<ConsoleBuild> {
  building ??= (async (): Promise<ConsoleBuild> => {
    if (consoleIsFresh()) return { state: 'fresh' };
    try {
      return await withBuildLock(async () => {
        // Another process may have built it while this one waited.
        if (consoleIsFresh()) return { state: 'fresh' } as const;
        const started = Date.now();
        // Vite is a development dependency: loaded only when a build is needed.
        const { build } = await import('vite');
        await build({ root: CONSOLE_DIR, configFile: join(CONSOLE_DIR, 'vite.config.ts'), logLevel: 'warn' });
        return { state: 'built', ms: Date.now() - started } as const;
      });
    } catch (err) {
      building = undefined;
      return { state: 'unavailable', reason: (err as Error).message };
    }
  })();
  return building;
}

const page = (statusCode: number, text: string): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers() },
  body: text,
});

/** The file under dist for a URL path, or undefined when there is none (or the path leaves dist). */
function fileFor(pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const file = normalize(join(DIST, decoded));
  if (!file.startsWith(DIST + sep)) return undefined;
  return existsSync(file) && statSync(file).isFile() ? file : undefined;
}

/**
 * The console's answer to a request, or undefined for what is the API's: GET and HEAD outside
 * the API's paths only.
 */
export async function serveConsole(req: IncomingMessage): Promise<APIGatewayProxyResult | undefined> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  if (API_SEGMENTS.has(pathname.split('/')[1] ?? '')) return undefined;
  const built = await prepareConsole();
  if (built.state === 'unavailable') return page(503, `The console could not be built: ${built.reason}\nRun npm run build:console to see why.`);
  const file = fileFor(pathname);
  // A missing hashed asset is a 404, never the page: a script must not receive HTML.
  if (!file && pathname.startsWith(ASSETS_PREFIX)) return page(404, `no console asset ${pathname}`);
  const served = file ?? join(DIST, 'index.html');
  return {
    statusCode: 200,
    headers: {
      'content-type': TYPES[extname(served)] ?? 'application/octet-stream',
      'cache-control': pathname.startsWith(ASSETS_PREFIX) ? IMMUTABLE_CACHE : REVALIDATE_CACHE,
      ...headers(),
    },
    body: readFileSync(served).toString('base64'),
    isBase64Encoded: true,
  };
}
