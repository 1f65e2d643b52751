import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LogManifest, MANIFEST_PATH } from '../../core/log-bundles.js';
import { buildLogArchive, type BundleFile, type CollectLogsArgs } from '../../agent/logs.js';
import { simulatedLogFiles, type SimLogCluster } from '../../local/simulated-logs.js';
import { simulatedKubeBenchReport } from '../../local/simulated-kube-bench.js';

const NOW = Date.parse('2025-11-30T15:04:05.000Z');
const cluster = (over: Partial<SimLogCluster> = {}): SimLogCluster => ({
  clusterId: 'cl-demo',
  nodes: [
    { name: 'demo-cp-0', role: 'controlPlane', ip: '10.0.1.10', bootedAt: NOW - 2 * 3_600_000, kubeletVersion: 'v1.31.10' },
    { name: 'demo-workers-0', role: 'worker', ip: '10.0.1.11', bootedAt: NOW - 2 * 3_600_000, kubeletVersion: 'v1.31.10' },
    { name: 'demo-workers-1', role: 'worker', ip: '10.0.1.12', bootedAt: NOW - 2 * 3_600_000, kubeletVersion: 'v1.31.10' },
  ],
  cni: 'cilium',
  agentLog: [
    JSON.stringify({ time: new Date(NOW - 3 * 3_600_000).toISOString(), level: 'info', message: 'agent started' }),
    JSON.stringify({ time: new Date(NOW - 10 * 60_000).toISOString(), level: 'info', message: 'command done', id: 'cmd-1' }),
  ],
  agentName: 'sim-agent-1a2b3c4d',
  now: NOW,
  ...over,
});
const request = (over: Partial<CollectLogsArgs> = {}): CollectLogsArgs => ({ requestId: 'lr-1', types: ['kube-system', 'platform', 'node'], sinceMinutes: 30, maxLines: 5000, ...over });

const lines = (f: BundleFile) => String(f.content).trimEnd().split('\n').filter(Boolean);
const byPath = (files: BundleFile[]) => new Map(files.map((f) => [f.path, f]));

/** klog: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg — read back as a time in 2025. */
const KLOG = /^([IWE])(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6}) +\d+ [\w.-]+\.go:\d+\] \S/;
const klogTime = (line: string) => {
  const m = KLOG.exec(line);
  if (!m) throw new Error(`not a klog line: ${line}`);
  return Date.UTC(2025, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), Math.floor(Number(m[7]) / 1000));
};

