import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, startApi, type Api } from '../integration/harness.js';
import { DOCS, LAUNCH, pageProblems, signedInPage } from './page-problems.js';

/**
 * Projects in the web console: a tenant-wide admin makes a project on the Projects page, puts a
 * cloud account in it through the form and sees it in the lists' Project column; a key limited to
 * that project sees its project's and the shared resources only, and none of the tenant-wide pages.
 */

let api: Api;
let browser: Browser;
let page: Page;

const { problems, provoked, watch } = pageProblems();

const section = (p: Page, name: string) => p.getByRole('banner').getByRole('link', { name, exact: true });

/** A cluster through the API, made by the tenant-wide key. */
async function createCluster(body: Record<string, unknown>): Promise<void> {
  const res = await api.call('POST', '/v1/clusters', { body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

beforeAll(async () => {
  api = await startApi();
  browser = await chromium.launch(LAUNCH);
  page = await signedInPage(browser, api.key, watch);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

describe('projects in the web console', { timeout: 60_000 }, () => {
  it('creates a project on the Projects page, a field error first', async () => {
    await page.goto(`${api.runtime.url}/projects`);
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
    // Every tenant starts with project default.
    await page.locator('tr[data-project="default"]').waitFor();
    provoked.push({ path: '/v1/projects', status: 400 });
    await page.getByLabel('Project name').fill('Payments');
    await page.getByRole('button', { name: 'Create project' }).click();
    const name = page.getByLabel('Project name');
    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field-error:not([hidden])').textContent()).toContain('lower-case letters');
    await name.fill('payments');
    await page.getByLabel('Description (optional)').fill('The payments team');
    await page.getByRole('button', { name: 'Create project' }).click();
    const row = page.locator('tr[data-project="payments"]');
    await row.waitFor();
    expect((await row.locator('td').allTextContents()).slice(0, 2)).toEqual(['The payments team', '0']);
  });

  it('adds a cloud account in the project through the form and shows its project in the list', async () => {
    await section(page, 'Cloud accounts').click();
    await page.getByLabel('Account name').fill('pay-sim');
    await page.getByLabel('Type').selectOption('local');
    const project = page.getByLabel('Project', { exact: true });
    // A tenant-wide caller makes shared accounts unless it names a project.
    await expect.poll(() => project.inputValue()).toBe('');
    expect(await project.locator('option').allTextContents()).toEqual(['Shared (whole tenant)', 'default', 'payments']);
    await project.selectOption('payments');
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.locator('tr[data-account="pay-sim"] [data-project="payments"]').waitFor();
    expect((await api.call('GET', '/v1/projects/payments')).body.memberCount).toBe(1);

    // A shared account and one of project default, made through the API, with a cluster each.
    const [shared, other, sample] = await Promise.all([
      api.call('POST', '/v1/cloudaccounts', { body: { name: 'shared-sim', spec: { type: 'local' } } }),
      api.call('POST', '/v1/cloudaccounts', { body: { name: 'default-sim', projectId: 'default', spec: { type: 'local' } } }),
      api.call('GET', '/v1/profiles/pf-sample'),
    ]);
    expect([shared.status, other.status]).toEqual([201, 201]);
    await page.reload();
    await page.locator('tr[data-account="shared-sim"] [data-project=""]').getByText('shared').waitFor();
    await page.locator('tr[data-account="default-sim"] [data-project="default"]').waitFor();

    // The sample profile was made before projects: it is project default's. Project payments gets its own copy.
    const layers = sample.body.layers.map((l: { registryId: string; packId: string; values: string }) => ({ registryId: l.registryId, packId: l.packId, values: l.values }));
    const payProfile = await api.call('POST', '/v1/profiles', { body: { name: 'pay-profile', projectId: 'payments', layers } });
    expect(payProfile.status, JSON.stringify(payProfile.body)).toBe(201);
    const payAccount = (await api.call('GET', '/v1/cloudaccounts')).body.items.find((a: { name: string }) => a.name === 'pay-sim').id;
    await Promise.all([
      createCluster(clusterBody(payAccount, { name: 'pay-cluster', projectId: 'payments', profileId: payProfile.body.id })),
      createCluster(clusterBody(other.body.id, { name: 'default-cluster', projectId: 'default' })),
    ]);
  });

  it("refuses to delete a project that still holds things, with the API's reason", async () => {
    await section(page, 'Projects').click();
    const row = page.locator('tr[data-project="payments"]');
    // The account, the profile and the cluster.
    await row.locator('td.num').getByText('3', { exact: true }).waitFor();
    await page.screenshot({ path: `${DOCS}console-projects.png`, fullPage: true });
    provoked.push({ path: '/v1/projects/payments', status: 409 });
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete project payments?' }).getByRole('button', { name: 'Delete project' }).click();
    await page.locator('.error-slot [role="alert"]').getByText(/^project payments still holds 3 members \(clusters, profiles, cloud accounts/).waitFor();
    expect((await api.call('GET', '/v1/projects/payments')).status).toBe(200);
  });

  it('maps a group to a role in a project on the Sign-in page', async () => {
    await section(page, 'Sign-in').click();
    await page.getByRole('heading', { name: 'Sign-in', level: 1 }).waitFor();
    await page.locator('[data-sso="issuer"]').waitFor();
    await page.getByRole('button', { name: 'Add group' }).click();
    const n = await page.locator('.group-role').count();
    await page.getByLabel(`Group ${n}`, { exact: true }).fill('payments-devs');
    await page.getByLabel(`Role of group ${n}`).selectOption('editor');
    await page.getByLabel(`Project of group ${n}`).selectOption('payments');
    await page.getByRole('button', { name: 'Save sign-in' }).click();
    await page.locator('tr[data-group="payments-devs"]').getByText('editor in project payments').waitFor();
    const saved = (await api.call('GET', '/v1/sso')).body.groupRoles;
    expect(saved).toContainEqual({ group: 'payments-devs', role: 'editor', project: 'payments' });
  });

  it('shows the audit log with the project of each entry, filtered by project', async () => {
    await section(page, 'Audit').click();
    await page.getByLabel('Project', { exact: true }).selectOption('payments');
    const rows = page.locator('table.audit[data-state="ready"] tbody tr');
    await rows.first().waitFor();
    expect(page.url()).toContain('project=payments');
    expect(new Set(await rows.locator('[data-project]').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-project'))))).toEqual(new Set(['payments']));
    expect(await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-action')))).toContain('POST /v1/cloudaccounts');
  });

  it("shows a key limited to a project that project's and shared resources only, and no tenant-wide pages", async () => {
    const key = await api.call('POST', '/v1/apikeys', { body: { name: 'pay-editor', role: 'editor', projectId: 'payments' } });
    expect(key.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await context.newPage();
    watch(p);
    try {
      await p.goto(`${api.runtime.url}/`);
      await p.getByLabel('API key').fill(key.body.key);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('banner').getByText('API key · payments: editor').waitFor();
      expect(await p.evaluate(() => [sessionStorage.getItem('strata.role'), JSON.parse(sessionStorage.getItem('strata.projects') ?? 'null')])).toEqual(['editor', { payments: 'editor' }]);
      for (const name of ['API keys', 'Sign-in', 'Audit']) expect(await section(p, name).count(), name).toBe(0);

      await p.locator('tr[data-cluster="pay-cluster"] [data-project="payments"]').waitFor();
      expect(await p.locator('tr[data-cluster]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-cluster')))).toEqual(['pay-cluster']);

      await section(p, 'Cloud accounts').click();
      await p.locator('tr[data-account="pay-sim"]').waitFor();
      expect((await p.locator('tr[data-account]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-account')))).sort()).toEqual(['pay-sim', 'shared-sim']);
      // Its new accounts go into its project: there is no shared choice.
      const project = p.getByLabel('Project', { exact: true });
      await expect.poll(() => project.inputValue()).toBe('payments');
      expect(await project.locator('option').allTextContents()).toEqual(['payments']);
      // The shared account is the tenant-wide roles' to change.
      expect(await p.locator('tr[data-account="shared-sim"] button').count()).toBe(0);
      expect(await p.locator('tr[data-account="pay-sim"]').getByRole('button', { name: 'Delete' }).count()).toBe(1);

      await section(p, 'Projects').click();
      await p.locator('tr[data-project="payments"] [data-role="editor"]').waitFor();
      expect(await p.locator('tr[data-project]').count()).toBe(1);
      expect(await p.getByRole('button', { name: /Create project|Delete/ }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('logged no console error and no uncaught exception', () => {
    expect(problems).toEqual([]);
    expect(provoked).toEqual([]);
  });
});
