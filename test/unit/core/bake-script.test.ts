import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { BAKE_ENV, bakePlaybook, bakeRequirements, bakeSettingsFrom, builderUserData, type AnsibleRole, type BakeScriptInput } from '../../../core/bake-script.js';
import { isCleanText } from '../../../core/text.js';
import { valuesOf } from '../../../core/values.js';

/**
 * The bake's generated files are checked by the tools that read them on a builder: the playbook by
 * `ansible-playbook --syntax-check` against role layouts like the real ones (kubernetes-sigs/
 * image-builder's, from test/fixtures, and small ones of test/unit/core/bake/roles), the YAML by
 * Ansible's own loader and PyYAML (YAML 1.1, where `yes` is a boolean), the user data by
 * `cloud-init schema`, and run.sh by running it in a throw-away copy of this machine's root.
 */
const MISSING_ANSIBLE = 'ansible-core is not installed: the bake tests check the playbook with ansible-playbook --syntax-check. Install it (apt-get install ansible-core; .ci/run does in CI).';
const MISSING_CLOUD_INIT = 'cloud-init is not installed: the bake tests validate the user data with its schema. Install it (apt-get install cloud-init; .ci/run does in CI).';

const HERE = dirname(fileURLToPath(import.meta.url));
/** kubernetes-sigs/image-builder's roles (test/fixtures/SOURCES.md lists what was copied and what was not). */
const FIXTURE_ROLES = join(HERE, '../../fixtures/ansible-roles/image-builder/images/capi/ansible/roles');
const OWN_ROLES = join(HERE, 'bake/roles');
const SANDBOX = join(HERE, 'bake/sandbox');

const BAKE_ID = 'img-0123456789abcdef01234567-a1';
const SIGNAL = { url: `https://agent.example/agent/v1/bakes/${BAKE_ID}/result`, token: `sbt.tenant-1.${BAKE_ID}.${'Q'.repeat(43)}` };
const input = (over: Partial<BakeScriptInput> = {}): BakeScriptInput => ({ bakeId: BAKE_ID, cloud: 'aws', arch: 'amd64', kubernetesVersion: '1.31.2', roles: [], signal: SIGNAL, ...over });

/** image-builder's security role, with the vars its defaults declare. */
const SECURITY: AnsibleRole = { name: 'security', version: '1.0.0', vars: 'security_install_falco: false\nsecurity_install_trivy: "false"\n' };
const FIRSTBOOT: AnsibleRole = { name: 'firstboot', source: 'git+https://github.com/kubernetes-sigs/image-builder.git', version: 'v0.1.44' };
const MULTIPATHD: AnsibleRole = { name: 'multipathd', version: '1.0.0', vars: 'multipathd_custom_conf_file_path: ""\n' };
const ARCHIVE = Buffer.from('a role archive, as its https source serves it\n');
const ARCHIVE_DIGEST = `sha256:${createHash('sha256').update(ARCHIVE).digest('hex')}`;
const HARDENING: AnsibleRole = { name: 'acme.hardening', source: 'https://roles.example/acme/hardening-1.2.0.tar.gz', digest: ARCHIVE_DIGEST, vars: 'hardening_banner: "Authorized use only: it\'s \\"logged\\"\\nline two"\n' };

let dir: string;
let rolesDir: string;
let python: string;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-bake-'));
  rolesDir = join(dir, 'roles');
  // Roles whose layout the fixtures hold whole, and security, whose tasks import falco.yml and
  // trivy.yml that were not copied (SOURCES.md): empty task lists complete it. kubernetes is copied
  // as it is, incomplete, for the test that shows the check reads a role's files.
  for (const role of ['firstboot', 'multipathd', 'security', 'kubernetes']) await cp(join(FIXTURE_ROLES, role), join(rolesDir, role), { recursive: true });
  for (const missing of ['falco.yml', 'trivy.yml']) await writeFile(join(rolesDir, 'security/tasks', missing), '---\n[]\n');
  await cp(OWN_ROLES, rolesDir, { recursive: true });
  let ansiblePlaybook: string;
  try {
    ansiblePlaybook = execFileSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(MISSING_ANSIBLE);
  }
  // Ansible's own Python, which has its YAML loader and PyYAML.
  python = /^#!\s*(\S+)/.exec(await readFile(ansiblePlaybook, 'utf8'))![1]!;
  await writeFile(join(dir, 'read-yaml.py'), READ_YAML);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  output: string;
}

function run(command: string, args: string[], env: Record<string, string> = {}, missing = `${command} is not installed`): Promise<Run> {
  return new Promise((resolve, reject) =>
    execFile(command, args, { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return reject(new Error(missing));
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: `${stdout}${stderr}` });
    }),
  );
}

async function tempFile(name: string, text: string): Promise<string> {
  const file = join(dir, `${files++}-${name}`);
  await writeFile(file, text);
  return file;
}

const ANSIBLE_ENV = () => ({ ANSIBLE_ROLES_PATH: rolesDir, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOME: join(dir, 'ansible-home'), ANSIBLE_LOCAL_TEMP: join(dir, 'ansible-tmp') });

async function syntaxCheck(playbook: string): Promise<Run> {
  const file = await tempFile('playbook.yml', playbook);
  return run('ansible-playbook', ['-i', 'localhost,', '--syntax-check', file], ANSIBLE_ENV(), MISSING_ANSIBLE);
}

async function cloudInitSchema(text: string): Promise<Run> {
  return run('cloud-init', ['schema', '--config-file', await tempFile('user-data.txt', text)], {}, MISSING_CLOUD_INIT);
}

