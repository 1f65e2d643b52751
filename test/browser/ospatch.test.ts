import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, eventually, startApi, type Api } from '../integration/harness.js';
import { DOCS, LAUNCH, pageProblems, signedInPage } from './page-problems.js';

/**
 * OS patching in the console (Chromium, headless, local runtime): from the cluster's page to its
 * patching page; a cron with both days refused at its field; a weekly schedule in Berlin
 * previewed (nothing saved) and saved, with its next runs; Patch now, the run followed to its
 * end with each node's packages, and a node's page with its last patch.
 */

let api: Api;
let browser: Browser;
let page: Page;
let clusterId: string;

const { problems, provoked, watch } = pageProblems();
const settings = async () => (await api.call('GET', `/v1/clusters/${clusterId}/ospatch`)).body.settings;

beforeAll(async () => {
  api = await startApi();
  const account = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } });
  const made = await api.call('POST', '/v1/clusters', { body: clusterBody(account.body.id) });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  clusterId = made.body.id;
  await eventually(async () => ((await api.call('GET', `/v1/clusters/${clusterId}`)).body.phase === 'Running' ? true : undefined), 'demo Running', 40_000, 100);

  browser = await chromium.launch(LAUNCH);
  page = await signedInPage(browser, api.key, watch, { timezoneId: 'UTC' });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

describe('OS patching in the console', { timeout: 90_000 }, () => {
  it('sets a weekly schedule, previews and shows its next runs, patches now and shows each node patched', async () => {
    await page.goto(`${api.runtime.url}/clusters/${clusterId}`);
    await page.getByRole('link', { name: 'Schedule and patch runs' }).click();
    await page.waitForURL(`${api.runtime.url}/clusters/${clusterId}/ospatch`);
    await page.getByRole('heading', { name: 'OS patching of demo', level: 1 }).waitFor();

    // Each frequency shows the fields it reads.
    const form = page.locator('form.ospatch-form');
    await form.getByLabel('Frequency').selectOption('cron');
    expect(await form.getByLabel('Day', { exact: true }).isVisible()).toBe(false);
    provoked.push({ path: `/v1/clusters/${clusterId}/ospatch`, status: 400 });
    await form.getByLabel('Cron expression').fill('0 3 15 * 1-5');
    await form.getByRole('button', { name: 'Preview' }).click();
    const cron = form.getByLabel('Cron expression');
    await expect.poll(() => cron.getAttribute('aria-invalid')).toBe('true');
    expect(await form.locator('.field-error:not([hidden])').count()).toBe(1);

    await form.getByLabel('Frequency').selectOption('weekly');
    expect(await cron.isVisible()).toBe(false);
    await form.getByLabel('Day', { exact: true }).selectOption('SUN');
    await form.getByLabel('Time', { exact: true }).fill('03:00');
    await form.getByLabel('Time zone').fill('Europe/Berlin');
    await form.getByLabel('Window (minutes)').fill('180');
    await form.getByLabel('Reboot a node when a package requires it').check();

    await form.getByRole('button', { name: 'Preview' }).click();
    const preview = page.locator('.preview table.next-runs tbody tr');
    await expect.poll(() => preview.count()).toBe(5);
    for (const start of await preview.locator('th').allTextContents()) expect(start).toMatch(/^\d{4}-\d\d-\d\d 03:00 \(Europe\/Berlin\)$/);
    expect((await settings()).frequency).toBe('none');

    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved: weekly, SUN 03:00 Europe/Berlin, 3 h window, reboot if required, not on boot.').waitFor();
    expect(await settings()).toMatchObject({ frequency: 'weekly', dayOfWeek: 'SUN', timeOfDay: '03:00', timeZone: 'Europe/Berlin', windowMinutes: 180, rebootIfRequired: true });
    const schedule = page.locator('#ospatch-schedule').locator('..');
    await schedule.getByRole('columnheader', { name: 'Window ends (Europe/Berlin)' }).waitFor();
    expect(await schedule.locator('table.next-runs tbody tr').count()).toBe(5);
    expect(await schedule.locator('code').textContent()).toMatch(/^cron\(.+\)$/);

    const nodes: string[] = (await api.call('GET', `/v1/clusters/${clusterId}/nodes`)).body.items.map((n: any) => n.name);
    const patchNow = page.getByRole('button', { name: 'Patch now' });
    await patchNow.click();
    await page.getByText(/^Patch run \S+ started\.$/).waitFor();
    await page.locator('.active-run').waitFor();
    expect(await patchNow.isDisabled()).toBe(true);

    const done = page.locator('#ospatch-history').locator('..').locator('.patch-run[data-state="Succeeded"]');
    await done.waitFor({ timeout: 60_000 });
    expect(await page.locator('.active-run').count()).toBe(0);
    expect(await patchNow.isEnabled()).toBe(true);
    const rows = done.locator('table.patch-nodes tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-node'), tr.getAttribute('data-status')]).sort())).toEqual(nodes.map((n) => [n, 'patched']).sort());
    for (const cell of await rows.locator('td:nth-child(3)').allTextContents()) expect(cell).toMatch(/^(\d+ packages?.*|up to date)$/);
    await page.screenshot({ path: `${DOCS}console-ospatch.png`, fullPage: true });

    await page.goto(`${api.runtime.url}/clusters/${clusterId}/nodes/${nodes[0]}`);
    const last = page.locator('.last-patch');
    await last.waitFor();
    expect(await last.textContent()).toMatch(/^patched \S.* ago · \d+ packages? updated · reboot: (rebooted|no|required, not done)/);
  });

  it('logged no console error and no uncaught exception', () => {
    expect(problems).toEqual([]);
    expect(provoked).toEqual([]);
  });
});
