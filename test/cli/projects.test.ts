import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../../cli/build.js';
import { clusterBody, eventually, startApi, type Api } from '../integration/harness.js';
import { signInThroughLocalIdp } from '../support/sso.js';
import { BIN, runStrata, type Run } from './run-strata.js';

/**
 * Projects from the terminal, against a local runtime of this file: a project made, keys limited
 * to it that see its project's and the shared resources only and make new ones in it, the PROJECT
 * and ROLE columns, what belongs to a project, the audit log of one project, a non-empty project
 * the API refuses to delete, a person whose group maps to a project role told so at sign-in.
 */
let api: Api;
let dir: string;
let editorKey: string;
let adminKey: string;

const envFor = (key: string | undefined): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: join(dir, 'config'), NO_COLOR: '1', STRATA_API_URL: api.runtime.url };
  if (key === undefined) delete env.STRATA_API_KEY;
  else env.STRATA_API_KEY = key;
  return env;
};
/** As the tenant's operator key (tenant-wide admin). */
const strata = (...args: string[]): Promise<Run> => runStrata(args, envFor(api.key));
/** As the editor key limited to project team-a. */
const asEditor = (...args: string[]): Promise<Run> => runStrata(args, envFor(editorKey));
/** As the admin key limited to project team-a. */
const asProjectAdmin = (...args: string[]): Promise<Run> => runStrata(args, envFor(adminKey));
const jsonOf = (run: Run) => {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
};
const created = async (path: string, body: unknown) => {
  const res = await api.call('POST', path, { body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-projects-'));
  [api] = await Promise.all([startApi(), bundleCli()]);

  const project = await strata('create', 'project', 'team-a', '--description', 'the A team');
  expect(project.code, project.stderr).toBe(0);
  expect(project.stdout).toBe('project/team-a created (team-a)\n');
  const [editor, admin] = await Promise.all(['editor', 'admin'].map(async (role) => jsonOf(await strata('create', 'apikey', `a-${role}`, '--role', role, '--project', 'team-a', '-o', 'json'))));
  expect(editor).toMatchObject({ role: 'editor', projectId: 'team-a' });
  expect(admin).toMatchObject({ role: 'admin', projectId: 'team-a' });
  editorKey = editor.key;
  adminKey = admin.key;

  // team-a's and the default project's, on a cloud account shared by both.
  const shared = await created('/v1/cloudaccounts', { name: 'sim', spec: { type: 'local' } });
  const { layers } = (await api.call('GET', '/v1/profiles/pf-sample')).body;
  const layerRefs = layers.map((l: { registryId: string; packId: string }) => ({ registryId: l.registryId, packId: l.packId }));
  const [aWeb, bWeb] = await Promise.all([
    created('/v1/profiles', { name: 'a-web', projectId: 'team-a', layers: layerRefs }),
    created('/v1/profiles', { name: 'b-web', projectId: 'default', layers: layerRefs }),
  ]);
  await Promise.all([
    created('/v1/clusters', clusterBody(shared.id, { name: 'a-demo', projectId: 'team-a', profileId: aWeb.id })),
    created('/v1/clusters', clusterBody(shared.id, { name: 'b-demo', projectId: 'default', profileId: bWeb.id })),
  ]);
}, 60_000);

afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('strata and projects', { timeout: 30_000 }, () => {
  it("a key limited to a project lists its project's and the shared resources only, with their PROJECT", async () => {
    const clusters = jsonOf(await asEditor('get', 'clusters', '-o', 'json'));
    expect(clusters.map((c: { name: string }) => c.name)).toEqual(['a-demo']);
    const profiles: { name: string; projectId?: string }[] = jsonOf(await asEditor('get', 'profiles', '-o', 'json'));
    expect(profiles.map((p) => p.name)).toContain('a-web');
    expect(profiles.map((p) => p.name)).not.toContain('b-web');
    expect(profiles.every((p) => p.projectId === undefined || p.projectId === 'team-a')).toBe(true);

    const table = await asEditor('get', 'clusters');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/\sPROJECT\s+AGE$/);
    expect(table.stdout).toMatch(/^a-demo\s.*\steam-a\s+\d+s$/m);

    // The tenant's admin sees every project's, and --project narrows the list to one.
    const narrowed = jsonOf(await strata('get', 'clusters', '--project', 'team-a', '-o', 'json'));
    expect(narrowed.map((c: { name: string }) => c.name)).toEqual(['a-demo']);
  });

  it("what a project's key makes lands in its project, beside the shared ones", async () => {
    const registry = jsonOf(await asEditor('create', 'registry', 'a-packs', '-o', 'json'));
    expect(registry).toMatchObject({ name: 'a-packs', projectId: 'team-a' });
    // Cloud accounts take an admin, in the project as tenant-wide.
    const refused = await asEditor('create', 'cloudaccount', 'a-sim', '--type', 'local');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(403 Forbidden)');
    const made = await asProjectAdmin('create', 'cloudaccount', 'a-sim', '--type', 'local');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^cloudaccount\/a-sim created \(ca-\w+\)$/m);
    const listed = await asEditor('get', 'cloudaccounts');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^a-sim\s+ca-\w+\s+local\s.*\steam-a\s+\d+s$/m);
    expect(listed.stdout).toMatch(/^sim\s+ca-\w+\s+local\s.*\s\(shared\)\s+\d+s$/m);
  });

  it('get projects shows the role of a project-limited caller; keys show where their role holds', async () => {
    const projects = await asEditor('get', 'projects');
    expect(projects.code, projects.stderr).toBe(0);
    const lines = projects.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+ROLE\s+MEMBERS\s+AGE\s+DESCRIPTION$/);
    // Its two keys, profile, cluster, registry and cloud account; another project is not listed at all.
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^team-a\s+editor\s+6\s+\d+s\s+the A team$/)]);
    // A tenant-wide role holds in every project: no ROLE, every project.
    const all = await strata('get', 'projects');
    expect(all.stdout.split('\n')[0]).toMatch(/^NAME\s+MEMBERS\s+AGE\s+DESCRIPTION$/);
    expect(all.stdout).toMatch(/^default\s+\d+\s/m);

    const described = await strata('describe', 'project', 'team-a');
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/^Members:\s+6$/m);
    for (const [kind, name] of [['cluster', 'a-demo'], ['profile', 'a-web'], ['cloudaccount', 'a-sim'], ['registry', 'a-packs'], ['apikey', 'a-editor'], ['apikey', 'a-admin']]) {
      expect(described.stdout).toMatch(new RegExp(`^${kind}\\s+${name}\\s+\\S+$`, 'm'));
    }
    expect(described.stdout).not.toMatch(/b-demo|b-web/);

    const keys = await strata('get', 'apikeys');
    expect(keys.code, keys.stderr).toBe(0);
    expect(keys.stdout).toMatch(/^a-editor\s+key-\S+\s+editor\s.*\steam-a\s+\d+s$/m);
    expect(keys.stdout).toMatch(/^platform operator\s+key-operator\s+admin\s+yes\s+never\s+\(tenant\)\s+\S+$/m);
  });

  it("the audit log names each request's project, and filters by it", async () => {
    const entries: { action: string; outcome: string; project?: string }[] = jsonOf(await strata('audit', '--project', 'team-a', '-o', 'json'));
    expect(entries.map((e) => `${e.action} ${e.outcome}`)).toEqual(expect.arrayContaining(['POST /v1/cloudaccounts success', 'POST /v1/registries success']));
    expect(entries.every((e) => e.project === 'team-a')).toBe(true);
    const table = await strata('audit', '--project', 'team-a', '--limit', '5');
    expect(table.stdout.split('\n')[0]).toMatch(/^TIME\s+ACTOR\s+ACTION\s+RESOURCE\s+PROJECT\s+OUTCOME\s/);
  });

  it('a project that still holds resources is not deleted: the API says why', async () => {
    const refused = await strata('delete', 'project', 'team-a', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('project team-a still holds');
    expect((await strata('get', 'project', 'team-a')).code).toBe(0);
  });

  it('a person whose group maps to a project role is told that role at sign-in', async () => {
    const set = await strata('sso', 'set', '--issuer', api.runtime.oidcIssuer, '--client-id', 'strata', '--scopes', 'openid profile email groups', '--map', 'platform-admins=admin', '--map', 'app-developers=viewer@team-a');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^GROUP\s+ROLE\s+PROJECT$/m);
    expect(set.stdout).toMatch(/^platform-admins\s+admin\s+\(tenant\)$/m);
    expect(set.stdout).toMatch(/^app-developers\s+viewer\s+team-a$/m);

    const child = spawn(process.execPath, [BIN, 'login', '--sso', '--no-browser', '--url', api.runtime.url, '--tenant', 'default', '--profile', 'bob'], { env: envFor(undefined) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.on('close', done));
    child.stdin.end();
    try {
      const authorizeUrl = await eventually(async () => /^Open this URL to sign in: (\S+)$/m.exec(stderr)?.[1], 'the sign-in URL', 10_000);
      const { redirectedTo } = await signInThroughLocalIdp({ authorizeUrl, username: 'bob', password: 'bob-local' });
      await (await fetch(redirectedTo)).text();
      expect(await exited, stderr).toBe(0);
    } finally {
      child.kill();
    }
    expect(stdout).toContain('as bob@example.com (role viewer in project team-a, tenant default)');
  });
});
