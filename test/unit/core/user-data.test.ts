import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { bootstrapSettingsFrom, userData, type UserDataOptions } from '../../../core/bootstrap.js';
import { HELD_PACKAGES, osPatchScript, parseOsPatchOutput } from '../../../core/os-patch-script.js';
import { bundleBase, bundleOf, plannedNode } from './bundle-input.js';
import type { PlannedNode } from '../../../core/provisioning.js';

/**
 * User data is checked by cloud-init's own schema (`cloud-init schema`), the check a node's
 * cloud-init applies: a key it does not know or a wrong type would be skipped or break the boot.
 */
const MISSING = 'cloud-init is not installed: the user-data tests validate with its schema. Install it (apt-get install cloud-init; .ci/run does in CI).';

let dir: string;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-user-data-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `cloud-init schema --config-file` on the text: its exit code and what it said. */
async function cloudInitSchema(text: string): Promise<{ code: number; output: string }> {
  const file = join(dir, `user-data-${files++}.txt`);
  await writeFile(file, text);
  return new Promise((resolve, reject) =>
    execFile('cloud-init', ['schema', '--config-file', file], (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return reject(new Error(MISSING));
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    }),
  );
}

/** `sh -n`: the shell parses the command without running it. */
const shellParses = (script: string) =>
  new Promise<boolean>((resolve) => execFile('sh', ['-n', '-c', script], (err) => resolve(!err)));

const KINDS = {
  'first control plane': { role: 'controlPlane', index: 0 },
  'joining control plane': { role: 'controlPlane', index: 1 },
  worker: { role: 'worker', index: 0 },
} as const;
const PATCHING: Record<string, UserDataOptions> = {
  'no patching': {},
  'patch on boot': { patchOnBoot: true },
};
const API_NAME = 'strata-demo-api.westeurope.cloudapp.azure.com';

/**
 * What each cloud asks of its nodes: nothing (simulated), the kubelet's providerID (AWS), an API
 * host entry (Azure: control planes map the name to themselves, joining ones only once joined).
 */
const CLOUDS: Record<string, (role: 'controlPlane' | 'worker') => UserDataOptions> = {
  'no api host': () => ({}),
  'aws provider id, no api host': () => ({ awsProviderId: true }),
  'api host': (role) => ({ apiHost: role === 'controlPlane' ? { name: API_NAME, address: '127.0.0.1', joinAddress: '10.0.1.4' } : { name: API_NAME, address: '10.0.1.4' } }),
};

