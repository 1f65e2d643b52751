import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DOCS, LAUNCH, pageProblems } from './page-problems.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, eventually, startApi, type Api } from '../integration/harness.js';

/**
 * The console's node images in a real browser (Chromium, headless) against the local runtime: a
 * cluster on the public Ubuntu pack bakes an image; the Images page lists it with its status,
 * stage, pack, region, Kubernetes version and roles, filtered by cloud and region; its page shows
 * the signature, contents, bake and the clusters that use it, links back and forth with the
 * cluster's page, refuses Delete while a cluster uses it, shows the API's 409 when a cluster starts
 * using it under the confirm dialog, and deletes it once none does.
 */

let api: Api;
let browser: Browser;
let page: Page;
let accountId: string;
let demoId: string;
let image: any;

const { problems, provoked, watch } = pageProblems();

const section = (name: string) => page.getByRole('banner').getByRole('link', { name, exact: true });
const phaseOf = async (id: string) => (await api.call('GET', `/v1/clusters/${id}`)).body.phase as string;

async function createCluster(name: string): Promise<string> {
  const made = await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name }) });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  return made.body.id;
}

async function until(id: string, phase: string): Promise<void> {
  await eventually(
    async () => {
      const now = await phaseOf(id);
      if (now === 'Failed' && phase !== 'Failed') throw new Error(`cluster ${id} Failed`);
      return now === phase ? true : undefined;
    },
    `cluster ${id} ${phase}`,
    120_000,
    200,
  );
}

beforeAll(async () => {
  api = await startApi();
  const account = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } });
  accountId = account.body.id;
  demoId = await createCluster('demo');
  browser = await chromium.launch(LAUNCH);
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  watch(page);
  mkdirSync(DOCS, { recursive: true });
  await until(demoId, 'Running');
  image = (await api.call('GET', '/v1/images?cloud=local&region=sim-east-1')).body.items.find((i: any) => i.status === 'Available');
  expect(image).toBeTruthy();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

