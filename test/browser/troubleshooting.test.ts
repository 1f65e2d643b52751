import { readFileSync } from 'node:fs';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent } from '../../adapters/dynamodb/events-store.js';
import { untarGz } from '../../functions/commons/tar.js';
import { clusterBody, eventually, startApi, type Api } from '../integration/harness.js';
import { DOCS, LAUNCH, pageProblems, signedInPage } from './page-problems.js';

/**
 * Troubleshooting and compliance in the console (Chromium, headless, local runtime): Scan now on
 * a cluster's Compliance tab and its failing checks listed first, each with its remediation; a
 * log bundle asked for on the Logs tab and downloaded with its progress bar reaching 100 %; the
 * tenant's Events page filtered by type and followed live, with no request while the tab is hidden.
 */

let api: Api;
let browser: Browser;
let page: Page;
let clusterId: string;

const { problems, provoked, watch } = pageProblems();

beforeAll(async () => {
  api = await startApi();
  const account = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } });
  const made = await api.call('POST', '/v1/clusters', { body: clusterBody(account.body.id) });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  clusterId = made.body.id;
  await eventually(async () => ((await api.call('GET', `/v1/clusters/${clusterId}`)).body.phase === 'Running' ? true : undefined), 'demo Running', 40_000, 100);

  browser = await chromium.launch(LAUNCH);
  page = await signedInPage(browser, api.key, watch, { timezoneId: 'UTC', acceptDownloads: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

describe('troubleshooting and compliance in the console', { timeout: 60_000 }, () => {
  it('scans from the Compliance tab and lists the failing checks first, each with its remediation', async () => {
    await page.goto(`${api.runtime.url}/clusters/${clusterId}`);
    await page.getByRole('navigation', { name: 'Cluster pages' }).getByRole('link', { name: 'Compliance' }).click();
    await page.waitForURL(`${api.runtime.url}/clusters/${clusterId}/compliance`);
    await page.getByRole('heading', { name: 'Compliance of demo', level: 1 }).waitFor();
    // The agent scans once when it starts, on its own schedule: that run may be here already.
    await page.getByRole('button', { name: 'Scan now' }).click();
    await page.locator('.scan-state').waitFor();
    // The scan shows until its report comes; then the page shows that run.
    await page.locator('.scan-state').waitFor({ state: 'detached', timeout: 40_000 });
    const checks = page.locator('ol.failing-checks > li');
    await checks.first().waitFor({ timeout: 40_000 });
    const latest = (await api.call('GET', `/v1/clusters/${clusterId}/compliance`)).body.latest;
    expect(latest.trigger).toBe('command');
    expect(await checks.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-check')))).toEqual(latest.failing.map((c: any) => c.id));

    // Failing checks come before the totals per target and the runs.
    const order = await page.locator('section.panel').evaluateAll((sections) => sections.map((s) => s.id));
    expect(order).toEqual(['compliance-failing', 'compliance-targets', 'compliance-history']);
    const first = checks.first();
    expect(await first.locator('.remediation').isVisible()).toBe(false);
    await first.locator('summary').click();
    expect(await first.locator('.remediation').textContent()).toBe(latest.failing[0].remediation);
    expect(await page.locator('[data-count="fail"]').first().textContent()).toBe(`${latest.totals.fail} fail`);
    expect(await page.locator('table.compliance-targets tbody tr').count()).toBe(latest.targets.length);
    await page.screenshot({ path: `${DOCS}console-compliance.png`, fullPage: true });

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Compliance' }).click();
    const row = page.locator(`table.compliance-clusters tr[data-cluster="${clusterId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-fail')).toBe(String(latest.totals.fail));
  });

  it('asks for a log bundle on the Logs tab and downloads it, the progress bar reaching 100 %', async () => {
    await page.goto(`${api.runtime.url}/clusters/${clusterId}/logs`);
    await page.getByRole('heading', { name: 'Logs of demo', level: 1 }).waitFor();
    const form = page.locator('form.logs-form');
    await form.locator('input[name="types"][value="node"]').check();
    await form.getByLabel('Since').selectOption('30');
    await form.getByRole('button', { name: 'Request logs' }).click();
    await page.getByText(/^Log request \S+ sent to the agent: kube-system, platform, node\.$/).waitFor();

    const ready = page.locator('table.log-requests tbody tr[data-status="Ready"]');
    await ready.waitFor({ timeout: 40_000 });
    const requestId = (await ready.getAttribute('data-request'))!;
    const [download] = await Promise.all([page.waitForEvent('download'), ready.getByRole('button', { name: `Download ${requestId}` }).click()]);
    const bar = ready.locator('progress');
    expect(await bar.evaluate((p: { max: number; value: number }) => p.max > 0 && p.value === p.max)).toBe(true);
    expect(await ready.locator('.download-text').textContent()).toMatch(/\(100 %\) · saved as demo-logs-\S+\.tar\.gz$/);
    expect(download.suggestedFilename()).toBe(`demo-logs-${requestId}.tar.gz`);

    const files = await untarGz(readFileSync((await download.path())!));
    const manifest = JSON.parse([...files.entries()].find(([path]) => path.replace(/^\/+/, '') === 'manifest.json')![1].content.toString());
    expect(manifest.request.types).toEqual(['kube-system', 'platform', 'node']);
    expect(manifest.request.sinceMinutes).toBe(30);
    const request = (await api.call('GET', `/v1/clusters/${clusterId}/logs/${requestId}`)).body;
    expect(await bar.evaluate((p: { max: number; value: number }) => p.max)).toBe(request.bytes);
  });

  it("filters the tenant's Events page by type, each event naming its cluster", async () => {
    await appendEvent({ tenantId: 'default', clusterId, type: 'Warning', reason: 'ConsoleFilterWarning', subject: 'demo-workers-0', message: 'seen in the console' });
    await page.goto(`${api.runtime.url}/events`);
    await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor();
    const events = page.locator('ol.events > li.event');
    await events.first().waitFor();
    expect(await page.locator('ol.events > li[data-type="Normal"]').count()).toBeGreaterThan(0);

    await page.locator('form.event-filters').getByLabel('Type').selectOption('Warning');
    await page.waitForURL(/\/events\?type=Warning$/);
    await page.locator('ol.events > li[data-reason="ConsoleFilterWarning"]').waitFor();
    await expect.poll(() => page.locator('ol.events > li[data-type="Normal"]').count()).toBe(0);
    expect(await page.locator('ol.events > li[data-reason="ConsoleFilterWarning"] .event-cluster').textContent()).toBe('demo');

    // Live: a new Warning arrives through the follow with the filter kept.
    await appendEvent({ tenantId: 'default', clusterId, type: 'Warning', reason: 'ConsoleFollowedWarning', message: 'followed' });
    await page.locator('ol.events > li[data-reason="ConsoleFollowedWarning"]').waitFor({ timeout: 25_000 });
    expect(await events.evaluateAll((lis) => lis.every((li) => li.getAttribute('data-type') === 'Warning'))).toBe(true);
  });

  it('follows with a short request at a time, none while the tab is hidden, and catches up once it is visible again', async () => {
    const follows: URL[] = [];
    const seen = (r: Request) => {
      const url = new URL(r.url());
      if (url.pathname === '/v1/events/follow') follows.push(url);
    };
    // Headless Chromium has no other tab to switch to: the page is told it is hidden as a browser tells it.
    const setHidden = (hidden: boolean) => page.evaluate(`Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${hidden} }); document.dispatchEvent(new Event('visibilitychange'))`);
    page.on('request', seen);
    try {
      await expect.poll(() => follows.length, { timeout: 15_000 }).toBeGreaterThan(0);
      // No request held open waiting for news: the follow answers at once.
      expect(follows.map((u) => u.searchParams.get('waitSeconds'))).toEqual(follows.map(() => '0'));
      await setHidden(true);
      await page.locator('.live-state', { hasText: 'Paused while the tab is hidden.' }).waitFor({ timeout: 15_000 });
      const asked = follows.length;
      await appendEvent({ tenantId: 'default', clusterId, type: 'Warning', reason: 'ConsoleHiddenWarning', message: 'while hidden' });
      await page.waitForTimeout(12_000);
      expect(follows.length).toBe(asked);
      expect(await page.locator('ol.events > li[data-reason="ConsoleHiddenWarning"]').count()).toBe(0);
      await setHidden(false);
      await page.locator('ol.events > li[data-reason="ConsoleHiddenWarning"]').waitFor({ timeout: 5_000 });
    } finally {
      page.off('request', seen);
      await setHidden(false);
    }
  });

  it('logged no console error and no uncaught exception', () => {
    expect(problems).toEqual([]);
    expect(provoked).toEqual([]);
  });
});