const bootstrap = { url: 'https://agent.example/agent/v1/bootstrap', ticket: 'sbt.t.cl-1.demo-cp-0.1900000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };

const cases = Object.entries(KINDS).flatMap(([kind, node]) =>
  Object.entries(PATCHING).flatMap(([patch, p]) => Object.entries(CLOUDS).map(([cloud, c]) => ({ label: `${kind}, ${patch}, ${cloud}`, node, options: { ...p, ...c(node.role) } }))),
);

interface Doc {
  package_update?: boolean;
  package_upgrade?: boolean;
  package_reboot_if_required?: boolean;
  write_files: { path: string; content: string; append?: boolean; defer?: boolean; permissions?: string }[];
  runcmd: string[][];
}

describe('user data: one #cloud-config document that cloud-init accepts', () => {
  it('the check refuses what is not cloud-config (a shell script, a bad key)', async () => {
    const script = await cloudInitSchema('#!/bin/sh\nkubeadm join --config /etc/kubernetes/kubeadm.yaml\n');
    expect(script.code).not.toBe(0);
    expect(script.output).toMatch(/#cloud-config/);
    const badKey = await cloudInitSchema('#cloud-config\nwrite_files:\n  - path: /etc/hosts\n    appendd: true\n    content: x\n');
    expect(badKey.code).not.toBe(0);
    expect(badKey.output).toMatch(/appendd/);
  });

  it.concurrent.each(cases)('$label', async ({ node, options }) => {
    const text = userData(node, bootstrap, options);
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const docs = parseAllDocuments(text);
    expect(Array.isArray(docs) ? docs.length : 0).toBe(1);
    expect(Array.isArray(docs) && docs[0]!.errors).toEqual([]);

    const result = await cloudInitSchema(text);
    expect(result.output).toMatch(/Valid cloud-config/);
    expect(result.code).toBe(0);

    const doc = parse(text) as Doc;
    expect(bootstrapSettingsFrom(text)).toEqual(bootstrap);
    for (const cmd of doc.runcmd) if (cmd[0] === 'sh') expect(await shellParses(cmd[2]!)).toBe(true);
    const kubeadm = doc.runcmd.findIndex((c) => c[0] === 'kubeadm');
    expect(doc.runcmd[kubeadm]![1]).toBe(node.role === 'controlPlane' && node.index === 0 ? 'init' : 'join');

    // cloud-init's own upgrade would move the kubelet and containerd with the rest; its reboot would run its stages again.
    expect(doc).not.toHaveProperty('package_upgrade');
    expect(doc).not.toHaveProperty('package_update');
    expect(doc).not.toHaveProperty('package_reboot_if_required');
    expect(doc).not.toHaveProperty('power_state');
    const patch = doc.runcmd.findIndex((c) => c[0] === 'sh' && c[2]!.includes('apt-get'));
    if (options.patchOnBoot) {
      const bundle = doc.runcmd.findIndex((c) => c[0] === 'sh' && c[2]!.includes('strata-bootstrap.tar.gz'));
      expect(patch).toBeGreaterThan(bundle);
      expect(patch).toBeLessThan(kubeadm);
      expect(doc.runcmd[patch]![2]).toBe(osPatchScript());
    } else {
      expect(patch).toBe(-1);
    }
    expect(text).not.toMatch(/systemctl (--no-block )?reboot|shutdown -r|power_state/);

    const hosts = doc.write_files.filter((f) => f.path === '/etc/hosts');
    const joining = node.role === 'controlPlane' && node.index > 0;
    const remap = doc.runcmd.findIndex((c) => c[0] === 'sed');
    if (options.apiHost) {
      const { name, address, joinAddress } = options.apiHost;
      // Appended (never replacing the image's entries), after cloud-init's own /etc/hosts step.
      expect(hosts).toEqual([{ path: '/etc/hosts', append: true, defer: true, content: `\n${joining && joinAddress ? joinAddress : address} ${name}\n` }]);
      if (joining && joinAddress) {
        expect(remap).toBe(kubeadm + 1);
        expect(doc.runcmd[remap]).toEqual(['sed', '-i', expect.any(String), '/etc/hosts']);
      } else {
        expect(remap).toBe(-1);
      }
    } else {
      expect(hosts).toEqual([]);
      expect(remap).toBe(-1);
    }

    const providerId = doc.runcmd.findIndex((c) => c[0] === 'sh' && c[2]!.includes('--provider-id'));
    if (options.awsProviderId) {
      expect(providerId).toBeGreaterThan(-1);
      expect(providerId).toBeLessThan(kubeadm);
      expect(doc.runcmd[providerId]![2]).toContain('X-aws-ec2-metadata-token');
    } else {
      expect(providerId).toBe(-1);
    }
  });

  it('a joining control plane maps the name to itself once joined, that entry only', async () => {
    const text = userData(KINDS['joining control plane'], bootstrap, { apiHost: { name: API_NAME, address: '127.0.0.1', joinAddress: '10.0.1.4' } });
    const sed = (parse(text) as Doc).runcmd.find((c) => c[0] === 'sed')!;
    const file = join(dir, 'hosts');
    await writeFile(file, `127.0.0.1 localhost\n10.0.1.4 other.example\n10.0.104 ${API_NAME}\n\n10.0.1.4 ${API_NAME}\n`);
    await new Promise<void>((resolve, reject) => execFile('sed', [...sed.slice(1, -1), file], (err) => (err ? reject(err) : resolve())));
    expect(await readFile(file, 'utf8')).toBe(`127.0.0.1 localhost\n10.0.1.4 other.example\n10.0.104 ${API_NAME}\n\n127.0.0.1 ${API_NAME}\n`);
    // The first control plane serves the API before anything needs the name; workers never do.
    expect(userData(KINDS['first control plane'], bootstrap, { apiHost: { name: API_NAME, address: '127.0.0.1', joinAddress: '10.0.1.4' } })).toContain(`127.0.0.1 ${API_NAME}`);
    expect(userData(KINDS['first control plane'], bootstrap, { apiHost: { name: API_NAME, address: '127.0.0.1', joinAddress: '10.0.1.4' } })).not.toContain('sed');
  });

  it('refuses an /etc/hosts entry that is not an IP and a DNS name', () => {
    expect(() => userData(KINDS.worker, bootstrap, { apiHost: { name: 'api.example\n127.0.0.1 evil', address: '10.0.0.1' } })).toThrow(/DNS name/);
    expect(() => userData(KINDS.worker, bootstrap, { apiHost: { name: 'api.example', address: 'not-an-ip' } })).toThrow(/IP address/);
    expect(() => userData(KINDS['joining control plane'], bootstrap, { apiHost: { name: 'api.example', address: '127.0.0.1', joinAddress: '10.0.1.4 x' } })).toThrow(/IP address/);
  });
});

describe('the OS patch at first boot', () => {
  /**
   * The script for real, in a scratch root: dpkg-query, apt-mark and apt-get are stand-ins over a
   * package list (name version held), apt-get upgrade moves every package not held to `upgrades`.
   */
  async function runPatch(installed: string, upgrades: Record<string, string>, options: { rebootRequired?: boolean; aptFails?: boolean } = {}) {
    const root = await mkdtemp(join(dir, 'patch-'));
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(root, 'bin'));
    await writeFile(join(root, 'packages'), installed);
    await writeFile(join(root, 'upgrades'), Object.entries(upgrades).map(([p, v]) => `${p} ${v}`).join('\n') + '\n');
    // -W -f=FORMAT [package]: "ii name version" (hi when held), as dpkg-query prints ${db:Status-Abbrev} ${Package} ${Version}.
    await writeFile(join(root, 'bin', 'dpkg-query'), `#!/bin/sh\nfmt="$2"; pkg="$3"\nawk -v pkg="$pkg" -v fmt="$fmt" '(pkg == "" || $1 == pkg) { s = ($3 == "held" ? "hi " : "ii "); if (fmt ~ /Package/) print s, $1, $2; else printf "%s", s; found = 1 } END { exit(found ? 0 : 1) }' "${root}/packages"\n`, { mode: 0o755 });
    await writeFile(join(root, 'bin', 'apt-mark'), `#!/bin/sh\n[ "$1" = hold ] || exit 2\nawk -v pkg="$2" '$1 == pkg { $3 = "held" } { print }' "${root}/packages" > "${root}/p.new" && mv "${root}/p.new" "${root}/packages"\n`, { mode: 0o755 });
    await writeFile(
      join(root, 'bin', 'apt-get'),
      `#!/bin/sh\necho "apt-get $* DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> "${root}/apt-calls"\n${options.aptFails ? 'case "$*" in *upgrade*) echo "E: Sub-process /usr/bin/dpkg returned an error code (1)" >&2; exit 100;; esac\n' : ''}case "$*" in *upgrade*) awk 'NR == FNR { to[$1] = $2; next } ($1 in to) { if ($3 != "held") $2 = to[$1]; delete to[$1] } { print } END { for (p in to) print p, to[p] }' "${root}/upgrades" "${root}/packages" > "${root}/p.new" && mv "${root}/p.new" "${root}/packages";; esac\n`,
      { mode: 0o755 },
    );
    if (options.rebootRequired) await writeFile(join(root, 'reboot-required'), '*** System restart required ***\n');
    const text = (parse(userData(KINDS.worker, bootstrap, { patchOnBoot: true })) as Doc).runcmd.find((c) => c[0] === 'sh' && c[2]!.includes('apt-get'))![2]!.replaceAll('/var/run/reboot-required', `${root}/reboot-required`);
    const out = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile('sh', ['-c', text], { env: { PATH: `${root}/bin:/usr/bin:/bin` } }, (err, stdout) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout })),
    );
    return { ...out, packages: await readFile(join(root, 'packages'), 'utf8'), apt: await readFile(join(root, 'apt-calls'), 'utf8').catch(() => '') };
  }

  const ubuntu = ['kubelet 1.31.10-1.1 -', 'kubeadm 1.31.10-1.1 -', 'kubectl 1.31.10-1.1 -', 'containerd 1.7.24-0ubuntu1~22.04.1 -', 'libssl3 3.0.2-0ubuntu1.18 -', 'openssl 3.0.2-0ubuntu1.18 -', 'tzdata 2024b-0ubuntu0.22.04.1 -'].join('\n') + '\n';

  it('holds the Kubernetes packages, upgrades the rest keeping configuration files, and names what changed', async () => {
    const r = await runPatch(ubuntu, { kubelet: '1.32.6-1.1', containerd: '1.7.27-0ubuntu1~22.04.1', openssl: '3.0.2-0ubuntu1.19', libssl3: '3.0.2-0ubuntu1.19', 'linux-image-5.15.0-140-generic': '5.15.0-140.150' }, { rebootRequired: true });
    expect(r.code).toBe(0);
    // Held, so the upgrade left them: the Kubernetes version never moves with a patch.
    expect(r.packages).toContain('kubelet 1.31.10-1.1 held');
    expect(r.packages).toContain('containerd 1.7.24-0ubuntu1~22.04.1 held');
    for (const p of ['kubeadm', 'kubectl']) expect(r.packages).toMatch(new RegExp(`^${p} \\S+ held$`, 'm'));
    expect(r.apt).toMatch(/^apt-get .*update DEBIAN_FRONTEND=noninteractive$/m);
    expect(r.apt).toMatch(/^apt-get -y .*-o Dpkg::Options::=--force-confold upgrade DEBIAN_FRONTEND=noninteractive$/m);
    expect(parseOsPatchOutput(r.stdout)).toEqual({
      packages: [
        { name: 'libssl3', from: '3.0.2-0ubuntu1.18', to: '3.0.2-0ubuntu1.19' },
        { name: 'linux-image-5.15.0-140-generic', to: '5.15.0-140.150' },
        { name: 'openssl', from: '3.0.2-0ubuntu1.18', to: '3.0.2-0ubuntu1.19' },
      ],
      rebootRequired: true,
    });
    expect(HELD_PACKAGES).toEqual(expect.arrayContaining(['kubelet', 'kubeadm', 'kubectl', 'containerd', 'cri-tools', 'kubernetes-cni']));
  });

  it('nothing to upgrade: no package named, no reboot required', async () => {
    const r = await runPatch(ubuntu, {});
    expect(r.code).toBe(0);
    expect(parseOsPatchOutput(r.stdout)).toEqual({ packages: [], rebootRequired: false });
  });

  it('an apt failure ends the script non-zero, without the line that says it finished', async () => {
    const r = await runPatch(ubuntu, { openssl: '3.0.2-0ubuntu1.19' }, { aptFails: true });
    expect(r.code).toBe(100);
    expect(parseOsPatchOutput(r.stdout)).toBeUndefined();
  });
});