describe('node images in the console', { timeout: 120_000 }, () => {
  it('lists the baked image from the Images section with status, stage, pack, place, Kubernetes, roles and last use', async () => {
    await page.goto(`${api.runtime.url}/`);
    await page.getByLabel('API key').fill(api.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
    await section('Images').click();
    await page.getByRole('heading', { name: 'Images', level: 1 }).waitFor();
    expect(await section('Images').getAttribute('aria-current')).toBe('page');
    const row = page.locator(`tr[data-image="${image.id}"]`);
    await row.waitFor();
    expect(await page.getByRole('table', { name: 'Images' }).locator('thead th').allTextContents()).toEqual(['Image', 'Status', 'Stage', 'Pack', 'Cloud', 'Region', 'Cloud image id', 'Kubernetes', 'Roles', 'Last used']);
    const cells = (await row.locator('th, td').allTextContents()).map((t) => t.trim());
    expect(cells[0]).toBe(`${image.name}${image.id}`);
    expect(cells.slice(1, 9)).toEqual(['Available', 'Done', `ubuntu ${image.source.packVersion}`, 'local', 'sim-east-1', image.imageId, '1.31.10', image.contents.roles.join(', ') || '—']);
    expect(cells[9]).toMatch(/ ago$/);
    expect(await row.locator('.badge.good[data-status="Available"]').count()).toBe(1);
  });

  it('filters by cloud and region, kept in the URL', async () => {
    const row = page.locator(`tr[data-image="${image.id}"]`);
    await page.getByLabel('Cloud', { exact: true }).selectOption('aws');
    await page.getByText('No image matches the filter.').waitFor();
    expect(page.url()).toContain('cloud=aws');
    await page.getByLabel('Cloud', { exact: true }).selectOption('local');
    await row.waitFor();
    await page.getByLabel('Region').fill('sim-west-1');
    await page.getByLabel('Region').press('Enter');
    await page.getByText('No image matches the filter.').waitFor();
    expect(page.url()).toContain('region=sim-west-1');
    // A reload keeps the filter.
    await page.reload();
    await page.getByText('No image matches the filter.').waitFor();
    expect(await page.getByLabel('Region').inputValue()).toBe('sim-west-1');
    await page.getByLabel('Region').fill('sim-east-1');
    await page.getByLabel('Region').press('Enter');
    await row.waitFor();
  });

  it("shows a failed bake in red with the playbook's own words, in the list and on its page", async () => {
    let nobleId: string | undefined;
    const fatal = 'fatal: [localhost]: FAILED! => {"msg": "sshd_config missing"}';
    expect((await api.call('POST', '/local/faults', { body: { bake: 'fail', message: `TASK [security : apply CIS rules] ***\n${fatal}` } })).status).toBe(201);
    try {
      // Ubuntu 24.04: another signature, so another bake.
      const layers = ['pk-ubuntu-24-04', 'pk-kubernetes-1-31-10', 'pk-calico-3-29-3', 'pk-aws-ebs-csi-1-44-0'].map((packId) => ({ registryId: 'public', packId }));
      const profile = await api.call('POST', '/v1/profiles', { body: { name: 'noble', layers } });
      expect(profile.status, JSON.stringify(profile.body)).toBe(201);
      const noble = await api.call('POST', '/v1/clusters', { body: clusterBody(accountId, { name: 'noble', profileId: profile.body.id }) });
      expect(noble.status).toBe(201);
      nobleId = noble.body.id;
      const failed = await eventually(async () => (await api.call('GET', '/v1/images?pack=pk-ubuntu-24-04')).body.items.find((i: any) => i.status === 'Failed'), 'the Ubuntu 24.04 bake Failed', 60_000, 200);

      // The list refreshes by itself, the image baked before still there.
      const row = page.locator(`tr[data-image="${failed.id}"][data-status="Failed"]`);
      await row.waitFor({ timeout: 20_000 });
      expect(await row.locator('.badge.bad').textContent()).toBe('Failed');
      expect(await row.locator('.image-failure').textContent()).toBe(`${failed.failure.code}: ${fatal}`);
      expect(await row.locator('.image-failure').getAttribute('title')).toBe(failed.failure.message);
      await page.locator(`tr[data-image="${image.id}"][data-status="Available"]`).waitFor();
      await page.screenshot({ path: `${DOCS}console-images.png` });

      await row.getByRole('link').click();
      await page.getByRole('heading', { name: failed.name, level: 1 }).waitFor();
      const box = page.locator('.image-failure-box');
      expect(await box.locator('strong').textContent()).toBe(`Failed: ${failed.failure.code}`);
      expect(await box.locator('pre').textContent()).toBe(failed.failure.message);
      expect(await page.getByText(fatal).count()).toBe(1);
      await page.getByText('No cluster runs this image.').waitFor();
      await page.getByRole('link', { name: 'Images', exact: true }).last().click();
      await page.getByRole('heading', { name: 'Images', level: 1 }).waitFor();
    } finally {
      await api.call('DELETE', '/local/faults');
      if (nobleId) await api.call('DELETE', `/v1/clusters/${nobleId}`);
    }
  });

  it('opens the image: signature, contents, bake, the clusters that use it; Delete disabled with the reason', async () => {
    await page.locator(`tr[data-image="${image.id}"] a`).click();
    await page.waitForURL(`${api.runtime.url}/images/${image.id}`);
    await page.getByRole('heading', { name: image.name, level: 1 }).waitFor();
    expect(await page.locator('[data-signature]').textContent()).toBe(image.signature);
    await page.getByText('1.31.10', { exact: true }).waitFor();
    await page.getByText(image.imageId, { exact: true }).first().waitFor();
    const used = page.getByRole('table', { name: 'Clusters using the image' });
    await used.locator('tr[data-cluster="demo"] [data-phase="Running"]').waitFor();
    expect(await used.getByRole('link', { name: 'demo' }).getAttribute('href')).toBe(`/clusters/${demoId}`);
    if (image.customization) await page.locator(`.customization[data-succeeded="${image.customization.succeeded}"]`).waitFor();
    const del = page.getByRole('button', { name: 'Delete image' });
    expect(await del.isDisabled()).toBe(true);
    expect(await del.getAttribute('title')).toMatch(/^In use by 1 cluster \(demo\)/);
    await page.screenshot({ path: `${DOCS}console-image.png`, fullPage: true });
  });

  it("links the cluster's page to the image its nodes run, and back", async () => {
    await page.getByRole('table', { name: 'Clusters using the image' }).getByRole('link', { name: 'demo' }).click();
    await page.getByRole('heading', { name: 'demo', level: 1 }).waitFor();
    const link = page.locator(`a[data-image="${image.id}"]`);
    await link.waitFor();
    expect(await link.textContent()).toBe(image.name);
    await page.locator('#milestones .step[data-condition="ImageReady"].done').waitFor();
    await link.click();
    await page.getByRole('heading', { name: image.name, level: 1 }).waitFor();
  });

  it("shows the API's 409 when a cluster starts using the image while Delete is being confirmed", async () => {
    expect((await api.call('DELETE', `/v1/clusters/${demoId}`)).status).toBe(202);
    await until(demoId, 'Deleted');
    const del = page.getByRole('button', { name: 'Delete image' });
    await expect.poll(() => del.isDisabled(), { timeout: 20_000 }).toBe(false);
    await page.getByText('No cluster runs this image.').waitFor();
    await del.click();
    const dialog = page.getByRole('dialog', { name: `Delete image ${image.name}?` });
    await dialog.waitFor();
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel');
    // Meanwhile a new cluster takes the same image.
    const againId = await createCluster('again');
    await eventually(async () => ((await api.call('GET', `/v1/images/${image.id}`)).body.usedBy.some((c: any) => c.name === 'again') ? true : undefined), 'the image used by cluster again', 60_000, 100);
    provoked.push({ path: `/v1/images/${image.id}`, status: 409 });
    await dialog.getByRole('button', { name: 'Delete image' }).click();
    const alert = page.locator('.notice.error[role="alert"]');
    await alert.waitFor();
    const refusal = await api.call('DELETE', `/v1/images/${image.id}`);
    expect(refusal.status).toBe(409);
    expect(await alert.textContent()).toBe(refusal.body.message);
    expect(refusal.body.message).toContain('again');
    // The next refresh shows why.
    await expect.poll(() => del.getAttribute('title'), { timeout: 20_000 }).toMatch(/again/);
    await until(againId, 'Running');
    expect((await api.call('DELETE', `/v1/clusters/${againId}`)).status).toBe(202);
    await until(againId, 'Deleted');
  });

  it('deletes the image after confirmation once no cluster uses it', async () => {
    const del = page.getByRole('button', { name: 'Delete image' });
    await expect.poll(() => del.isDisabled(), { timeout: 20_000 }).toBe(false);
    await del.click();
    await page.getByRole('dialog', { name: `Delete image ${image.name}?` }).getByRole('button', { name: 'Delete image' }).click();
    await page.waitForURL(`${api.runtime.url}/images`);
    await page.getByRole('heading', { name: 'Images', level: 1 }).waitFor();
    await eventually(async () => {
      const r = await api.call('GET', `/v1/images/${image.id}`);
      return r.status === 404 || r.body.status === 'Deleting' ? true : undefined;
    }, 'the image gone or going');
  });

  it('logged no console error and no uncaught exception', () => {
    expect(problems).toEqual([]);
    expect(provoked).toEqual([]);
  });
});
