import { Document, Scalar, visit, type ScalarTag } from 'yaml';
import { AnsibleRole as AnsibleRoleSchema, type Cloud, type Pack } from './packs.js';
import { isPlainUrl, roleProblems } from './ansible-roles.js';
import { valuesOf, type Values } from './values.js';

/**
 * What a builder VM runs: one #cloud-config document that installs Ansible, writes a generated
 * playbook (the Kubernetes install for the profile's version unless the pack skips it, then the
 * pack's roles in order) and its requirements, runs it, cleans the machine for reuse
 * (`cloud-init clean`, machine-id truncated, logs, SSH host keys and the bake's own files removed)
 * and signals the outcome back to the agent API. The builder's disk then becomes the image.
 *
 * The base image is Debian or Ubuntu (the install uses apt and pkgs.k8s.io's deb repositories) with
 * systemd, cloud-init and python3, as the clouds' Debian and Ubuntu images are.
 */

export type AnsibleRole = NonNullable<Pack['os']>['ansibleRoles'][number];

export interface BakeScriptInput {
  /** The bake (image record id and attempt): names the signal and the files. */
  readonly bakeId: string;
  readonly cloud: Cloud;
  readonly arch: 'amd64' | 'arm64';
  /** Install kubeadm, kubelet, kubectl and containerd at this version; undefined when the image ships them. */
  readonly kubernetesVersion?: string;
  readonly roles: readonly AnsibleRole[];
  /** Where and how the builder reports its outcome: POST {succeeded, message} with `Authorization: Bearer <token>`. */
  readonly signal: { readonly url: string; readonly token: string };
}

/** The body a builder posts to its signal URL. */
export interface BakeSignal {
  readonly succeeded: boolean;
  /** The last lines of the playbook's output (on failure, the failing task's message). */
  readonly message: string;
}

/** Where the signal settings live in the builder's user data (the simulated builder reads them the same way). */
export const BAKE_ENV = '/etc/strata/bake.env';

/** The signal settings a builder reads from its user data. */
export function bakeSettingsFrom(userDataText: string): { bakeId: string; url: string; token: string } | undefined {
  const bakeId = /STRATA_BAKE_ID=(\S+)/.exec(userDataText)?.[1];
  const url = /STRATA_BAKE_SIGNAL_URL=(\S+)/.exec(userDataText)?.[1];
  const token = /STRATA_BAKE_TOKEN=(\S+)/.exec(userDataText)?.[1];
  return bakeId && url && token ? { bakeId, url, token } : undefined;
}

/** The bake's own files on the builder; the clean-up removes the directory. */
const BAKE_DIR = '/var/lib/strata-bake';
const RUN_SH = `${BAKE_DIR}/run.sh`;
const PLAYBOOK = `${BAKE_DIR}/playbook.yml`;
const REQUIREMENTS = `${BAKE_DIR}/requirements.yml`;
/** sha256sum's check file for the digest-pinned archives. */
const CHECKSUMS = `${BAKE_DIR}/archives.sha256`;
/** The run's log: in /run (tmpfs), so nothing of it is left on the disk that becomes the image. */
const LOG = '/run/strata-bake.log';
/** The apt lock can be held by unattended-upgrades on a first boot: wait for it rather than fail. */
const APT_LOCK_TIMEOUT = 600;
/** Lines of the log a signal carries (the API keeps the last 2000 characters of at most 8192). */
const SIGNAL_LINES = 20;

const KUBERNETES_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const BAKE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The roles with their vars parsed, checked against the pack's rules again (the playbook and the shell script are built from them). */
interface CheckedRole {
  readonly role: AnsibleRole;
  readonly vars: Values;
}