/**
 * Reads YAML files as a builder does: `ansible` with Ansible's DataLoader (what ansible-playbook and
 * ansible-galaxy load files with), `pyyaml` with yaml.safe_load (cloud-init's reading of user data).
 * What JSON cannot say exactly comes back marked: a key that is not a string, a date, an infinity.
 */
const READ_YAML = `
import json, math, sys
mode = sys.argv[1]
def plain(v):
    if isinstance(v, dict):
        return {(k if isinstance(k, str) else '__key__%s:%r' % (type(k).__name__, k)): plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return {'__float__': repr(v)}
    if v is None or isinstance(v, (str, bool, int, float)):
        return v
    return {'__type__': type(v).__name__, 'repr': repr(v)}
out = []
for path in sys.argv[2:]:
    if mode == 'ansible':
        from ansible.parsing.dataloader import DataLoader
        data = DataLoader().load_from_file(path)
    else:
        import yaml
        with open(path, 'rb') as f:
            data = yaml.safe_load(f)
    out.append(plain(data))
print(json.dumps(out))
`;

async function readYaml(mode: 'ansible' | 'pyyaml', texts: string[]): Promise<any[]> {
  const paths = await Promise.all(texts.map((t) => tempFile('read.yml', t)));
  const result = await run(python, [join(dir, 'read-yaml.py'), mode, ...paths]);
  if (result.code !== 0) throw new Error(`reading YAML with ${mode} failed: ${result.output}`);
  return JSON.parse(result.output);
}

interface Task {
  name: string;
  [module: string]: any;
}
const tasksOf = (playbook: string): Task[] => (parse(playbook, { version: '1.1' }) as { tasks: Task[] }[])[0]!.tasks;

interface UserData {
  write_files: { path: string; content: string; permissions?: string; owner?: string }[];
  runcmd: string[][];
}
const fileOf = (doc: UserData, path: string) => doc.write_files.find((f) => f.path === path);