describe('kubeadm configuration in the bundle', () => {
  const base = bundleBase({ apiEndpoint: 'strata-demo-api-0123456789.elb.us-east-1.amazonaws.com' });
  const planned = (role: PlannedNode['role'], index: number) => plannedNode(role, index);
  const docsOf = (node: PlannedNode, extra: { apiPort?: number } = {}) => {
    const files = bundleOf(base, node, extra);
    return parseAllDocuments(files.find((f) => f.path === '/etc/kubernetes/kubeadm.yaml')!.content).map((d) => d.toJS() as any);
  };
  const init = () => docsOf(planned('controlPlane', 0));

  it('every kind of node runs its kubelet with cloud-provider=external (kubeadm v1beta4 name/value list)', () => {
    const registrations = [init()[0], docsOf(planned('controlPlane', 1))[0], docsOf(planned('worker', 0))[0]].map((d) => d.nodeRegistration);
    for (const r of registrations) {
      expect(r.kubeletExtraArgs).toContainEqual({ name: 'cloud-provider', value: 'external' });
      expect(r.kubeletExtraArgs.find((a: { name: string }) => a.name === 'node-labels').value).toMatch(/^strata\.io\/pool=/);
    }
  });

  it('the first control plane brings a KubeletConfiguration with the node log query on; joins take it from the cluster', () => {
    const docs = init();
    expect(docs.map((d) => d.kind)).toEqual(['InitConfiguration', 'ClusterConfiguration', 'KubeletConfiguration']);
    expect(docs[2]).toEqual({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      enableSystemLogHandler: true,
      enableSystemLogQuery: true,
      featureGates: { NodeLogQuery: true },
    });
    expect(docsOf(planned('controlPlane', 1)).map((d) => d.kind)).toEqual(['JoinConfiguration']);
    expect(docsOf(planned('worker', 0)).map((d) => d.kind)).toEqual(['JoinConfiguration']);
  });

  it("the API server's certificate names the load balancer", () => {
    expect(init()[1].apiServer).toEqual({ certSANs: [base.apiEndpoint] });
  });

  it('the endpoint takes the load balancer port, 6443 by default', () => {
    expect(init()[1].controlPlaneEndpoint).toBe(`${base.apiEndpoint}:6443`);
    expect(docsOf(planned('worker', 0))[0].discovery.bootstrapToken.apiServerEndpoint).toBe(`${base.apiEndpoint}:6443`);
    expect(docsOf(planned('controlPlane', 0), { apiPort: 443 })[1].controlPlaneEndpoint).toBe(`${base.apiEndpoint}:443`);
    expect(docsOf(planned('controlPlane', 2), { apiPort: 443 })[0].discovery.bootstrapToken.apiServerEndpoint).toBe(`${base.apiEndpoint}:443`);
  });
});

