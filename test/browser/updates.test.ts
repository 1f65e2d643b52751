import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, eventually, startApi, type Api } from '../integration/harness.js';
import { DOCS, LAUNCH, pageProblems, signedInPage } from './page-problems.js';

/**
 * A profile update in the console (Chromium, headless, local runtime): a cluster behind its
 * profile carries the badge in the list; its review page shows the value its override conflicts
 * on, side by side; Apply waits for a resolution, and applying moves the cluster to the new
 * revision, recorded in its history.
 */

let api: Api;
let browser: Browser;
let page: Page;
let clusterId: string;

const { problems, provoked, watch } = pageProblems();

beforeAll(async () => {
  api = await startApi();
  const account = await api.call('POST', '/v1/cloudaccounts', { body: { name: 'sim', spec: { type: 'local' } } });
  const sample = (await api.call('GET', '/v1/profiles/pf-sample')).body;
  const layers = (calico: string) => sample.layers.map((l: any) => ({ registryId: l.registryId, packId: l.packId, ...(l.name === 'calico' ? { values: calico } : {}) }));
  const profile = await api.call('POST', '/v1/profiles', { body: { name: 'edge', layers: layers('calicoNetwork:\n  mtu: 1440\n') } });
  expect(profile.status, JSON.stringify(profile.body)).toBe(201);
  const made = await api.call('POST', '/v1/clusters', { body: clusterBody(account.body.id, { profileId: profile.body.id, overrides: { calico: 'calicoNetwork:\n  mtu: 1300\n' } }) });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  clusterId = made.body.id;
  await eventually(async () => ((await api.call('GET', `/v1/clusters/${clusterId}`)).body.phase === 'Running' ? true : undefined), 'demo Running', 40_000, 100);
  const revised = await api.call('PUT', `/v1/profiles/${profile.body.id}`, { body: { version: profile.body.version, layers: layers('calicoNetwork:\n  mtu: 1400\n') } });
  expect(revised.status, JSON.stringify(revised.body)).toBe(200);

  browser = await chromium.launch(LAUNCH);
  page = await signedInPage(browser, api.key, watch);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

describe('profile updates in the console', { timeout: 90_000 }, () => {
  it('badges the cluster behind, shows the conflict, applies once it is resolved, and the cluster moves to the new revision', async () => {
    await page.goto(`${api.runtime.url}/clusters`);
    const badge = page.locator('tr[data-cluster="demo"] [data-update="2"]');
    await badge.waitFor();
    expect(await badge.textContent()).toBe('Update: rev 2 (1 behind)');

    // The cluster's page leads to the review, and to each pack's values.
    await page.locator('tr[data-cluster="demo"] th a').click();
    await page.locator('#values tr[data-pack="calico"]').getByText('overridden').waitFor();
    await page.locator('.update-banner').getByText('Revision 2 of profile edge is available (1 behind, 1 conflict(s)', { exact: false }).waitFor();
    await page.locator('#values tr[data-pack="calico"] a').click();
    await page.getByRole('heading', { name: 'Values of calico', level: 1 }).waitFor();
    expect(await page.locator('table.differences tr[data-path="calicoNetwork.mtu"] td').allTextContents()).toEqual(['1440', '1300']);
    await page.goBack();
    await page.locator('.update-banner').getByRole('link', { name: 'Review the update' }).click();
    await page.waitForURL(`${api.runtime.url}/clusters/${clusterId}/updates`);
    await page.getByRole('heading', { name: 'Profile update of demo', level: 1 }).waitFor();
    const conflict = page.locator('[data-pack="calico"] .value-update[data-path="calicoNetwork.mtu"][data-merge="conflict"]');
    await conflict.waitFor();
    // Profile before | profile after | this cluster.
    expect(await conflict.locator('.three-way pre').allTextContents()).toEqual(['1440', '1400', '1300']);
    const apply = page.getByRole('button', { name: 'Apply revision 2' });
    expect(await apply.isDisabled()).toBe(true);
    await page.getByText('1 conflict to resolve before applying.').waitFor();

    await conflict.getByLabel("Take the profile's value").check();
    expect(await apply.isEnabled()).toBe(true);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('.update-preview').getByText('Nothing has changed yet.', { exact: false }).waitFor();
    expect((await api.call('GET', `/v1/clusters/${clusterId}`)).body.profileRevision).toBe(1);
    await page.screenshot({ path: `${DOCS}console-updates.png`, fullPage: true });

    await apply.click();
    await page.getByText(/^demo moved from revision 1 to 2 \(generation \d+\)\. Follow its plan\.$/).waitFor();
    const after = (await api.call('GET', `/v1/clusters/${clusterId}`)).body;
    expect(after.profileRevision).toBe(2);
    expect(after.overrides.calico ?? '').not.toContain('1300');
    await page.getByText('Up to date: nothing to apply.').waitFor();
    await page.locator('table.history tr[data-revision="2"]').getByText('apply').waitFor();

    // The list drops the badge.
    await page.getByRole('link', { name: 'Clusters', exact: true }).first().click();
    await page.locator('tr[data-cluster="demo"]').waitFor();
    expect(await page.locator('tr[data-cluster="demo"] [data-update]').count()).toBe(0);
  });

  it('rolls back to the earlier revision from the history after a dry run and a confirmation; the profile shows the cluster behind', async () => {
    await page.goto(`${api.runtime.url}/clusters/${clusterId}/updates`);
    await page.getByRole('link', { name: 'Roll back to revision 1' }).click();
    await page.getByRole('heading', { name: 'Roll demo back to revision 1', level: 1 }).waitFor();
    const choice = page.locator('fieldset.resolution');
    if (await choice.count()) await choice.getByLabel("Take the profile's value").check();
    await page.getByRole('button', { name: 'Roll back to revision 1' }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll demo back to revision 1?' });
    // The dry run came first: its plan is on the page behind the dialog, nothing changed yet.
    await page.locator('.update-preview').waitFor();
    expect((await api.call('GET', `/v1/clusters/${clusterId}`)).body.profileRevision).toBe(2);
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await page.getByText(/^demo moved from revision 2 to 1/).waitFor();
    expect((await api.call('GET', `/v1/clusters/${clusterId}`)).body.profileRevision).toBe(1);
    await page.locator('table.history tr[data-revision="1"]').getByText('rollback').waitFor();

    await page.getByRole('link', { name: 'edge' }).click();
    const row = page.locator('table.profile-clusters tr[data-cluster="demo"]');
    await row.waitFor();
    expect((await row.locator('td').allTextContents()).slice(1)).toEqual(['1', 'Update: rev 2 (1 behind)']);
  });

  it('logged no console error and no uncaught exception', () => {
    expect(problems).toEqual([]);
    expect(provoked).toEqual([]);
  });
});