describe('bakePlaybook: a playbook ansible-playbook accepts, with the roles found on ANSIBLE_ROLES_PATH', () => {
  const cases: { label: string; bake: BakeScriptInput }[] = [
    { label: 'Kubernetes install only', bake: input() },
    { label: 'roles only (the image ships Kubernetes)', bake: input({ kubernetesVersion: undefined, roles: [FIRSTBOOT, MULTIPATHD] }) },
    { label: 'Kubernetes install, then roles', bake: input({ kubernetesVersion: '1.32.0', roles: [SECURITY, HARDENING, FIRSTBOOT] }) },
    { label: 'a role with vars', bake: input({ kubernetesVersion: undefined, roles: [SECURITY] }) },
    { label: 'the same role twice, with other vars', bake: input({ roles: [HARDENING, SECURITY, { ...HARDENING, vars: 'hardening_banner: again\n' }] }) },
  ];

  it.concurrent.each(cases)('$label passes --syntax-check', async ({ bake }) => {
    const playbook = bakePlaybook(bake);
    const result = await syntaxCheck(playbook);
    expect(result.output).toContain('playbook:');
    expect(result.code, result.output).toBe(0);
  });

  it('a role that is not installed fails the syntax check, naming it', async () => {
    const result = await syntaxCheck(bakePlaybook(input({ roles: [SECURITY, { name: 'acme.not_installed', version: '1.0.0' }] })));
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/acme\.not_installed/);
    expect(result.output).toMatch(/not found|could not be found/);
  });

  it("the check reads each role's files: a fixture role whose imported task files were not copied fails", async () => {
    // kubernetes/tasks/main.yml imports debian.yml and others that test/fixtures does not hold.
    const result = await syntaxCheck(bakePlaybook(input({ kubernetesVersion: undefined, roles: [{ name: 'kubernetes', version: '1.0.0' }] })));
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/debian\.yml/);
  });

  it('one play on the builder itself: localhost, local connection, become, facts', () => {
    const plays = parse(bakePlaybook(input())) as Record<string, unknown>[];
    expect(plays).toHaveLength(1);
    expect(plays[0]).toMatchObject({ hosts: 'localhost', connection: 'local', become: true, gather_facts: true });
  });

  it('installs kubeadm, kubelet and kubectl at exactly the version, from its minor release repository of pkgs.k8s.io, held', () => {
    const tasks = tasksOf(bakePlaybook(input({ kubernetesVersion: '1.31.2' })));
    const key = tasks.find((t) => 'ansible.builtin.get_url' in t)!['ansible.builtin.get_url'];
    expect(key).toMatchObject({ url: 'https://pkgs.k8s.io/core:/stable:/v1.31/deb/Release.key', dest: '/etc/apt/keyrings/kubernetes-apt-keyring.asc' });
    const copies = tasks.filter((t) => 'ansible.builtin.copy' in t).map((t) => t['ansible.builtin.copy'] as { dest: string; content: string });
    expect(copies.find((c) => c.dest === '/etc/apt/sources.list.d/kubernetes.list')!.content).toBe('deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.asc] https://pkgs.k8s.io/core:/stable:/v1.31/deb/ /\n');
    expect(copies.find((c) => c.dest === '/etc/apt/preferences.d/kubernetes')!.content).toBe('Package: kubeadm kubelet kubectl\nPin: version 1.31.2-*\nPin-Priority: 1001\n');
    const installs = tasks.filter((t) => 'ansible.builtin.apt' in t).map((t) => t['ansible.builtin.apt'].name as string[]);
    expect(installs).toContainEqual(['kubeadm=1.31.2-*', 'kubelet=1.31.2-*', 'kubectl=1.31.2-*']);
    expect(installs.flat()).toContain('containerd');
    const hold = tasks.find((t) => 'ansible.builtin.dpkg_selections' in t)!;
    expect(hold['ansible.builtin.dpkg_selections']).toEqual({ name: '{{ item }}', selection: 'hold' });
    expect(hold.loop).toEqual(['kubeadm', 'kubelet', 'kubectl']);
    // The apt tasks come first: the repository before the packages from it.
    const repoAt = tasks.findIndex((t) => t['ansible.builtin.copy']?.dest === '/etc/apt/sources.list.d/kubernetes.list');
    expect(repoAt).toBeLessThan(tasks.findIndex((t) => t['ansible.builtin.apt']?.name?.[0] === 'kubeadm=1.31.2-*'));
    // Another version, another repository: 1.9 is not 1.90.
    expect(bakePlaybook(input({ kubernetesVersion: '1.9.11' }))).toContain('https://pkgs.k8s.io/core:/stable:/v1.9/deb/');
  });

  it("sets up the node as kubeadm's checks want it: modules, sysctls, swap off, containerd on systemd cgroups, services enabled", () => {
    const tasks = tasksOf(bakePlaybook(input()));
    const copies = Object.fromEntries(tasks.filter((t) => 'ansible.builtin.copy' in t).map((t) => [t['ansible.builtin.copy'].dest, t['ansible.builtin.copy'].content]));
    expect(copies['/etc/modules-load.d/kubernetes.conf']).toBe('overlay\nbr_netfilter\n');
    expect(copies['/etc/sysctl.d/99-kubernetes.conf']).toContain('net.ipv4.ip_forward = 1');
    expect(copies['/etc/sysctl.d/99-kubernetes.conf']).toContain('net.bridge.bridge-nf-call-iptables = 1');
    const commands = tasks.filter((t) => 'ansible.builtin.command' in t).map((t) => t['ansible.builtin.command'].argv.join(' '));
    expect(commands).toEqual(expect.arrayContaining(['modprobe {{ item }}', 'sysctl --system', 'swapoff -a']));
    expect(tasks.find((t) => 'ansible.builtin.lineinfile' in t)!['ansible.builtin.lineinfile']).toMatchObject({ path: '/etc/containerd/config.toml', line: '\\1SystemdCgroup = true', backrefs: true });
    const services = tasks.filter((t) => 'ansible.builtin.systemd' in t).map((t) => t['ansible.builtin.systemd']);
    expect(services).toContainEqual(expect.objectContaining({ name: 'kubelet', enabled: true }));
    expect(services).toContainEqual(expect.objectContaining({ name: 'containerd', enabled: true }));
  });

  it('uses ansible.builtin modules only (ansible-core has no collections)', () => {
    const keywords = new Set(['name', 'loop', 'vars', 'changed_when', 'register', 'until', 'retries', 'delay']);
    for (const task of tasksOf(bakePlaybook(input({ roles: [SECURITY, HARDENING] })))) {
      const modules = Object.keys(task).filter((k) => !keywords.has(k));
      expect(modules, task.name).toHaveLength(1);
      expect(modules[0], task.name).toMatch(/^ansible\.builtin\.(apt|file|get_url|copy|dpkg_selections|command|shell|replace|lineinfile|systemd|import_role)$/);
    }
  });

  it('without a Kubernetes version, installs nothing: only the roles', () => {
    const tasks = tasksOf(bakePlaybook(input({ kubernetesVersion: undefined, roles: [FIRSTBOOT] })));
    expect(tasks.map((t) => t['ansible.builtin.import_role']?.name)).toEqual(['firstboot']);
    expect(bakePlaybook(input({ kubernetesVersion: undefined, roles: [FIRSTBOOT] }))).not.toContain('pkgs.k8s.io');
  });

  it("keeps the pack's role order, after the install, each role with its own vars", () => {
    const roles = [MULTIPATHD, SECURITY, HARDENING, FIRSTBOOT, { ...SECURITY, vars: 'security_install_falco: true\n' }];
    const tasks = tasksOf(bakePlaybook(input({ roles })));
    const imports = tasks.flatMap((t, i) => ('ansible.builtin.import_role' in t ? [i] : []));
    expect(imports[0]).toBe(tasks.length - roles.length);
    expect(imports.map((i) => tasks[i]!['ansible.builtin.import_role'].name)).toEqual(['multipathd', 'security', 'acme.hardening', 'firstboot', 'security']);
    expect(imports.map((i) => tasks[i]!.vars)).toEqual([
      { multipathd_custom_conf_file_path: '' },
      { security_install_falco: false, security_install_trivy: 'false' },
      { hardening_banner: 'Authorized use only: it\'s "logged"\nline two' },
      undefined,
      { security_install_falco: true },
    ]);
  });

  it('the vars YAML becomes the role vars, as the platform reads it (and as the image signature does)', async () => {
    const vars = [
      'enabled: yes # YAML 1.2: the string "yes", as the signature reads it; Ansible gets the string too',
      'mode: "0644"',
      'octal: 0777',
      'sexagesimal: 1:20',
      'day: 2001-12-14',
      'big: 1e21',
      'small: 1.5e-7',
      'nothing: ~',
      'list: [a, "b: c", 3]',
      'nested: {"<<": merge key?, "=": value key?, yes: no}',
      'text: |',
      '  line one: with a colon',
      '  "quoted" and \'single\'',
    ].join('\n');
    const playbook = bakePlaybook(input({ kubernetesVersion: undefined, roles: [{ name: 'acme.hardening', version: '1.0.0', vars }] }));
    const [plays] = await readYaml('ansible', [playbook]);
    const task = plays[0].tasks.find((t: Task) => 'ansible.builtin.import_role' in t);
    expect(task.vars).toEqual(valuesOf(vars));
    expect(task.vars).toMatchObject({ enabled: 'yes', mode: '0644', octal: 777, sexagesimal: '1:20', day: '2001-12-14', big: 1e21, nothing: null, nested: { '<<': 'merge key?', '=': 'value key?', yes: 'no' } });
  });

  it('Ansible hands the role exactly those vars (a real run of a roles-only playbook)', async () => {
    const out = join(dir, 'vars-out.json');
    const vars = {
      vars_out_file: out,
      vars_out_names: ['greeting', 'motd', 'flag', 'yes_string', 'octal_string', 'nested'],
      greeting: 'it\'s: "quoted", with a colon',
      motd: 'line one\nline two: also a colon\n',
      flag: false,
      yes_string: 'yes',
      octal_string: '0777',
      nested: { '<<': 'a key PyYAML would merge', list: [1, '2', null, 1.5] },
    };
    const playbook = bakePlaybook(input({ kubernetesVersion: undefined, roles: [{ name: 'strata_test.vars_out', version: '1.0.0', vars: stringify(vars) }] }));
    // Root already: no sudo needed (nor installed here).
    const result = await run('ansible-playbook', ['-i', 'localhost,', '-e', 'ansible_become=false', await tempFile('playbook.yml', playbook)], ANSIBLE_ENV(), MISSING_ANSIBLE);
    expect(result.code, result.output).toBe(0);
    const { vars_out_file: _file, vars_out_names: _names, ...given } = vars;
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(given);
  });

  it('refuses what could not install or would change meaning: a bad version, role name, var name, source or digest', () => {
    expect(() => bakePlaybook(input({ kubernetesVersion: 'v1.31.2' }))).toThrow(/not a release such as 1\.31\.2/);
    expect(() => bakePlaybook(input({ kubernetesVersion: '1.31' }))).toThrow(/not a release/);
    expect(() => bakePlaybook(input({ kubernetesVersion: '1.31.2\n- hosts: all' }))).toThrow(/not a release/);
    for (const name of ['../../etc', 'a/b', 'it\'s', 'a: b', 'x\ny', '"q"', '']) {
      expect(() => bakePlaybook(input({ roles: [{ name, version: '1.0.0' }] })), name).toThrow(/role 1/);
    }
    expect(() => bakePlaybook(input({ roles: [{ name: 'security', version: '1.0.0', vars: 'bad-name: 1\n' }] }))).toThrow(/"bad-name" is not a variable name Ansible accepts/);
    expect(() => bakePlaybook(input({ roles: [{ name: 'security', version: '1.0.0', vars: 'class: 1\n' }] }))).toThrow(/"class"/);
    expect(() => bakePlaybook(input({ roles: [{ name: 'security', version: '1.0.0', vars: '- a list\n' }] }))).toThrow(/mapping/);
    expect(() => bakePlaybook(input({ roles: [{ name: 'security' }] }))).toThrow(/version or a content digest/);
    expect(() => bakePlaybook(input({ roles: [{ name: 'security', digest: ARCHIVE_DIGEST }] }))).toThrow(/https:\/\/ URL of the role's tar\.gz/);
    expect(() => bakePlaybook(input({ roles: [{ name: 'security', source: 'git+https://example.com/r.git', digest: ARCHIVE_DIGEST }] }))).toThrow(/https:\/\//);
    expect(() => bakePlaybook(input({ roles: [{ name: 'security', source: 'https://example.com/a b.tar.gz', version: '1.0.0' }] }))).toThrow(/URL of printable ASCII without spaces/);
    expect(() => bakePlaybook(input({ roles: [{ name: 'security', source: 'https://example.com/r-1.0+b.tar.gz', version: '1.0.0' }] }))).toThrow(/"\+"/);
    expect(() => bakePlaybook(input({ bakeId: 'img x' }))).toThrow(/bake id/);
  });
});