describe('simulated log bundle', () => {
  it("holds a kubeadm cluster's kube-system pods, named as their controllers name them", () => {
    const { files, missing } = simulatedLogFiles(cluster(), request({ types: ['kube-system'] }));
    expect(missing).toEqual([]);
    const pods = files.map((f) => f.pod!.replace('kube-system/', ''));
    for (const name of ['etcd-demo-cp-0', 'kube-apiserver-demo-cp-0', 'kube-controller-manager-demo-cp-0', 'kube-scheduler-demo-cp-0']) expect(pods).toContain(name);
    expect(pods.filter((p) => /^kube-proxy-[a-z0-9]{5}$/.test(p))).toHaveLength(3);
    expect(pods.filter((p) => /^coredns-[a-z0-9]{10}-[a-z0-9]{5}$/.test(p))).toHaveLength(2);
    expect(pods.filter((p) => /^cilium-[a-z0-9]{5}$/.test(p))).toHaveLength(3);
    expect(pods.some((p) => /^cilium-operator-/.test(p))).toBe(true);
    for (const f of files) expect(f.path).toBe(`kube-system/${f.pod!.replace('kube-system/', '')}/${f.container}.log`);
    // Calico runs under its operator in calico-system: nothing of it in kube-system.
    const calico = simulatedLogFiles(cluster({ cni: 'calico' }), request({ types: ['kube-system'] })).files;
    expect(calico.some((f) => /calico|cilium/.test(f.path))).toBe(false);
  });

  it("writes each component's own format, every line within sinceMinutes of the clock", () => {
    const files = byPath(simulatedLogFiles(cluster(), request({ sinceMinutes: 30 })).files);
    const since = NOW - 30 * 60_000;
    for (const component of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
      const f = files.get(`kube-system/${component}-demo-cp-0/${component}.log`)!;
      expect(lines(f).length).toBeGreaterThan(10);
      for (const l of lines(f)) {
        const t = klogTime(l);
        expect(t).toBeGreaterThanOrEqual(since);
        expect(t).toBeLessThanOrEqual(NOW);
      }
    }
    const proxy = [...files.values()].find((f) => f.container === 'kube-proxy')!;
    expect(lines(proxy).every((l) => KLOG.test(l) && l.includes('"SyncProxyRules complete"'))).toBe(true);
    const etcd = files.get('kube-system/etcd-demo-cp-0/etcd.log')!;
    for (const l of lines(etcd)) {
      const entry = JSON.parse(l) as { level: string; ts: string; caller: string; msg: string };
      expect(entry.level).toBe('info');
      expect(Date.parse(entry.ts)).toBeGreaterThanOrEqual(since);
      expect(entry.caller).toMatch(/\.go:\d+$/);
    }
    const coredns = [...files.values()].find((f) => f.container === 'coredns')!;
    expect(lines(coredns).every((l) => /^\[INFO\] 10\.244\.\d+\.\d+:\d+ - \d+ "(A|AAAA) IN \S+ udp \d+ false 512" (NOERROR|NXDOMAIN) qr,aa,rd \d+ [\d.]+s$/.test(l))).toBe(true);
    const kubelet = files.get('nodes/demo-workers-0/kubelet.log')!;
    expect(kubelet).toMatchObject({ type: 'node', node: 'demo-workers-0', source: 'kubelet' });
    for (const l of lines(kubelet)) expect(l).toMatch(/^Nov 30 1[45]:\d{2}:\d{2}\.\d{6} demo-workers-0 kubelet\[812\]: [IW]1130 1[45]:\d{2}:\d{2}\.\d{6} +812 [\w.]+\.go:\d+\] /);
    const containerd = files.get('nodes/demo-workers-0/containerd.log')!;
    for (const l of lines(containerd)) expect(l).toMatch(/^Nov 30 \S+ demo-workers-0 containerd\[640\]: time="2025-11-30T\S+Z" level=info msg="/);
  });

  it('starts a young cluster\'s logs at its boot, with the startup lines', () => {
    const young = cluster({ nodes: cluster().nodes.map((n) => ({ ...n, bootedAt: NOW - 5 * 60_000 })) });
    const api = byPath(simulatedLogFiles(young, request({ sinceMinutes: 60, types: ['kube-system'] })).files).get('kube-system/kube-apiserver-demo-cp-0/kube-apiserver.log')!;
    expect(lines(api)[1]).toMatch(/server\.go:\d+\] Version: v1\.31\.10$/);
    expect(klogTime(lines(api)[0]!)).toBeGreaterThanOrEqual(NOW - 5 * 60_000);
  });

  it('keeps the newest maxLines of each file, saying when it cut', () => {
    const whole = byPath(simulatedLogFiles(cluster(), request({ sinceMinutes: 60 })).files);
    const cut = simulatedLogFiles(cluster(), request({ sinceMinutes: 60, maxLines: 7 })).files;
    // (The platform log also says when lines older than the window were left out: below.)
    for (const f of cut.filter((x) => x.type !== 'platform')) {
      const full = lines(whole.get(f.path)!);
      expect(lines(f).length).toBeLessThanOrEqual(7);
      expect(lines(f)).toEqual(full.slice(-7));
      expect(f.truncated).toBe(full.length > 7);
    }
    expect(cut.filter((f) => f.truncated).length).toBeGreaterThan(10);
    expect([...whole.values()].filter((f) => f.type !== 'platform').every((f) => !f.truncated)).toBe(true);
  });

  it('honours types, nodes and sinceMinutes; a node the cluster does not have is missing, with why', () => {
    const { files, missing } = simulatedLogFiles(cluster(), request({ types: ['node'], nodes: ['demo-workers-1', 'ghost-node'], sinceMinutes: 5 }));
    expect(files.map((f) => f.path).sort()).toEqual(['nodes/demo-workers-1/containerd.log', 'nodes/demo-workers-1/kubelet.log']);
    expect(missing).toEqual([{ type: 'node', target: 'ghost-node', reason: 'no node named ghost-node in the cluster' }]);
    const kubelet = lines(files.find((f) => f.source === 'kubelet')!);
    for (const l of kubelet) expect(klogTime(l.slice(l.indexOf(': ') + 2))).toBeGreaterThanOrEqual(NOW - 5 * 60_000);
    const wider = simulatedLogFiles(cluster(), request({ types: ['node'], nodes: ['demo-workers-1'], sinceMinutes: 60 })).files.find((f) => f.source === 'kubelet')!;
    expect(lines(wider).length).toBeGreaterThan(kubelet.length * 5);
  });

  it("holds the agent's own JSON lines of the window as its platform log", () => {
    const { files } = simulatedLogFiles(cluster(), request({ types: ['platform'], sinceMinutes: 60 }));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ path: 'platform/strata-agent-sim-agent-1a2b3c4d.log', type: 'platform', truncated: true });
    expect(lines(files[0]!).map((l) => JSON.parse(l).message)).toEqual(['command done']);
  });

  it('is the same for the same cluster and time, and packs into an archive whose manifest is valid', async () => {
    const a = simulatedLogFiles(cluster(), request());
    expect(simulatedLogFiles(cluster(), request())).toEqual(a);
    const { archive, manifest } = await buildLogArchive({ requestId: 'lr-1', clusterId: 'cl-demo', agentVersion: 'sim-1.0.0', collectedAt: NOW, request: request() }, a.files, a.missing);
    expect(LogManifest.parse(manifest).files).toHaveLength(a.files.length);
    // tar: the first entry's name is manifest.json.
    expect(gunzipSync(archive).subarray(0, MANIFEST_PATH.length).toString()).toBe(MANIFEST_PATH);
  });
});

