import { mkdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DOCS, LAUNCH, pageProblems } from './page-problems.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBody, eventually, startApi, type Api } from '../integration/harness.js';

/**
 * The web console end to end, in a real browser (Chromium, headless) against the local runtime:
 * sign in, add a cloud account, create a cluster through the form (a field error first), watch it
 * run, read its usage charts and a node, scale a pool after reading the plan, rotate the agent's
 * token, send its agent a ping and a cordon, download a kubeconfig, see a NotReady node turn the
 * cluster Unhealthy, delete it; and a viewer key without the buttons it may not use.
 * Every console error of the page fails the file, but for the 400 the field-error step provokes.
 */

let api: Api;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let clusterId: string;

const { problems, provoked, watch } = pageProblems();

async function signIn(p: Page, key: string): Promise<void> {
  await p.goto(`${api.runtime.url}/`);
  await p.getByLabel('API key').fill(key);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
}

/** A link of the header's section navigation. */
const section = (name: string) => page.getByRole('banner').getByRole('link', { name, exact: true });
const pool = (n: number) => page.locator('fieldset', { has: page.locator('legend', { hasText: `Pool ${n}` }) });
const healthBadge = () => page.locator('.title-badges [data-health]');

beforeAll(async () => {
  api = await startApi();
  browser = await chromium.launch(LAUNCH);
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  watch(page);
  mkdirSync(DOCS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

describe('the web console', { timeout: 120_000 }, () => {
  it('signs in with an API key kept in sessionStorage, never in the URL', async () => {
    await signIn(page, api.key);
    expect(page.url()).toBe(`${api.runtime.url}/clusters`);
    expect(await page.evaluate('sessionStorage.getItem("strata.apiKey")')).toBe(api.key);
    expect(await page.evaluate('sessionStorage.getItem("strata.role")')).toBe('admin');
    await expectVisible(section('API keys'));
  });

  it('adds a cloud account on the simulated cloud', async () => {
    await section('Cloud accounts').click();
    await page.getByLabel('Account name').fill('sim');
    await page.getByLabel('Type').selectOption('local');
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.locator('tr[data-account="sim"]').waitFor();
    // A second cluster, made through the API, so the list has more than the one the form makes.
    const account = (await api.call('GET', '/v1/cloudaccounts')).body.items.find((a: any) => a.name === 'sim');
    const [cp, workers] = clusterBody(account.id).nodePools;
    const staging = await api.call('POST', '/v1/clusters', { body: clusterBody(account.id, { name: 'staging', nodePools: [cp, { ...workers, count: 1 }] }) });
    expect(staging.status).toBe(201);
  });

  it("shows the API's field error at its field", async () => {
    await section('Clusters').click();
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.getByLabel('Cluster name').fill('demo');
    await page.getByLabel('Profile', { exact: true }).selectOption('pf-sample');
    await page.getByLabel('Region').fill('sim-east-1');
    await pool(1).getByLabel('Instance type').fill('sim.large');
    await pool(1).getByLabel('Zones').fill('sim-east-1a');
    await pool(2).getByLabel('Instance type').fill('sim.large');
    // A zone of another region: the API refuses it, naming nodePools[1].zones[1].
    await pool(2).getByLabel('Zones').fill('sim-east-1a, us-west-2b');
    provoked.push({ path: '/v1/clusters', status: 400 });
    await page.getByRole('button', { name: 'Create cluster' }).click();
    const zones = pool(2).getByLabel('Zones');
    await expect.poll(() => zones.getAttribute('aria-invalid')).toBe('true');
    const error = pool(2).locator('.field-error:not([hidden])');
    expect(await error.textContent()).toContain('us-west-2b: zones must be in region sim-east-1');
    // The error is the field's description, so a screen reader reads it with the field.
    expect(await zones.getAttribute('aria-describedby')).toContain(await error.getAttribute('id'));
    expect(await page.evaluate('document.activeElement.dataset.path')).toBe('nodePools[1].zones');
    expect(await pool(1).getByLabel('Zones').getAttribute('aria-invalid')).toBeNull();
  });

  it('creates a cluster through the form and watches it reach Running', async () => {
    await pool(2).getByLabel('Zones').fill('sim-east-1a, sim-east-1b');
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.waitForURL(/\/clusters\/cl-/);
    clusterId = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByRole('heading', { name: 'demo', level: 1 }).waitFor();
    await page.locator('.title-badges [data-phase="Running"]').waitFor({ timeout: 60_000 });
    // The milestones, in order, all done; the event stream shows it happening.
    const steps = page.locator('#milestones .step');
    expect(await steps.count()).toBeGreaterThan(3);
    await page.locator('#milestones .step[data-condition="Ready"].done').waitFor();
    await page.locator('#events li[data-reason="ClusterRunning"]').waitFor();
    await healthBadge().and(page.locator('[data-health="Healthy"]')).waitFor({ timeout: 30_000 });
  });

  it('lists the cluster with its phase, health, profile, nodes, cloud and region, filtered by name and health', async () => {
    expect((await api.call('PUT', '/v1/tenants/default/quotas', { body: { clusters: 10 } })).status).toBe(200);
    await section('Clusters').click();
    const row = page.locator('tr[data-cluster="demo"]');
    await row.locator('[data-health="Healthy"]').waitFor();
    // The tenant's quota, as an operator set it: demo and staging count.
    await page.locator('[data-quotas]').getByText('Quota: 2 of 10 clusters').waitFor();
    expect((await row.locator('td').allTextContents()).map((t) => t.trim())).toEqual(['Running', 'Healthy', 'ubuntu-k8s-calico · rev 1', '3', 'local', 'sim-east-1']);
    await page.locator('tr[data-cluster="staging"] [data-health="Healthy"]').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: `${DOCS}console-clusters.png` });
    await page.getByLabel('Health').selectOption('Unhealthy');
    await page.getByText('No cluster matches the filter.').waitFor();
    await page.getByLabel('Health').selectOption('Healthy');
    await page.getByLabel('Name contains').fill('dem');
    await page.locator('tr[data-cluster="staging"]').waitFor({ state: 'detached' });
    await row.waitFor();
    // The filter is in the URL: a reload or a shared link keeps it.
    expect(page.url()).toContain('name=dem');
  });

  it('draws the usage charts from the samples as they come', async () => {
    await page.locator('tr[data-cluster="demo"] a').click();
    await page.getByRole('heading', { name: 'demo', level: 1 }).waitFor();
    // Minutes pass on the runtime's clock; the agents report within each, making a sample a minute.
    for (let i = 0; i < 6; i++) {
      api.runtime.clock.advance(30_000);
      await new Promise((r) => setTimeout(r, 400));
    }
    const cores = page.locator('#usage figure.chart', { hasText: 'Cores used' });
    // Charts read again on their own every 30 s (samples are a minute apart), and at once when the window is chosen.
    await page.getByRole('button', { name: '1h', exact: true }).click();
    await expect.poll(async () => Number(await cores.getAttribute('data-points')), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    expect(await cores.locator('canvas').count()).toBeGreaterThan(0);
    expect(await cores.locator('.chart-summary').textContent()).toMatch(/^\d+ samples; latest: Cores used \d/);
    const usage = page.locator('#usage figure.chart', { hasText: 'CPU and memory usage' });
    expect(Number(await usage.getAttribute('data-points'))).toBeGreaterThanOrEqual(3);
    // Another window asks the API again.
    await page.getByRole('button', { name: '24h', exact: true }).click();
    await expect.poll(() => page.getByRole('button', { name: '24h', exact: true }).getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: '1h', exact: true }).click();
    await page.locator('#services table, #services .empty').first().waitFor();
    await page.screenshot({ path: `${DOCS}console-overview.png`, fullPage: true });
  });

  it('opens a node with its conditions, facts and own charts', async () => {
    await page.locator('#nodes tr[data-node="demo-workers-0"] a').click();
    await page.getByRole('heading', { name: 'demo-workers-0', level: 1 }).waitFor();
    const conditions = page.getByRole('table', { name: 'Node conditions' });
    await conditions.waitFor();
    expect(await conditions.locator('tbody th').first().textContent()).toBeTruthy();
    await page.getByText('Kubelet', { exact: true }).waitFor();
    const cores = page.locator('figure.chart', { hasText: 'Cores used' });
    await expect.poll(async () => Number(await cores.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
    await page.getByRole('link', { name: 'Cluster', exact: true }).click();
  });

  it('scales a pool after showing the planned steps and asking for confirmation', async () => {
    await page.getByRole('button', { name: 'Scale pool workers' }).click();
    const dialog = page.getByRole('dialog', { name: 'Scale pool workers' });
    await dialog.getByLabel('Nodes').fill('3');
    await dialog.getByRole('button', { name: 'Preview change' }).click();
    await dialog.getByText('Nothing has changed yet.').waitFor();
    expect(await dialog.locator('li[data-step]').allTextContents()).toEqual([expect.stringContaining('Launch demo-workers-2'), expect.stringContaining('Wait for Ready demo-workers-2')]);
    // The preview wrote nothing.
    expect((await api.call('GET', `/v1/clusters/${clusterId}`)).body.nodePools[1].count).toBe(2);
    await dialog.getByRole('button', { name: 'Apply change' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('#plan li[data-step="waitReady:workers:2"][data-status="done"]').waitFor({ timeout: 60_000 });
    await page.locator('#nodes tr[data-node="demo-workers-2"]').waitFor();
  });

  it("rotates the agent's token, then sends the agent a ping and a cordon and sees them Succeeded", async () => {
    await page.getByRole('button', { name: 'Rotate agent token' }).click();
    await page.getByRole('dialog', { name: 'Rotate the agent token of demo?' }).getByRole('button', { name: 'Rotate token' }).click();
    await page.getByText(/^Agent token rotated: the agent receives token 2 with its next heartbeat/).waitFor();

    const commands = page.locator('#commands');
    await commands.getByLabel('Command', { exact: true }).selectOption('ping');
    // A ping takes no node.
    expect(await commands.getByLabel('Node').isVisible()).toBe(false);
    await commands.getByRole('button', { name: 'Send command' }).click();
    const ping = commands.locator('tr[data-kind="ping"]').first();
    await ping.locator('[data-status="Succeeded"]').waitFor({ timeout: 20_000 });
    expect(await ping.locator('.command-outcome').textContent()).toMatch(/^Agent version \S+\.$/);

    await commands.getByLabel('Command', { exact: true }).selectOption('cordon');
    await commands.getByLabel('Node').selectOption('demo-workers-0');
    await commands.getByRole('button', { name: 'Send command' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cordon demo-workers-0?' });
    await dialog.getByRole('button', { name: 'Cordon node' }).click();
    const cordon = commands.locator('tr[data-kind="cordon"]').first();
    await cordon.locator('[data-status="Succeeded"]').waitFor({ timeout: 20_000 });
    expect(await cordon.locator('.command-outcome').textContent()).toBe('demo-workers-0 cordoned.');
    await page.locator('#nodes tr[data-node="demo-workers-0"]').getByText('cordoned').waitFor();
    // Newest first (the platform's own commands of the scale-up before them).
    expect((await commands.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')))).slice(0, 2)).toEqual(['cordon', 'ping']);
  });

  it('downloads an admin kubeconfig as a file, saying when it expires and whom it acts as, keeping no copy', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download kubeconfig' }).click()]);
    expect(download.suggestedFilename()).toBe('demo-kubeconfig.yaml');
    expect(readFileSync((await download.path())!, 'utf8')).toMatch(/^apiVersion: v1\n/);
    await page.getByText(/^Downloaded demo-kubeconfig\.yaml\. It acts as Kubernetes user strata:\S+ and stops working at .+ UTC \(in [^)]+\)\. The console keeps no copy\.$/).waitFor();
    await page.locator('#events li[data-reason="KubeconfigIssued"]').waitFor();
    // Only the session's key and role are stored.
    expect(await page.evaluate('[Object.keys(sessionStorage).sort(), localStorage.length]')).toEqual([['strata.apiKey', 'strata.role'], 0]);
  });

  it('turns the health badge Unhealthy when a node goes NotReady, naming the node', async () => {
    const fault = await api.call('POST', '/local/faults', { body: { node: 'demo-workers-1', condition: 'Ready', status: 'False' } });
    expect(fault.status).toBe(201);
    await healthBadge().and(page.locator('[data-health="Unhealthy"]')).waitFor({ timeout: 30_000 });
    expect(await page.locator('#health .reasons').textContent()).toContain('demo-workers-1: Ready is False');
    await page.locator('#nodes tr[data-node="demo-workers-1"]').getByText('NotReady').waitFor();
  });

  it('shows a viewer no create, scale, delete, command, token or kubeconfig buttons', async () => {
    const viewer = await api.call('POST', '/v1/apikeys', { body: { name: 'reader', role: 'viewer' } });
    const other = await browser.newContext();
    const p = await other.newPage();
    watch(p);
    try {
      // GET /v1/apikeys answers admins only: its 403 is how the console learns the key's role.
      provoked.push({ path: '/v1/apikeys', status: 403 });
      await signIn(p, viewer.body.key);
      expect(await p.evaluate('sessionStorage.getItem("strata.role")')).toBe('viewer');
      await p.getByRole('table', { name: 'Clusters' }).or(p.getByText('No clusters yet.')).waitFor();
      expect(await p.getByRole('button', { name: 'Create cluster' }).count()).toBe(0);
      expect(await p.getByRole('link', { name: 'API keys' }).count()).toBe(0);
      await p.goto(`${api.runtime.url}/clusters/${clusterId}`);
      await p.getByRole('heading', { name: 'demo', level: 1 }).waitFor();
      await p.getByRole('table', { name: 'Node pools' }).waitFor();
      await p.locator('#nodes table').waitFor();
      await p.locator('#commands tr[data-kind="ping"]').waitFor();
      expect(await p.getByRole('button', { name: /Delete|Scale|Send|Rotate|kubeconfig/ }).count()).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('deletes the cluster after confirmation', async () => {
    await page.getByRole('button', { name: 'Delete cluster' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete cluster demo?' });
    // Cancel has the focus: Enter does no harm.
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Delete cluster' }).click();
    await page.waitForURL(`${api.runtime.url}/clusters`);
    await eventually(async () => ((await api.call('GET', `/v1/clusters/${clusterId}`)).body.phase === 'Deleted' ? true : undefined), 'cluster Deleted', 60_000);
    await page.locator('tr[data-cluster="demo"]').waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('lists the audit log with the cluster made and deleted, filters it by outcome in the URL, and exports it', async () => {
    await section('Audit').click();
    await page.getByRole('heading', { name: 'Audit', level: 1 }).waitFor();
    const ofCluster = page.locator('table.audit tbody tr', { has: page.locator(`a[href="/clusters/${clusterId}"]`) });
    await ofCluster.first().waitFor();
    // Newest first: the delete, the changes in between, the create the form made.
    const actions = await ofCluster.evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-action')} ${r.getAttribute('data-outcome')}`));
    expect([actions[0], actions.at(-1)]).toEqual(['DELETE /v1/clusters/{id} success', 'POST /v1/clusters success']);
    expect(actions).toContain('GET /v1/clusters/{id}/kubeconfig success');

    await page.getByLabel('Outcome').selectOption('refused');
    await ofCluster.first().waitFor({ state: 'detached' });
    // The create the API refused for its zone.
    await page.locator('table.audit tr[data-action="POST /v1/clusters"][data-outcome="refused"]').getByText('us-west-2b').waitFor();
    expect(await page.locator('table.audit tbody tr:not([data-outcome="refused"])').count()).toBe(0);
    expect(page.url()).toContain('outcome=refused');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON lines' }).click()]);
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(await page.locator('table.audit tbody tr').count());
    expect(lines.every((e) => e.outcome === 'refused')).toBe(true);
  });

  it("removes and sets again the tenant's sign-in through its identity provider on the Sign-in page, a field error first", async () => {
    await section('Sign-in').click();
    await page.getByRole('heading', { name: 'Sign-in', level: 1 }).waitFor();
    // The local runtime's own provider, as it set it for tenant default.
    expect(await page.locator('[data-sso="issuer"]').textContent()).toBe(api.runtime.oidcIssuer);
    await page.getByRole('button', { name: 'Remove sign-in' }).click();
    await page.getByRole('dialog', { name: `Remove sign-in through ${api.runtime.oidcIssuer}?` }).getByRole('button', { name: 'Remove sign-in' }).click();
    await page.getByText('Not configured: the people of this tenant sign in with API keys only.').waitFor();
    expect((await api.call('GET', '/v1/sso')).status).toBe(404);

    await page.getByLabel('Group 1', { exact: true }).fill('platform-admins');
    await page.getByLabel('Role of group 1').selectOption('admin');
    await page.getByRole('button', { name: 'Add group' }).click();
    await page.getByLabel('Group 2', { exact: true }).fill('app-developers');
    await page.getByLabel('Role of group 2').selectOption('editor');
    await page.getByLabel('Client id').fill('strata');
    // The built-in provider releases groups under their own scope, and refresh tokens with offline_access.
    expect(await page.getByLabel('Scopes').inputValue()).toBe('openid profile email');
    await page.getByLabel('Scopes').fill('openid profile email groups offline_access');
    // Plain http only on loopback: the API refuses it, naming the issuer.
    await page.getByLabel('Issuer').fill('http://login.example.com');
    provoked.push({ path: '/v1/sso', status: 400 });
    await page.getByRole('button', { name: 'Save sign-in' }).click();
    const issuer = page.getByLabel('Issuer');
    await expect.poll(() => issuer.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field-error:not([hidden])').textContent()).toContain('an https URL');
    await issuer.fill(api.runtime.oidcIssuer);
    await page.getByRole('button', { name: 'Save sign-in' }).click();
    await page.getByText(`Saved. People of tenant default sign in through ${api.runtime.oidcIssuer}.`).waitFor();
    expect(await issuer.getAttribute('aria-invalid')).toBeNull();
  });

  it("signs a person in through the tenant's identity provider and back, refreshes their token, names them in the frame and the audit log", async () => {
    const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await other.newPage();
    watch(p);
    const nav = (name: string) => p.getByRole('banner').getByRole('link', { name, exact: true });
    const ssoSession = () => p.evaluate(() => JSON.parse(sessionStorage.getItem('strata.sso') ?? 'null'));
    /** The session as if its ID token expired within the minute. */
    const expireSoon = (refreshToken?: string) =>
      p.evaluate(
        ([at, token]) => {
          const s = JSON.parse(sessionStorage.getItem('strata.sso')!);
          sessionStorage.setItem('strata.sso', JSON.stringify({ ...s, sso: { ...s.sso, expiresAt: at, refreshToken: token ?? s.sso.refreshToken } }));
        },
        [new Date(Date.now() + 30_000).toISOString(), refreshToken] as const,
      );
    try {
      await p.goto(`${api.runtime.url}/`);
      provoked.push({ path: '/v1/signin/nobody', status: 404 });
      await p.getByLabel('Tenant').fill('nobody');
      await p.getByRole('button', { name: 'Continue to your identity provider' }).click();
      await p.getByText('Tenant nobody has no sign-in through an identity provider; use an API key.').waitFor();
      await p.getByLabel('Tenant').fill('default');
      await p.getByRole('button', { name: 'Continue to your identity provider' }).click();
      // The local provider's own sign-in form: a top-level navigation away from the console and back.
      await p.waitForURL((url) => url.href.startsWith(`${api.runtime.oidcIssuer}/`));
      await p.getByLabel('Username').fill('alice');
      await p.getByLabel('Password').fill('alice-local');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.waitForURL(`${api.runtime.url}/clusters`);
      await p.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
      await p.getByRole('banner').getByText('Signed in as alice@example.com · admin').waitFor();
      // The code and state are gone from the address, the PKCE verifier from the tab; the tenant name is remembered.
      expect(await p.evaluate('[Object.keys(sessionStorage).sort(), localStorage.getItem("strata.tenant")]')).toEqual([['strata.sso'], 'default']);

      await nav('Sign-in').click();
      await p.getByRole('heading', { name: 'Sign-in', level: 1 }).waitFor();
      expect(await p.locator('[data-sso="issuer"]').textContent()).toBe(api.runtime.oidcIssuer);
      expect(await p.getByRole('table', { name: 'Roles by group' }).locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.textContent))).toEqual(['platform-adminsadmin', 'app-developerseditor']);

      // Within a minute of expiry, the next call gets a fresh ID token first.
      await expireSoon();
      const refreshed = p.waitForResponse((r) => new URL(r.url()).pathname === '/v1/signin/default/token');
      await nav('Audit').click();
      expect((await refreshed).status()).toBe(200);
      await expect.poll(async () => Date.parse((await ssoSession()).sso.expiresAt)).toBeGreaterThan(Date.now() + 10 * 60_000);
      // The audit log names the person by their e-mail address.
      await p.locator('table.audit tr[data-action="POST /v1/signin/{tenant}/token"] [data-actor-type="user"]').getByText('alice@example.com').first().waitFor();

      // Signing out ends the provider's session too (RP-Initiated Logout), then comes back to the console.
      await p.getByRole('button', { name: 'Sign out' }).click();
      await p.waitForURL((url) => url.href.startsWith(`${api.runtime.oidcIssuer}/`));
      await p.getByRole('button', { name: 'Sign out' }).click();
      await p.getByRole('heading', { name: 'Sign in to Strata' }).waitFor();
      expect(p.url()).toBe(`${api.runtime.url}/`);
      expect(await p.evaluate('Object.keys(sessionStorage)')).toEqual([]);
      // Signed out at the provider as well: the remembered tenant leads to its sign-in form again.
      expect(await p.getByLabel('Tenant').inputValue()).toBe('default');
      await p.getByRole('button', { name: 'Continue to your identity provider' }).click();
      await p.getByLabel('Username').fill('alice');
      await p.getByLabel('Password').fill('alice-local');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('banner').getByText('Signed in as alice@example.com · admin').waitFor();

      // A refresh the provider refuses ends the session, saying why.
      await expireSoon('spent-refresh-token');
      provoked.push({ path: '/v1/signin/default/token', status: 400 });
      // The page's next call refreshes first: a poll of the page may come before the click does.
      await nav('Clusters')
        .click({ timeout: 5_000 })
        .catch(() => undefined);
      await p.getByText('Your sign-in expired: sign in again.').waitFor();
      expect(await p.evaluate('Object.keys(sessionStorage)')).toEqual([]);

      // An answer for a sign-in this tab did not start is refused, and leaves the address.
      await p.goto(`${api.runtime.url}/?code=stolen&state=forged`);
      await p.getByText(/is not for a sign-in started in this tab/).waitFor();
      expect(p.url()).toBe(`${api.runtime.url}/`);
    } finally {
      await other.close();
    }
  });

  it('logged no console error and no uncaught exception', () => {
    expect(problems).toEqual([]);
    expect(provoked).toEqual([]);
  });
});

async function expectVisible(locator: ReturnType<Page['getByRole']>): Promise<void> {
  await locator.waitFor();
  expect(await locator.isVisible()).toBe(true);
}