function checkRoles(roles: readonly AnsibleRole[]): CheckedRole[] {
  const problem = roleProblems(roles)[0];
  if (problem) throw new Error(`role ${problem.index + 1} (${JSON.stringify(roles[problem.index]!.name)}): ${problem.message}`);
  return roles.map((role, i) => {
    const parsed = AnsibleRoleSchema.safeParse(role);
    if (!parsed.success) throw new Error(`role ${i + 1} (${JSON.stringify(role.name)}): ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'role'}: ${issue.message}`).join('; ')}`);
    return { role, vars: role.vars === undefined ? {} : valuesOf(role.vars) };
  });
}

/** Where a digest-pinned role's archive is downloaded to (names are letters, digits, dots, dashes and underscores). */
const archivePath = (role: AnsibleRole) => `${BAKE_DIR}/archives/${role.name}.tar.gz`;

/** One requirement per role name: the same role listed twice (with other vars) is installed once. */
function uniqueRequirements(roles: readonly CheckedRole[]): AnsibleRole[] {
  const byName = new Map<string, AnsibleRole>();
  for (const { role } of roles) {
    const seen = byName.get(role.name);
    if (!seen) byName.set(role.name, role);
  }
  return [...byName.values()];
}

/**
 * ansible-galaxy's requirements.yml for the pack's roles (YAML text): a Galaxy name, a git+https
 * URL (at the version's tag) or an https tar.gz. A role pinned by a digest is installed from the
 * archive run.sh downloaded from its https source to the bake's directory and checked with
 * `sha256sum --check` before ansible-galaxy runs: its `src` here is that local file, so
 * ansible-galaxy never fetches it itself and installs exactly the bytes the digest names.
 */
export function bakeRequirements(roles: readonly AnsibleRole[]): string {
  const requirements = uniqueRequirements(checkRoles(roles)).map((role) => ({
    name: role.name,
    src: role.digest !== undefined ? archivePath(role) : (role.source ?? role.name),
    ...(role.version !== undefined ? { version: role.version } : {}),
  }));
  return ansibleYaml({ roles: requirements }, 'ansible-galaxy requirements of a Strata bake (core/bake-script.ts)');
}

/**
 * The generated playbook (YAML text): one play on the builder itself. First, unless the image
 * ships Kubernetes, the install kubeadm's documentation describes: containerd (systemd cgroups),
 * kubeadm, kubelet and kubectl at exactly the version from the version's own pkgs.k8s.io
 * repository, held and pinned; the kernel modules and sysctls kubeadm checks; swap off. Then the
 * pack's roles in order, each with its vars. Only ansible.builtin modules (ansible-core has no
 * collections) that exist since ansible-core 2.12 (Ubuntu 22.04's).
 *
 * Roles are imported (import_role, static): a role that is not installed fails the playbook's
 * syntax check instead of the bake's middle, and each is run once per listing, with its vars.
 * Vars mean what the platform's YAML reads (YAML 1.2, the image signature's reading too: `yes` is
 * the string "yes"); they are written so that Ansible's YAML 1.1 reads the same values. Strings in
 * them are still Jinja templates to Ansible, as any role var is.
 */
export function bakePlaybook(input: BakeScriptInput): string {
  checkBakeId(input.bakeId);
  const roles = checkRoles(input.roles);
  const tasks: Record<string, unknown>[] = [];
  // Strata installs what a node runs: Kubernetes and the agent's runtime. An image that ships Kubernetes ships that too.
  if (input.kubernetesVersion !== undefined) tasks.push(...kubernetesTasks(input.kubernetesVersion), ...nodeRuntimeTasks());
  roles.forEach(({ role, vars }, i) => {
    tasks.push({
      name: `Role ${i + 1} of ${roles.length}: ${role.name}${role.version !== undefined ? ` ${role.version}` : ''}`,
      'ansible.builtin.import_role': { name: role.name },
      ...(Object.keys(vars).length > 0 ? { vars } : {}),
    });
  });
  const play = {
    name: `Strata bake ${input.bakeId}`,
    hosts: 'localhost',
    connection: 'local',
    become: true,
    gather_facts: true,
    tasks,
  };
  return ansibleYaml([play], `Strata bake ${input.bakeId} (core/bake-script.ts)`);
}

/** The Node.js major the agent runs on: control-plane nodes start it from the image (core/bootstrap.ts). */
const NODE_MAJOR = 22;

/** Node.js for the Strata agent, from NodeSource's apt repository (signed, pinned to one major). */
function nodeRuntimeTasks(): Record<string, unknown>[] {
  const keyring = '/etc/apt/keyrings/nodesource.asc';
  return [
    { name: 'Keyrings directory', 'ansible.builtin.file': { path: '/etc/apt/keyrings', state: 'directory', mode: '0755' } },
    {
      name: 'NodeSource package signing key',
      'ansible.builtin.get_url': { url: 'https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key', dest: keyring, mode: '0644', force: true },
      register: 'nodesource_key',
      until: 'nodesource_key is succeeded',
      retries: 5,
      delay: 10,
    },
    {
      name: `Node.js ${NODE_MAJOR}.x package repository`,
      'ansible.builtin.copy': { dest: '/etc/apt/sources.list.d/nodesource.list', content: `deb [signed-by=${keyring}] https://deb.nodesource.com/node_${NODE_MAJOR}.x nodistro main\n`, mode: '0644' },
    },
    { name: `Node.js ${NODE_MAJOR} for the Strata agent`, 'ansible.builtin.apt': { name: ['nodejs'], update_cache: true, lock_timeout: APT_LOCK_TIMEOUT } },
  ];
}

