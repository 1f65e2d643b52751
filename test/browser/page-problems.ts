import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';

/** Where the browser tests write the screenshots docs/console.md shows. */
export const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));

/** Debian's chromium, headless (a browser download fails here). */
export const LAUNCH = { executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] };

/**
 * Console errors and uncaught exceptions of every page watched: a file fails on any, but for the
 * error answers a step provokes on purpose (pushed to `provoked` first), which the browser logs as
 * failed loads.
 */
export function pageProblems() {
  const problems: string[] = [];
  const provoked: { path: string; status: number }[] = [];
  const watch = (p: Page): void => {
    p.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
    p.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const failedLoad = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
      if (failedLoad) {
        const path = new URL(msg.location().url).pathname;
        const i = provoked.findIndex((x) => x.path === path && x.status === Number(failedLoad[1]));
        if (i >= 0) return void provoked.splice(i, 1);
      }
      problems.push(`${msg.text()} (${msg.location().url})`);
    });
  };
  return { problems, provoked, watch };
}

/** A page signed in with an API key as the sign-in form leaves a tab (sessionStorage), watched, with docs/ ready for screenshots. */
export async function signedInPage(browser: Browser, key: string, watch: (p: Page) => void, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  await context.addInitScript(`sessionStorage.setItem('strata.apiKey', ${JSON.stringify(key)}); sessionStorage.setItem('strata.role', 'admin');`);
  const page = await context.newPage();
  watch(page);
  mkdirSync(DOCS, { recursive: true });
  return page;
}