describe('bakeRequirements: what ansible-galaxy installs', () => {
  it('lists each role once, in order, from its source at its version; Galaxy by name when there is no source', async () => {
    const text = bakeRequirements([SECURITY, FIRSTBOOT, HARDENING, { ...SECURITY, vars: 'security_install_falco: true\n' }, { name: 'acme.tarball', source: 'https://roles.example/acme/tarball-2.0.0.tar.gz', version: '2.0.0' }]);
    const [read] = await readYaml('ansible', [text]);
    expect(read).toEqual({
      roles: [
        { name: 'security', src: 'security', version: '1.0.0' },
        { name: 'firstboot', src: 'git+https://github.com/kubernetes-sigs/image-builder.git', version: 'v0.1.44' },
        { name: 'acme.hardening', src: '/var/lib/strata-bake/archives/acme.hardening.tar.gz' },
        { name: 'acme.tarball', src: 'https://roles.example/acme/tarball-2.0.0.tar.gz', version: '2.0.0' },
      ],
    });
    expect(parse(bakeRequirements([]))).toEqual({ roles: [] });
  });

  it('a role named twice must name one source, version and digest', () => {
    expect(() => bakeRequirements([SECURITY, { ...SECURITY, version: '2.0.0' }])).toThrow(/listed twice/);
  });

  it('ansible-galaxy reads the file: a digest-pinned role installs from the checked local archive', async () => {
    // A real install from the local-file src the requirements name (the path rewritten to this test's directory).
    const roleDir = join(dir, 'galaxy-src/hardening-1.2.0');
    await cp(join(OWN_ROLES, 'acme.hardening'), roleDir, { recursive: true });
    const archive = join(dir, 'galaxy-src/acme.hardening.tar.gz');
    expect((await run('tar', ['-czf', archive, '-C', join(dir, 'galaxy-src'), 'hardening-1.2.0'])).code).toBe(0);
    const requirements = bakeRequirements([HARDENING]).replace('/var/lib/strata-bake/archives/acme.hardening.tar.gz', archive);
    const into = join(dir, 'galaxy-roles');
    const result = await run('ansible-galaxy', ['role', 'install', '-r', await tempFile('requirements.yml', requirements), '-p', into], ANSIBLE_ENV(), MISSING_ANSIBLE);
    expect(result.code, result.output).toBe(0);
    expect(await readdir(join(into, 'acme.hardening/tasks'))).toEqual(['main.yml']);
  });
});