describe("the agent's install on a control-plane node", () => {
  const agent = { url: 'https://agent.example/agent/v1/agent', sha256: 'a'.repeat(64) };
  const docOf = (text: string) => parse(text.replace(/^#cloud-config\n/, '')) as Doc;
  const script = (d: Doc) => d.runcmd.find((c) => Array.isArray(c) && c[0] === 'sh' && c[1] === '-ec')?.[2];

  it('comes before the bundle (whose download spends the ticket), with the unit that runs it, and passes cloud-init schema', async () => {
    const text = userData({ role: 'controlPlane', index: 0 }, bootstrap, { agent });
    const d = docOf(text);
    const install = d.runcmd.findIndex((c) => c[1] === '-ec');
    const bundle = d.runcmd.findIndex((c) => typeof c[2] === 'string' && c[2].includes('strata-bootstrap.tar.gz'));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(install).toBeLessThan(bundle);
    expect(d.runcmd.slice(-2)).toEqual([['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', 'strata-agent.service']]);
    expect(d.write_files.find((f) => f.path === '/etc/systemd/system/strata-agent.service')!.content).toContain('ExecStart=/usr/bin/env node /opt/strata/agent/strata-agent.mjs');
    expect(await shellParses(script(d)!)).toBe(true);
    expect(await cloudInitSchema(text)).toMatchObject({ code: 0 });
  });

  it('is not asked of workers, nor where no release is named', () => {
    expect(script(docOf(userData({ role: 'worker', index: 0 }, bootstrap, { agent })))).toBeUndefined();
    expect(script(docOf(userData({ role: 'controlPlane', index: 0 }, bootstrap, {})))).toBeUndefined();
  });

  it('refuses a digest that is not a sha256', () => {
    expect(() => userData({ role: 'controlPlane', index: 0 }, bootstrap, { agent: { ...agent, sha256: 'abc' } })).toThrow(/64 hex digits/);
  });

  /** The script for real, in a scratch root: curl is a stand-in that serves `served` gzipped and counts its calls. */
  async function run(served: string, sha256: string, present?: string) {
    const { gzipSync } = await import('node:zlib');
    const { createHash } = await import('node:crypto');
    const { mkdir } = await import('node:fs/promises');
    const root = await mkdtemp(join(dir, 'agent-'));
    await mkdir(join(root, 'bin'));
    await mkdir(join(root, 'run'));
    await writeFile(join(root, 'served.gz'), gzipSync(served));
    await writeFile(join(root, 'bootstrap.env'), 'STRATA_BOOTSTRAP_TICKET=t\n');
    // curl ... -o <file>: copy the served archive there, and count the call.
    await writeFile(join(root, 'bin', 'curl'), `#!/bin/sh\necho call >> "${root}/curl-calls"\nwhile [ $# -gt 0 ]; do if [ "$1" = -o ]; then cp "${root}/served.gz" "$2"; fi; shift; done\n`, { mode: 0o755 });
    await writeFile(join(root, 'bin', 'node'), '#!/bin/sh\n', { mode: 0o755 });
    if (present !== undefined) {
      await mkdir(join(root, 'opt/strata/agent'), { recursive: true });
      await writeFile(join(root, 'opt/strata/agent/strata-agent.mjs'), present);
    }
    const text = script(docOf(userData({ role: 'controlPlane', index: 0 }, bootstrap, { agent: { ...agent, sha256 } })))!
      .replaceAll('/opt/strata', `${root}/opt/strata`)
      .replaceAll('/etc/strata/bootstrap.env', `${root}/bootstrap.env`)
      .replaceAll('/run/', `${root}/run/`);
    const code = await new Promise<number>((resolve) => execFile('sh', ['-ec', text], { env: { PATH: `${root}/bin:/usr/bin:/bin` } }, (err) => resolve(err ? (typeof err.code === 'number' ? err.code : 1) : 0)));
    const installed = await readFile(join(root, 'opt/strata/agent/strata-agent.mjs'), 'utf8').catch(() => undefined);
    const calls = (await readFile(join(root, 'curl-calls'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    return { code, installed, calls, sha: (s: string) => createHash('sha256').update(s).digest('hex') };
  }

  it('downloads, unpacks and installs the agent when its digest matches', async () => {
    const body = 'console.log("agent v2")\n';
    const sha = (await import('node:crypto')).createHash('sha256').update(body).digest('hex');
    const r = await run(body, sha);
    expect(r).toMatchObject({ code: 0, installed: body, calls: 1 });
  });

  it('keeps the file the image carries when it has the wanted digest: no download', async () => {
    const body = 'console.log("agent baked in")\n';
    const sha = (await import('node:crypto')).createHash('sha256').update(body).digest('hex');
    const r = await run('something else', sha, body);
    expect(r).toMatchObject({ code: 0, installed: body, calls: 0 });
  });

  it('stops, installing nothing, when the download is not the wanted file', async () => {
    const r = await run('console.log("tampered")\n', 'b'.repeat(64));
    expect(r.code).not.toBe(0);
    expect(r.installed).toBeUndefined();
    expect(r.calls).toBe(1);
  });
});