describe('simulated kube-bench report', () => {
  type Result = { test_number: string; status: string; scored: boolean; remediation: string; test_desc: string };
  type Section = { section: string; pass: number; fail: number; warn: number; info: number; results: Result[] };
  type Control = { id: string; version: string; node_type: string; tests: Section[]; total_pass: number; total_fail: number; total_warn: number; total_info: number };
  const report = simulatedKubeBenchReport('cl-demo') as unknown as { Controls: Control[]; Totals: Record<string, number> };

  it("covers kube-bench's control-plane targets with CIS 1.8 ids, its counters those of its results", () => {
    expect(report.Controls.map((c) => c.node_type)).toEqual(['master', 'etcd', 'controlplane', 'node', 'policies']);
    const totals = { total_pass: 0, total_fail: 0, total_warn: 0, total_info: 0 };
    const ids = new Set<string>();
    for (const c of report.Controls) {
      expect(c.version).toBe('cis-1.8');
      const sum = { pass: 0, fail: 0, warn: 0, info: 0 };
      for (const s of c.tests) {
        for (const status of ['PASS', 'FAIL', 'WARN', 'INFO']) expect(s[status.toLowerCase() as 'pass']).toBe(s.results.filter((r) => r.status === status).length);
        for (const r of s.results) {
          expect(r.test_number.startsWith(`${c.id}`)).toBe(true);
          expect(ids.has(r.test_number)).toBe(false);
          ids.add(r.test_number);
          expect(r.test_desc).toMatch(/\((Automated|Manual)\)$/);
        }
        sum.pass += s.pass;
        sum.fail += s.fail;
        sum.warn += s.warn;
      }
      expect([c.total_pass, c.total_fail, c.total_warn, c.total_info]).toEqual([sum.pass, sum.fail, sum.warn, sum.info]);
      totals.total_pass += sum.pass;
      totals.total_fail += sum.fail;
      totals.total_warn += sum.warn;
    }
    expect(report.Totals).toEqual(totals);
  });

  it("fails what a kubeadm control plane at its defaults fails, with remediations, the same for a cluster each time", () => {
    const failing = report.Controls.flatMap((c) => c.tests.flatMap((s) => s.results.filter((r) => r.status === 'FAIL')));
    expect(failing.map((r) => r.test_number)).toEqual(expect.arrayContaining(['1.2.16', '1.2.17', '1.3.2', '1.4.1']));
    for (const r of failing) {
      expect(r.scored).toBe(true);
      expect(r.remediation.length).toBeGreaterThan(20);
    }
    expect(report.Totals.total_warn).toBeGreaterThan(0);
    expect(simulatedKubeBenchReport('cl-demo')).toEqual(report);
    const others = ['cl-a', 'cl-b', 'cl-c', 'cl-d', 'cl-e', 'cl-f'].map((id) => JSON.stringify(simulatedKubeBenchReport(id)));
    expect(new Set(others).size).toBeGreaterThan(1);
  });
});