describe('builderUserData: one #cloud-config document cloud-init accepts', () => {
  const bakes: { label: string; bake: BakeScriptInput }[] = [
    { label: 'install only', bake: input() },
    { label: 'roles only', bake: input({ kubernetesVersion: undefined, roles: [SECURITY, FIRSTBOOT] }) },
    { label: 'install, a digest-pinned role and a Galaxy role', bake: input({ roles: [HARDENING, SECURITY, FIRSTBOOT] }) },
    { label: 'on Azure, arm64', bake: input({ cloud: 'azure', arch: 'arm64', roles: [SECURITY] }) },
  ];

  it.concurrent.each(bakes)('$label', async ({ bake }) => {
    const text = builderUserData(bake);
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const docs = parseAllDocuments(text);
    expect(Array.isArray(docs) ? docs.length : 0).toBe(1);
    const schema = await cloudInitSchema(text);
    expect(schema.output).toMatch(/Valid cloud-config/);
    expect(schema.code).toBe(0);

    // The settings read back, and the token is in the root-only file and nowhere else.
    expect(bakeSettingsFrom(text)).toEqual({ bakeId: BAKE_ID, url: SIGNAL.url, token: SIGNAL.token });
    expect(text.split(SIGNAL.token)).toHaveLength(2);
    const [doc] = (await readYaml('pyyaml', [text])) as UserData[];
    const withToken = doc!.write_files.filter((f) => f.content.includes(SIGNAL.token));
    expect(withToken).toEqual([{ path: BAKE_ENV, owner: 'root:root', permissions: '0600', content: `STRATA_BAKE_ID=${BAKE_ID}\nSTRATA_BAKE_SIGNAL_URL=${SIGNAL.url}\nSTRATA_BAKE_TOKEN=${SIGNAL.token}\n` }]);

    // cloud-init (PyYAML) writes exactly the generated files.
    expect(fileOf(doc!, '/var/lib/strata-bake/playbook.yml')).toMatchObject({ permissions: '0600', content: bakePlaybook(bake) });
    if (bake.roles.length > 0) expect(fileOf(doc!, '/var/lib/strata-bake/requirements.yml')).toMatchObject({ permissions: '0600', content: bakeRequirements(bake.roles) });
    else expect(fileOf(doc!, '/var/lib/strata-bake/requirements.yml')).toBeUndefined();
    const script = fileOf(doc!, '/var/lib/strata-bake/run.sh')!;
    expect(script.permissions).toBe('0700');
    expect((await run('sh', ['-n', '-c', script.content])).code).toBe(0);
    expect(script.content.split('\n').slice(0, 4).join('\n')).toMatch(/^#!\/bin\/sh\n[^\n]*\nset -eu\n/);
    // Detached from cloud-init, so cloud-init has finished before run.sh cleans it.
    expect(doc!.runcmd).toEqual([[expect.stringMatching(/^systemd-run$/), '--unit=strata-bake', expect.any(String), expect.any(String), expect.any(String), '/var/lib/strata-bake/run.sh']]);
    expect(script.content).toMatch(/cloud-init status --wait/);
  });

  it('run.sh: the playbook, then the clean-up, then the signal; a failure signals without cleaning', () => {
    const script = (parse(builderUserData(input({ roles: [SECURITY] }))) as UserData).write_files.find((f) => f.path.endsWith('run.sh'))!.content;
    const at = (text: string) => {
      const i = script.indexOf(text);
      expect(i, text).toBeGreaterThan(-1);
      return i;
    };
    const steps = ['apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 install -y --no-install-recommends ansible-core', 'ansible-galaxy role install -r /var/lib/strata-bake/requirements.yml', 'run ansible-playbook', 'body true', 'run rm -rf /var/lib/strata-bake /root/.ansible /etc/strata/bake.env', '/var/lib/apt/lists/*', 'run cloud-init clean --logs --seed', 'run truncate -s 0 /etc/machine-id', '/var/lib/dbus/machine-id', '/etc/ssh/ssh_host_*', '.bash_history', '/var/log/journal/*', 'post >>', 'poweroff'];
    const positions = steps.map(at);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(script).toContain("curl -fsS --retry 10");
    expect(script).toContain('Authorization: Bearer %s');
    expect(script).toContain(`tail -n 20 "$LOG" | python3 -c 'import json`);
  });

  it('a digest-pinned role: downloaded from its https source, checked with sha256sum, then installed', () => {
    const doc = parse(builderUserData(input({ roles: [SECURITY, HARDENING] }))) as UserData;
    const script = fileOf(doc, '/var/lib/strata-bake/run.sh')!.content;
    const download = script.indexOf(`-o /var/lib/strata-bake/archives/acme.hardening.tar.gz 'https://roles.example/acme/hardening-1.2.0.tar.gz'`);
    const check = script.indexOf('run sha256sum --check --strict /var/lib/strata-bake/archives.sha256');
    const install = script.indexOf('run ansible-galaxy role install');
    expect(download).toBeGreaterThan(-1);
    expect(check).toBeGreaterThan(download);
    expect(install).toBeGreaterThan(check);
    expect(script).toMatch(/curl -fsSL --proto =https [^\n]*-o \/var\/lib\/strata-bake\/archives\/acme\.hardening\.tar\.gz/);
    expect(fileOf(doc, '/var/lib/strata-bake/archives.sha256')).toMatchObject({ permissions: '0600', content: `${ARCHIVE_DIGEST.slice(7)}  /var/lib/strata-bake/archives/acme.hardening.tar.gz\n` });
    // A bake without one downloads nothing and checks nothing.
    const plain = fileOf(parse(builderUserData(input({ roles: [SECURITY] }))) as UserData, '/var/lib/strata-bake/run.sh')!.content;
    expect(plain).not.toContain('sha256sum');
  });

  it("git sources get git; Azure's agent state goes with the rest", () => {
    const script = (bake: BakeScriptInput) => fileOf(parse(builderUserData(bake)) as UserData, '/var/lib/strata-bake/run.sh')!.content;
    expect(script(input({ roles: [FIRSTBOOT] }))).toMatch(/ansible-core python3-apt git\n/);
    expect(script(input({ roles: [SECURITY] }))).toMatch(/ansible-core python3-apt\n/);
    expect(script(input({ cloud: 'azure' }))).toContain('/var/lib/waagent');
    expect(script(input({ cloud: 'aws' }))).not.toContain('waagent');
  });

  it("a typical bake fits EC2's 16 KiB of user data", () => {
    const text = builderUserData(input({ roles: [SECURITY, HARDENING, FIRSTBOOT, MULTIPATHD] }));
    expect(Buffer.byteLength(text)).toBeLessThan(16 * 1024);
  });

  it('refuses signal settings that would not read back', () => {
    expect(() => builderUserData(input({ signal: { url: 'https://agent.example/a b', token: 't' } }))).toThrow(/signal URL/);
    expect(() => builderUserData(input({ signal: { url: 'ftp://agent.example/', token: 't' } }))).toThrow(/signal URL/);
    expect(() => builderUserData(input({ signal: { url: SIGNAL.url, token: 'a b' } }))).toThrow(/token/);
    expect(() => builderUserData(input({ signal: { url: SIGNAL.url, token: 'a\nSTRATA_BAKE_TOKEN=other' } }))).toThrow(/token/);
  });
});

describe('YAML-special characters in role names and vars', () => {
  /** Strings YAML 1.1 (PyYAML) or 1.2 read as something else, and characters that need escapes. */
  const TRICKY = ['yes', 'no', 'on', 'Off', 'y', 'n', '~', 'null', '', ' ', '<<', '=', '0777', '0o17', '0x1F', '0b101', '1_000', '1:20', '190:20:30.15', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '.inf', '-.Inf', '.nan', '1e3', '1.', '+1', '- x', '? x', ': x', '#c', 'a #c', 'a: b', '{a: b}', '[a]', '&a', '*a', '!a', '%a', '@a', '`a', '|', '>', "it's", '"q"', '\\', '{{ x }}', '\t', 'a\tb', ' lead', 'trail ', '\n', 'a\n', '\na', 'a\n\n', 'a\r\nb', ' \n', '\t\n', 'a\n  \nb', '  indented\nnot', 'a\n  indented\n', '\u0085', '\u2028', '\u2029', '\ufeff', '\u00a0', '\u0000', '\u0001', '\u007f', '\u009f', 'é', '😀', '---', '...', '--- a', 'a\n---\nb'];
  const tricky = fc.constantFrom(...TRICKY);
  const text = fc.oneof({ arbitrary: tricky, weight: 3 }, { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 2 }, { arbitrary: fc.array(tricky, { maxLength: 4 }).map((parts) => parts.join('')), weight: 2 });
  const scalar = fc.oneof(text, fc.boolean(), fc.constant(null), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)), fc.constantFrom(1e21, -1e-7, 1.5e300, 0.1));
  const value = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(text, tie('value'), { maxKeys: 3 })),
  })).value;
  const KEYWORDS = new Set(['and', 'as', 'class', 'def', 'for', 'from', 'if', 'in', 'is', 'not', 'or', 'with', 'True', 'False', 'None']);
  const varName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/).filter((n) => !KEYWORDS.has(n));
  /** The vars as a pack author might write them: YAML, or JSON (YAML too); text the pack API takes. */
  const varsText = fc
    .tuple(fc.dictionary(varName, value, { minKeys: 1, maxKeys: 4 }), fc.constantFrom('yaml', 'json'))
    .map(([vars, style]) => (style === 'yaml' ? stringify(vars) : JSON.stringify(vars).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)))
    .filter(isCleanText);

  it('vars with quotes, colons, newlines and YAML 1.1 look-alikes come back the same through Ansible\'s loader', async () => {
    const seed = Date.now();
    const samples = fc.sample(varsText, { numRuns: 150, seed });
    const playbooks = samples.map((vars) => bakePlaybook(input({ kubernetesVersion: undefined, roles: [{ name: 'acme.hardening', version: '1.0.0', vars }] })));
    const read = await readYaml('ansible', playbooks);
    samples.forEach((vars, i) => {
      const task = read[i][0].tasks[0];
      expect(task.vars, `seed ${seed}, vars text:\n${vars}\nplaybook:\n${playbooks[i]}`).toEqual(valuesOf(vars));
    });
    // And through cloud-init's PyYAML into the file, byte for byte.
    const userData = samples.slice(0, 25).map((vars) => builderUserData(input({ roles: [{ name: 'acme.hardening', version: '1.0.0', vars }] })));
    const docs = (await readYaml('pyyaml', userData)) as UserData[];
    docs.forEach((doc, i) => expect(fileOf(doc, '/var/lib/strata-bake/playbook.yml')!.content, `seed ${seed}`).toBe(bakePlaybook(input({ roles: [{ name: 'acme.hardening', version: '1.0.0', vars: samples[i]! }] }))));
  });

  it('role names the pack API takes that YAML 1.1 reads as something else stay strings', async () => {
    const names = ['yes', 'on', 'null', 'true', 'NO', '0777', '1e3', '1_000', '0x1F', '1.0', '2001-12-14', 'a.b', '_'];
    const roles = names.map((name) => ({ name, version: '1.0.0' }));
    const [plays, requirements] = await readYaml('ansible', [bakePlaybook(input({ roles })), bakeRequirements(roles)]);
    expect(plays[0].tasks.filter((t: Task) => 'ansible.builtin.import_role' in t).map((t: Task) => t['ansible.builtin.import_role'].name)).toEqual(names);
    expect(requirements.roles.map((r: { name: string; src: string }) => [r.name, r.src])).toEqual(names.map((n) => [n, n]));
  });
});