function kubernetesTasks(version: string): Record<string, unknown>[] {
  const m = KUBERNETES_VERSION.exec(version);
  if (!m) throw new Error(`Kubernetes version ${JSON.stringify(version)} is not a release such as 1.31.2`);
  const minor = `${m[1]}.${m[2]}`;
  // kubeadm's install: one repository per minor release, signed by its Release.key. apt reads an
  // ASCII-armored key from a .asc keyring, so no gpg --dearmor is needed.
  const repo = `https://pkgs.k8s.io/core:/stable:/v${minor}/deb/`;
  const keyring = '/etc/apt/keyrings/kubernetes-apt-keyring.asc';
  const pin = `${version}-*`;
  const packages = ['kubeadm', 'kubelet', 'kubectl'];
  return [
    { name: `Kubernetes ${version}: containerd and what the install needs`, 'ansible.builtin.apt': { name: ['ca-certificates', 'curl', 'containerd'], update_cache: true, lock_timeout: APT_LOCK_TIMEOUT } },
    { name: 'Keyrings directory', 'ansible.builtin.file': { path: '/etc/apt/keyrings', state: 'directory', mode: '0755' } },
    {
      name: `Kubernetes v${minor} package signing key`,
      'ansible.builtin.get_url': { url: `${repo}Release.key`, dest: keyring, mode: '0644', force: true },
      register: 'release_key',
      until: 'release_key is succeeded',
      retries: 5,
      delay: 10,
    },
    { name: `Kubernetes v${minor} package repository`, 'ansible.builtin.copy': { dest: '/etc/apt/sources.list.d/kubernetes.list', content: `deb [signed-by=${keyring}] ${repo} /\n`, mode: '0644' } },
    { name: `Pin kubeadm, kubelet and kubectl at ${version}`, 'ansible.builtin.copy': { dest: '/etc/apt/preferences.d/kubernetes', content: `Package: ${packages.join(' ')}\nPin: version ${pin}\nPin-Priority: 1001\n`, mode: '0644' } },
    { name: `kubeadm, kubelet and kubectl ${version}`, 'ansible.builtin.apt': { name: packages.map((p) => `${p}=${pin}`), update_cache: true, lock_timeout: APT_LOCK_TIMEOUT } },
    { name: `Hold kubeadm, kubelet and kubectl at ${version}`, 'ansible.builtin.dpkg_selections': { name: '{{ item }}', selection: 'hold' }, loop: packages },
    { name: 'Kernel modules for containers and bridged traffic, at boot', 'ansible.builtin.copy': { dest: '/etc/modules-load.d/kubernetes.conf', content: 'overlay\nbr_netfilter\n', mode: '0644' } },
    { name: 'Kernel modules for containers and bridged traffic, now', 'ansible.builtin.command': { argv: ['modprobe', '{{ item }}'] }, loop: ['overlay', 'br_netfilter'], changed_when: false },
    {
      name: 'Sysctls kubeadm checks',
      'ansible.builtin.copy': { dest: '/etc/sysctl.d/99-kubernetes.conf', content: 'net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\n', mode: '0644' },
    },
    { name: 'Apply the sysctls', 'ansible.builtin.command': { argv: ['sysctl', '--system'] }, changed_when: false },
    { name: 'Swap off now', 'ansible.builtin.command': { argv: ['swapoff', '-a'] }, changed_when: false },
    { name: 'Swap off at boot', 'ansible.builtin.replace': { path: '/etc/fstab', regexp: '^(\\s*[^#\\s]\\S*\\s+\\S+\\s+swap\\s.*)$', replace: '# \\1' } },
    { name: 'containerd configuration directory', 'ansible.builtin.file': { path: '/etc/containerd', state: 'directory', mode: '0755' } },
    { name: "containerd's default configuration", 'ansible.builtin.shell': { cmd: 'containerd config default > /etc/containerd/config.toml' } },
    { name: 'containerd runs runc with systemd cgroups, as the kubelet does', 'ansible.builtin.lineinfile': { path: '/etc/containerd/config.toml', regexp: '^(\\s*)SystemdCgroup\\s*=', line: '\\1SystemdCgroup = true', backrefs: true } },
    { name: 'containerd is set to systemd cgroups', 'ansible.builtin.command': { argv: ['grep', '-Eq', '^\\s*SystemdCgroup = true$', '/etc/containerd/config.toml'] }, changed_when: false },
    { name: 'crictl talks to containerd', 'ansible.builtin.copy': { dest: '/etc/crictl.yaml', content: 'runtime-endpoint: unix:///run/containerd/containerd.sock\n', mode: '0644' } },
    { name: 'containerd enabled, restarted with its configuration', 'ansible.builtin.systemd': { name: 'containerd', enabled: true, state: 'restarted', daemon_reload: true } },
    { name: 'kubelet enabled (kubeadm starts it on the node)', 'ansible.builtin.systemd': { name: 'kubelet', enabled: true } },
  ];
}