/**
 * run.sh for real, in a throw-away copy of this machine's root (test/unit/core/bake/sandbox): a
 * mount namespace, an overlay over / and chroot, with apt-get, cloud-init, ansible-*, curl,
 * systemctl and journalctl stubbed. Needs root (or a user namespace that may mount an overlay).
 */
const SANDBOX_OK = (() => {
  const probe = mkdtempSync(join(tmpdir(), 'strata-bake-probe-'));
  try {
    execFileSync('unshare', ['--mount', '--fork', 'sh', '-c', 'mount -t tmpfs t "$1" && mkdir "$1/u" "$1/w" "$1/m" && mount -t overlay overlay -o "lowerdir=/,upperdir=$1/u,workdir=$1/w" "$1/m" && command -v chroot python3 sha256sum', 'probe', probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

describe.skipIf(!SANDBOX_OK)('run.sh, run in a sandbox (skipped where no mount namespace with an overlay can be made)', () => {
  interface Outcome {
    exit: number;
    output: string;
    calls: string[];
    state: Map<string, string>;
    signals: { body: { succeeded: boolean; message: string }; headers: string; url: string }[];
  }

  /** Files the clean-up must remove or empty, and one it must leave. */
  const PLANTED: Record<string, string> = {
    'etc/machine-id': '0123456789abcdef0123456789abcdef\n',
    'var/lib/dbus/machine-id': '0123456789abcdef0123456789abcdef\n',
    'etc/ssh/ssh_host_ed25519_key': 'private\n',
    'etc/ssh/ssh_host_ed25519_key.pub': 'public\n',
    'etc/ssh/sshd_config.d/strata-test.conf': 'PasswordAuthentication no\n',
    'root/.ssh/authorized_keys': 'ssh-ed25519 AAAA builder\n',
    'home/strata-test/.ssh/authorized_keys': 'ssh-ed25519 AAAA builder\n',
    'root/.bash_history': 'ls\n',
    'home/strata-test/.bash_history': 'ls\n',
    'root/.ansible/tmp/x': 'x\n',
    'var/lib/cloud/instance/boot-finished': 'x\n',
    'var/lib/apt/lists/strata-test_Packages': 'Package: x\n',
    'var/tmp/strata-test': 'x\n',
    'var/log/strata-test.log': 'a log line\n',
    'var/log/strata-test.log.1': 'an old log line\n',
    'var/log/strata-test.log.2.gz': 'an older one\n',
    'var/log/journal/strata-test/system.journal': 'journal\n',
    'etc/strata-test-kept': 'an image file the bake must not touch\n',
  };

  async function sandboxRun(bake: BakeScriptInput, scenario: { playbookExit?: number; archive?: Buffer; signalExit?: number } = {}): Promise<Outcome> {
    const base = await mkdtemp(join(dir, 'sandbox-'));
    const [stage, out, overlay] = ['stage', 'out', 'overlay'].map((d) => join(base, d)) as [string, string, string];
    for (const d of [stage, out, overlay]) await mkdir(d);
    const doc = parse(builderUserData(bake)) as UserData;
    for (const f of doc.write_files) {
      await mkdir(join(stage, dirname(f.path)), { recursive: true });
      await writeFile(join(stage, f.path), f.content, { mode: Number.parseInt(f.permissions ?? '0644', 8) });
    }
    for (const [path, content] of Object.entries(PLANTED)) {
      await mkdir(join(stage, dirname(path)), { recursive: true });
      await writeFile(join(stage, path), content);
    }
    const stubs = join(stage, 'strata-stubs');
    await cp(join(SANDBOX, 'stubs'), stubs, { recursive: true });
    for (const name of await readdir(stubs)) await chmod(join(stubs, name), 0o755);
    await writeFile(join(stubs, 'archive.tar.gz'), scenario.archive ?? ARCHIVE);
    await writeFile(join(stubs, 'scenario'), `PLAYBOOK_EXIT=${scenario.playbookExit ?? 0}\nSIGNAL_EXIT=${scenario.signalExit ?? 0}\n`);
    const result = await run('unshare', ['--mount', '--fork', 'sh', join(SANDBOX, 'runner.sh'), stage, out, overlay]);
    expect(result.code, result.output).toBe(0);
    const read = (name: string) => readFile(join(out, name), 'utf8').catch(() => '');
    const names = await readdir(out);
    const signals = await Promise.all(
      names
        .filter((n) => /^signal-\d+\.json$/.test(n))
        .sort()
        .map(async (n) => ({ body: JSON.parse(await read(n)), headers: await read(n.replace('.json', '.headers')), url: (await read(n.replace('.json', '.url'))).trim() })),
    );
    const state = new Map((await read('state')).trim().split('\n').map((line) => [line.split(' ')[1]!, line.startsWith('size') ? line.split(' ')[2]! : line.split(' ')[0]!]));
    return { exit: Number((await read('exit')).trim()), output: await read('output'), calls: (await read('calls')).trim().split('\n'), state, signals };
  }

  it('success: roles installed after their digest checks, the playbook, the machine cleaned, the signal, power off', async () => {
    const o = await sandboxRun(input({ roles: [HARDENING, SECURITY] }));
    expect(o.exit, o.output).toBe(0);
    const commands = o.calls.map((c) => c.split(' ').slice(0, 2).join(' '));
    expect(commands).toEqual(['cloud-init status', 'apt-get -o', 'apt-get -o', 'curl -fsSL', 'ansible-galaxy role', 'ansible-playbook -i', 'apt-get clean', 'cloud-init clean', 'journalctl --rotate', 'curl -fsS', 'systemctl --no-block']);
    expect(o.calls.at(-1)).toBe('systemctl --no-block poweroff');
    expect(o.signals).toHaveLength(1);
    const [signal] = o.signals;
    expect(signal!.url).toBe(SIGNAL.url);
    expect(signal!.headers).toBe(`Authorization: Bearer ${SIGNAL.token}\n`);
    expect(signal!.body.succeeded).toBe(true);
    expect(signal!.body.message.split('\n').length).toBeLessThanOrEqual(21);
    expect(signal!.body.message).toContain('localhost : ok=30 changed=3 unreachable=0 failed=0');
    // The token never was on a command line.
    expect(o.calls.join('\n')).not.toContain(SIGNAL.token);
    for (const gone of ['/etc/strata/bake.env', '/var/lib/strata-bake', '/root/.ansible', '/var/lib/cloud/instance', '/etc/ssh/ssh_host_ed25519_key', '/etc/ssh/ssh_host_ed25519_key.pub', '/var/lib/dbus/machine-id', '/root/.ssh/authorized_keys', '/home/strata-test/.ssh/authorized_keys', '/root/.bash_history', '/home/strata-test/.bash_history', '/var/lib/apt/lists/strata-test_Packages', '/var/tmp/strata-test', '/var/log/strata-test.log.1', '/var/log/strata-test.log.2.gz', '/var/log/journal/strata-test']) {
      expect(o.state.get(gone), gone).toBe('absent');
    }
    expect(o.state.get('/etc/machine-id')).toBe('0');
    expect(o.state.get('/var/log/strata-test.log')).toBe('0');
    expect(o.state.get('/etc/ssh/sshd_config.d/strata-test.conf')).toBe('present');
    expect(o.state.get('/etc/strata-test-kept')).toBe('present');
  });

  it('a failing playbook: the failure signalled with the failing task in the message, nothing cleaned, no power off', async () => {
    const o = await sandboxRun(input({ roles: [SECURITY] }), { playbookExit: 2 });
    expect(o.exit).toBe(1);
    expect(o.signals).toHaveLength(1);
    const [signal] = o.signals;
    expect(signal!.body.succeeded).toBe(false);
    expect(signal!.body.message).toContain(`fatal: [localhost]: FAILED! => {"changed": false, "msg": "No package matching 'kubeadm=9.9.9-*' is available"}`);
    expect(signal!.body.message).toMatch(/FAILED: ansible-playbook -i localhost, \/var\/lib\/strata-bake\/playbook\.yml \(exit 2\)\n$/);
    expect(o.calls.some((c) => c.startsWith('cloud-init clean'))).toBe(false);
    expect(o.calls.some((c) => c.includes('poweroff'))).toBe(false);
    expect(o.state.get('/etc/machine-id')).not.toBe('0');
    expect(o.state.get('/etc/ssh/ssh_host_ed25519_key')).toBe('present');
  });

  it('an archive that does not match its digest is never installed: the bake fails before ansible-galaxy', async () => {
    const o = await sandboxRun(input({ roles: [HARDENING] }), { archive: Buffer.from('something else\n') });
    expect(o.exit).toBe(1);
    expect(o.calls.some((c) => c.startsWith('ansible-galaxy') || c.startsWith('ansible-playbook'))).toBe(false);
    expect(o.signals.map((s) => s.body.succeeded)).toEqual([false]);
    expect(o.signals[0]!.body.message).toMatch(/acme\.hardening\.tar\.gz: FAILED/);
    expect(o.signals[0]!.body.message).toMatch(/FAILED: sha256sum --check/);
  });

  it('a success signal that is not delivered fails the run (the bake times out) and does not power off', async () => {
    const o = await sandboxRun(input(), { signalExit: 22 });
    expect(o.exit).toBe(1);
    expect(o.signals.map((s) => s.body.succeeded)).toEqual([true, false]);
    expect(o.calls.some((c) => c.includes('poweroff'))).toBe(false);
  });
});