/** The builder's user data: #cloud-config. Must contain the three STRATA_BAKE_* settings bakeSettingsFrom reads. */
export function builderUserData(input: BakeScriptInput): string {
  checkBakeId(input.bakeId);
  const { url, token } = input.signal;
  // bake.env is read line by line (never sourced), and bakeSettingsFrom takes a value up to the first space.
  if (!/^https?:\/\/\S+$/.test(url) || !isPlainUrl(url)) throw new Error(`the signal URL ${JSON.stringify(url)} is not an http(s) URL of printable ASCII without spaces`);
  if (!/^[\x21-\x7e]+$/.test(token)) throw new Error('the bake token must be printable ASCII without spaces');
  const roles = checkRoles(input.roles);
  const requirements = uniqueRequirements(roles);
  const pinned = requirements.filter((r) => r.digest !== undefined);
  const files: Record<string, unknown>[] = [
    // First, root-only: the token is in this file and nowhere else in the user data.
    { path: BAKE_ENV, owner: 'root:root', permissions: '0600', content: `STRATA_BAKE_ID=${input.bakeId}\nSTRATA_BAKE_SIGNAL_URL=${url}\nSTRATA_BAKE_TOKEN=${token}\n` },
    { path: PLAYBOOK, owner: 'root:root', permissions: '0600', content: bakePlaybook(input) },
  ];
  if (requirements.length > 0) files.push({ path: REQUIREMENTS, owner: 'root:root', permissions: '0600', content: bakeRequirements(input.roles) });
  if (pinned.length > 0) files.push({ path: CHECKSUMS, owner: 'root:root', permissions: '0600', content: pinned.map((r) => `${r.digest!.slice('sha256:'.length)}  ${archivePath(r)}\n`).join('') });
  files.push({ path: RUN_SH, owner: 'root:root', permissions: '0700', content: runScript(input, requirements) });
  const doc = {
    write_files: files,
    // Detached (a transient systemd unit): run.sh waits for cloud-init to finish before it cleans.
    // `cloud-init clean` inside runcmd would be undone by what cloud-init writes after runcmd
    // (its boot-finished marker, which would then be a directory where the next boot links the
    // instance's, and its status), and the image's first boot would fail.
    runcmd: [['systemd-run', '--unit=strata-bake', '--description=Strata node-image bake', '--property=StandardOutput=journal+console', '--property=StandardError=journal+console', RUN_SH]],
  };
  return `#cloud-config\n${ansibleYaml(doc)}`;
}

function checkBakeId(bakeId: string): void {
  if (!BAKE_ID.test(bakeId)) throw new Error(`the bake id ${JSON.stringify(bakeId)} is not letters, digits, dots, dashes and underscores`);
}

/** A shell word: single-quoted, so nothing in it is expanded. */
const sh = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * run.sh: the bake as plain shell. Every step's output goes to the log; a step that fails signals
 * {succeeded: false} with the log's last lines and stops, leaving the machine as it is (the bake
 * terminates a builder that failed). After the playbook: the success signal's body is taken from
 * the log, the machine is cleaned (the bake's files, bake.env among them, are gone by then: the
 * settings are in the shell's variables), the signal is posted, and the builder powers off so
 * nothing more is written to the disk that becomes the image.
 */
function runScript(input: BakeScriptInput, requirements: readonly AnsibleRole[]): string {
  const pinned = requirements.filter((r) => r.digest !== undefined);
  const needsGit = requirements.some((r) => r.source?.startsWith('git+'));
  const lines = [
    '#!/bin/sh',
    `# Strata bake ${input.bakeId}: customizes this builder into a node image (generated by core/bake-script.ts).`,
    'set -eu',
    '# The system\'s umask for what the playbook installs; the log and the signal body are root-only.',
    'umask 022',
    `export HOME=/root DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 ANSIBLE_ROLES_PATH=${BAKE_DIR}/roles ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0`,
    `LOG=${LOG}`,
    `BODY=/run/strata-bake-signal.json`,
    '',
    '# The settings, read (never sourced: a URL may hold & or ;) before the clean-up removes their file.',
    `setting() { sed -n "s/^$1=//p" ${BAKE_ENV}; }`,
    'BAKE=$(setting STRATA_BAKE_ID)',
    'SIGNAL_URL=$(setting STRATA_BAKE_SIGNAL_URL)',
    'TOKEN=$(setting STRATA_BAKE_TOKEN)',
    '[ -n "$BAKE" ] && [ -n "$SIGNAL_URL" ] && [ -n "$TOKEN" ] || { echo "strata-bake: no signal settings in ' + BAKE_ENV + '" >&2; exit 1; }',
    '',
    'say() { echo "strata-bake $BAKE: $*" | tee -a "$LOG"; }',
    '# The signal body, {succeeded, message}: the log\'s last lines, quoted as JSON by python3 (cloud-init runs on it).',
    `body() { tail -n ${SIGNAL_LINES} "$LOG" | python3 -c 'import json, sys; print(json.dumps({"succeeded": sys.argv[1] == "true", "message": sys.stdin.buffer.read().decode("utf-8", "replace")[-4000:]}))' "$1" > "$BODY"; }`,
    '# POST it; the token goes to curl on stdin, not on its command line. 4xx answers are final.',
    'post() { printf \'Authorization: Bearer %s\\n\' "$TOKEN" | curl -fsS --retry 10 --retry-connrefused --max-time 60 -H @- -H \'Content-Type: application/json\' --data-binary "@$BODY" "$SIGNAL_URL"; }',
    '# A step failed: signal it with the log\'s tail and stop; the machine is left as it is (the bake terminates it).',
    'fail() { say "FAILED: $*"; body false && post || say "the failure could not be signalled"; exit 1; }',
    '# One step, its output to the log.',
    'run() { "$@" >>"$LOG" 2>&1 || fail "$* (exit $?)"; }',
    '',
    '(umask 077 && : >"$LOG" && : >"$BODY")',
    'say "waiting for cloud-init to finish"',
    'cloud-init status --wait >>"$LOG" 2>&1 || say "cloud-init reported an error (above); the bake goes on"',
    'command -v apt-get >/dev/null 2>&1 || fail "the base image has no apt-get: the bake installs Debian packages (Debian and Ubuntu images)"',
    'say "installing Ansible"',
    `run apt-get -o DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT} -o Acquire::Retries=3 update`,
    `run apt-get -o DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT} -o Acquire::Retries=3 install -y --no-install-recommends ansible-core python3-apt${needsGit ? ' git' : ''}`,
  ];
  if (pinned.length > 0) {
    lines.push('say "downloading the digest-pinned roles"', `run mkdir -p ${BAKE_DIR}/archives`);
    for (const role of pinned) lines.push(`run curl -fsSL --proto =https --retry 5 --retry-connrefused --max-time 600 -o ${archivePath(role)} ${sh(role.source!)}`);
    lines.push(`say "checking their sha256 digests"`, `run sha256sum --check --strict ${CHECKSUMS}`);
  }
  if (requirements.length > 0) lines.push('say "installing the roles"', `run ansible-galaxy role install -r ${REQUIREMENTS} -p ${BAKE_DIR}/roles`);
  lines.push(
    'say "running the playbook"',
    `run ansible-playbook -i localhost, ${PLAYBOOK}`,
    '',
    'say "the playbook succeeded; cleaning the machine for reuse"',
    'body true || fail "the signal body could not be made"',
    '# The bake\'s own files (bake.env too), Ansible\'s, and package caches and lists.',
    `run rm -rf ${BAKE_DIR} /root/.ansible ${BAKE_ENV}`,
    'rmdir /etc/strata 2>/dev/null || true',
    'run apt-get clean',
    'run rm -rf /var/lib/apt/lists/*',
    '# What is per instance: cloud-init\'s state, seed and logs, the machine id, SSH host keys and login keys.',
    'run cloud-init clean --logs --seed',
    'run truncate -s 0 /etc/machine-id',
    'run rm -f /var/lib/dbus/machine-id /etc/ssh/ssh_host_* /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys',
  );
  if (input.cloud === 'azure') {
    lines.push('# The Azure agent\'s state of this VM.', 'systemctl stop walinuxagent.service >>"$LOG" 2>&1 || true', 'run rm -rf /var/lib/waagent /var/log/waagent.log');
  }
  lines.push(
    '# Shell histories, temporary files, the journal and logs (rotated ones removed, the others emptied).',
    'run rm -f /root/.bash_history /home/*/.bash_history',
    "run find /tmp /var/tmp -mindepth 1 -maxdepth 1 ! -name 'systemd-private-*' -exec rm -rf {} +",
    'journalctl --rotate >>"$LOG" 2>&1 || true',
    'run rm -rf /var/log/journal/*',
    "run find /var/log -type f \\( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' \\) -delete",
    'run find /var/log -type f -exec truncate -s 0 {} +',
    'run sync',
    '',
    'say "signalling success"',
    'post >>"$LOG" 2>&1 || fail "the success signal was not delivered"',
    'say "powering off: the disk becomes the image"',
    'systemctl --no-block poweroff',
    '',
  );
  return lines.join('\n');
}

/**
 * YAML that PyYAML (Ansible's and cloud-init's reader, YAML 1.1) reads back as exactly `value`:
 * strings YAML 1.1 would take for something else are quoted (yes, on, 0777, 1:20, 2001-12-14),
 * and so are `<<` and `=` (PyYAML's merge and value tags), line separators it would fold,
 * characters its reader refuses (escaped), and multi-line text with tabs (libyaml refuses a block
 * scalar line that starts with one); exponent numbers get the dot PyYAML's float needs.
 */
function ansibleYaml(value: unknown, comment?: string): string {
  // Without the merge tag, whose stringify writes `<<` plain whatever the node's style says.
  const doc = new Document(value, { version: '1.1', customTags: (tags) => [PY_FLOAT_EXP, ...tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:merge')] });
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && needsDoubleQuotes(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  if (comment) doc.commentBefore = ` ${comment}`;
  // Double-quoted strings as JSON writes them, on one line: every JSON escape is a YAML one, and
  // the yaml package's own multi-line form of them can lose a blank before a line break.
  const text = doc.toString({ lineWidth: 0, doubleQuotedAsJSON: true });
  // Only double-quoted scalars hold these characters now, where an escape is read back as the character.
  return text.replace(NEEDS_ESCAPE_G, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * Strings only the double-quoted style gives back to PyYAML: `<<` and `=`, characters that need an
 * escape, and multi-line text a block scalar would change for libyaml (a carriage return, a tab
 * where a line may start with it, a line of blanks only, which it reads as an empty line).
 */
const needsDoubleQuotes = (s: string) =>
  s === '<<' || s === '=' || NEEDS_ESCAPE.test(s) || s.includes('\r') || (s.includes('\n') && (s.includes('\t') || s.split('\n').some((line) => line !== '' && line.trim() === '')));
/** What JSON.stringify (the double-quoted style's escaping) leaves raw that PyYAML refuses or reads as a line break. */
const NEEDS_ESCAPE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/;
const NEEDS_ESCAPE_G = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

/** 1e+21 is a string to PyYAML (its float needs a dot): written 1.0e+21. */
const PY_FLOAT_EXP: ScalarTag = {
  identify: (v) => typeof v === 'number' && /^-?\d+e/.test(String(v)),
  default: true,
  tag: 'tag:yaml.org,2002:float',
  // A test, as the tags stringify prefers over those without one.
  test: /^[-+]?\d+\.0e[-+]\d+$/,
  resolve: (text) => parseFloat(text),
  stringify: ({ value }) => String(value).replace('e', '.0e'),
};
