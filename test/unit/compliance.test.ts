import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMPLIANCE_MAX_FAILING,
  COMPLIANCE_REMEDIATION_MAX,
  COMPLIANCE_TEXT_MAX,
  naturalCompare,
  ReportError,
  summarizeKubeBench,
  type CheckStatus,
  type ComplianceSummary,
} from '../../core/compliance.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '../fixtures/kube-bench');
const readJson = (path: string): any => JSON.parse(readFileSync(path, 'utf8'));

/** The counters a control (or Totals) carries, as the summary names them. */
const countersOf = (c: any) => ({ pass: c.total_pass, fail: c.total_fail, warn: c.total_warn, info: c.total_info });

/** The ReportError summarizeKubeBench throws for `report` (fails the test when it throws none or another error). */
function reportError(report: unknown): ReportError {
  try {
    summarizeKubeBench(report);
  } catch (e) {
    expect(e).toBeInstanceOf(ReportError);
    return e as ReportError;
  }
  throw new Error('expected a ReportError');
}

interface ResultInput {
  test_number: string;
  status: CheckStatus;
  test_desc?: string;
  remediation?: string;
  scored?: boolean;
}

/** A control in kube-bench's shape whose counters agree with its results. */
function control(id: string, nodeType: string, results: ResultInput[], section = `${id}.1`) {
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  return {
    id,
    version: 'cis-1.8',
    text: `Control ${id}`,
    node_type: nodeType,
    tests: [
      {
        section,
        pass: count('PASS'),
        fail: count('FAIL'),
        warn: count('WARN'),
        info: count('INFO'),
        desc: `Section ${section}`,
        results: results.map((r) => ({ test_desc: `check ${r.test_number}`, remediation: `fix ${r.test_number}`, scored: true, ...r })),
      },
    ],
    total_pass: count('PASS'),
    total_fail: count('FAIL'),
    total_warn: count('WARN'),
    total_info: count('INFO'),
  };
}

describe('summarizeKubeBench on kube-bench’s own outputs', () => {
  const fixtures = [
    { file: 'aquasecurity-result.json', form: 'object' },
    { file: 'aquasecurity-result_no_totals.json', form: 'array' },
    { file: 'aquasecurity-controlsCollection.json', form: 'array' },
    { file: 'aquasecurity-passedControlsCollection.json', form: 'array' },
  ] as const;

  for (const { file, form } of fixtures) {
    it(`${file}: totals and per-target counts are the report's own counters`, () => {
      const raw = readJson(join(FIXTURES, file));
      const controls: any[] = Array.isArray(raw) ? raw : raw.Controls;
      const summary = summarizeKubeBench(raw);

      expect(summary.form).toBe(form);
      expect(summary.targets).toEqual(controls.map((c) => ({ target: c.node_type, id: c.id, text: c.text, version: c.version, ...countersOf(c) })));
      const expectedTotals = raw.Totals
        ? countersOf(raw.Totals)
        : controls.reduce((t, c) => ({ pass: t.pass + c.total_pass, fail: t.fail + c.total_fail, warn: t.warn + c.total_warn, info: t.info + c.total_info }), { pass: 0, fail: 0, warn: 0, info: 0 });
      expect(summary.totals).toEqual(expectedTotals);
      // The trimmed fixtures keep only PASS and WARN results: no FAIL to list, whatever the counters say.
      expect(summary.failing).toEqual([]);
      expect(summary.failingTruncated).toBe(false);
    });
  }

  it('the object form takes Totals as printed (49/12/14/0), not a count of its trimmed results', () => {
    const summary = summarizeKubeBench(readJson(join(FIXTURES, 'aquasecurity-result.json')));
    expect(summary.totals).toEqual({ pass: 49, fail: 12, warn: 14, info: 0 });
    expect(summary.targets.map((t) => [t.target, t.id, t.version, t.pass, t.fail, t.warn, t.info])).toEqual([
      ['master', '1', '1.5', 42, 12, 11, 0],
      ['etcd', '2', '1.15', 7, 0, 0, 0],
      ['controlplane', '3', '1.5', 0, 0, 3, 0],
    ]);
    expect(summary.targets[0]?.text).toBe('Master Node Security Configuration');
  });

  it('the array form sums its controls, in the report’s order', () => {
    const noTotals = summarizeKubeBench(readJson(join(FIXTURES, 'aquasecurity-result_no_totals.json')));
    expect(noTotals.totals).toEqual({ pass: 49, fail: 12, warn: 14, info: 0 });

    const collection = summarizeKubeBench(readJson(join(FIXTURES, 'aquasecurity-controlsCollection.json')));
    expect(collection.targets.map((t) => t.target)).toEqual(['etcd', 'controlplane', 'master']);
    expect(collection.totals).toEqual({ pass: 49, fail: 12, warn: 14, info: 0 });

    const passed = summarizeKubeBench(readJson(join(FIXTURES, 'aquasecurity-passedControlsCollection.json')));
    expect(passed.form).toBe('array');
    expect(passed.totals).toEqual({ pass: 7, fail: 0, warn: 3, info: 0 });
    expect(passed.failing).toHaveLength(0);
  });
});

describe('summarizeKubeBench on a CIS 1.8 run with failures (test/unit/kube-bench-fail.json)', () => {
  const raw = readJson(join(HERE, 'kube-bench-fail.json'));
  const summary = summarizeKubeBench(raw);

  it('is a consistent kube-bench report: every counter agrees with its results', () => {
    const statuses = ['pass', 'fail', 'warn', 'info'] as const;
    const sum = { pass: 0, fail: 0, warn: 0, info: 0 };
    for (const c of raw.Controls) {
      const perControl = { pass: 0, fail: 0, warn: 0, info: 0 };
      for (const g of c.tests) {
        for (const s of statuses) {
          const n = g.results.filter((r: any) => r.status === s.toUpperCase()).length;
          expect(g[s], `${c.node_type} ${g.section} ${s}`).toBe(n);
          perControl[s] += n;
        }
      }
      expect(countersOf(c)).toEqual(perControl);
      for (const s of statuses) sum[s] += perControl[s];
    }
    expect(countersOf(raw.Totals)).toEqual(sum);
  });

  it('reads totals and targets', () => {
    expect(summary.form).toBe('object');
    expect(summary.totals).toEqual({ pass: 10, fail: 9, warn: 4, info: 1 });
    expect(summary.targets).toEqual([
      { target: 'master', id: '1', text: 'Control Plane Security Configuration', version: 'cis-1.8', pass: 5, fail: 5, warn: 3, info: 0 },
      { target: 'etcd', id: '2', text: 'Etcd Node Configuration', version: 'cis-1.8', pass: 2, fail: 1, warn: 0, info: 1 },
      { target: 'node', id: '4', text: 'Worker Node Security Configuration', version: 'cis-1.8', pass: 3, fail: 3, warn: 1, info: 0 },
    ]);
  });

  it('lists every FAIL by target, then in natural check order', () => {
    expect(summary.failing.map((f) => `${f.target} ${f.id}`)).toEqual([
      'etcd 2.4',
      'master 1.1.12',
      'master 1.2.5',
      'master 1.2.16',
      'master 1.2.17',
      'master 1.4.1',
      'node 4.1.9',
      'node 4.2.6',
      'node 4.2.10',
    ]);
    expect(summary.failing).toHaveLength(summary.totals.fail);
    expect(summary.failingTruncated).toBe(false);
  });

  it('keeps what a reader needs to fix a check', () => {
    const profiling = summary.failing.find((f) => f.target === 'master' && f.id === '1.2.16');
    expect(profiling).toEqual({
      id: '1.2.16',
      target: 'master',
      text: 'Ensure that the --profiling argument is set to false (Automated)',
      remediation: 'Edit the API server pod specification file /etc/kubernetes/manifests/kube-apiserver.yaml\non the control plane node and set the below parameter.\n--profiling=false',
      scored: true,
      section: 'API Server',
    });
    const rotate = summary.failing.find((f) => f.id === '4.2.10');
    expect(rotate?.section).toBe('Kubelet');
    expect(rotate?.text).toBe('Ensure that the --rotate-certificates argument is not set to false (Automated)');
    expect(rotate?.remediation).toMatch(/^If using a Kubelet config file, edit the file to add the line `rotateCertificates`/);
    expect(rotate?.remediation).toMatch(/systemctl restart kubelet\.service$/);
  });
});

describe('summarizeKubeBench bounds what it keeps', () => {
  it(`keeps at most ${COMPLIANCE_MAX_FAILING} failing checks, the first in order, and says so`, () => {
    const count = COMPLIANCE_MAX_FAILING + 50;
    // Numbers 1.1.1 … 1.1.250 on two targets, listed in reverse so that order comes from the sort.
    const numbers = Array.from({ length: count / 2 }, (_, i) => `1.1.${count / 2 - i}`);
    const failed = (n: string): ResultInput => ({ test_number: n, status: 'FAIL' });
    const report = [control('4', 'node', numbers.map(failed)), control('1', 'master', [...numbers.map(failed), { test_number: '1.1.0', status: 'PASS' }])];

    const summary = summarizeKubeBench(report);
    expect(summary.totals.fail).toBe(count);
    expect(summary.failing).toHaveLength(COMPLIANCE_MAX_FAILING);
    expect(summary.failingTruncated).toBe(true);
    const kept = summary.failing.map((f) => `${f.target} ${f.id}`);
    expect(kept.slice(0, 3)).toEqual(['master 1.1.1', 'master 1.1.2', 'master 1.1.3']);
    expect(kept[count / 2 - 1]).toBe(`master 1.1.${count / 2}`);
    expect(kept[count / 2]).toBe('node 1.1.1');
    expect(kept.at(-1)).toBe(`node 1.1.${COMPLIANCE_MAX_FAILING - count / 2}`);
  });

  it(`is not truncated at exactly ${COMPLIANCE_MAX_FAILING}`, () => {
    const results = Array.from({ length: COMPLIANCE_MAX_FAILING }, (_, i): ResultInput => ({ test_number: `5.${i}`, status: 'FAIL' }));
    const summary = summarizeKubeBench({ Controls: [control('5', 'policies', results)] });
    expect(summary.failing).toHaveLength(COMPLIANCE_MAX_FAILING);
    expect(summary.failingTruncated).toBe(false);
  });

  it('cleans and cuts texts, never splitting a character', () => {
    const longText = 'a'.repeat(COMPLIANCE_TEXT_MAX - 1) + '😀tail';
    const report = [
      control('1', 'master', [{ test_number: '1.1.1', status: 'FAIL', test_desc: longText, remediation: 'chmod\u0000600\u0007 ' + 'x'.repeat(5000) }]),
    ];
    report[0]!.text = 'Control\u0001Plane';
    const [check] = summarizeKubeBench(report).failing;
    // The emoji is two UTF-16 units straddling the limit: it goes whole.
    expect(check?.text).toBe('a'.repeat(COMPLIANCE_TEXT_MAX - 1));
    expect(check?.remediation).toHaveLength(COMPLIANCE_REMEDIATION_MAX);
    expect(check?.remediation.startsWith('chmod 600  x')).toBe(true);
    expect(summarizeKubeBench(report).targets[0]?.text).toBe('Control Plane');
  });

  it('reads scored as false and remediation as empty when absent, and ignores fields it does not know', () => {
    const c: any = control('4', 'node', [{ test_number: '4.2.6', status: 'FAIL' }]);
    delete c.tests[0].results[0].scored;
    delete c.tests[0].results[0].remediation;
    c.detected_version = '1.28';
    c.tests[0].results[0].IsMultiple = false;
    const summary = summarizeKubeBench({ Controls: [c], Totals: { total_pass: 0, total_fail: 1, total_warn: 0, total_info: 0 }, Generated: 'x' });
    expect(summary.failing).toEqual([{ id: '4.2.6', target: 'node', text: 'check 4.2.6', remediation: '', scored: false, section: 'Section 4.1' }]);
  });

  it('accepts a control whose tests kube-bench printed as null (a --check filter ran none of them)', () => {
    const c: any = { ...control('2', 'etcd', []), tests: null };
    expect(summarizeKubeBench([c]).targets).toHaveLength(1);
  });

  it('takes Totals over the sum of the controls when the two differ', () => {
    const controls = [control('1', 'master', [{ test_number: '1.1.1', status: 'FAIL' }])];
    const summary = summarizeKubeBench({ Controls: controls, Totals: { total_pass: 40, total_fail: 7, total_warn: 3, total_info: 2 } });
    expect(summary.totals).toEqual({ pass: 40, fail: 7, warn: 3, info: 2 });
    expect(summary.targets[0]).toMatchObject({ pass: 0, fail: 1, warn: 0, info: 0 });
  });

  it('reads a missing total_info (kube-bench before INFO) as 0', () => {
    const c: any = control('1', 'master', [{ test_number: '1.1.1', status: 'PASS' }]);
    delete c.total_info;
    const summary = summarizeKubeBench([c]);
    expect(summary.totals).toEqual({ pass: 1, fail: 0, warn: 0, info: 0 });
  });

  it('keeps two controls of one node_type apart', () => {
    const summary = summarizeKubeBench([control('1', 'master', [{ test_number: '1.1.1', status: 'PASS' }]), control('7', 'master', [{ test_number: '7.1', status: 'FAIL' }])]);
    expect(summary.targets.map((t) => [t.target, t.id, t.pass, t.fail])).toEqual([
      ['master', '1', 1, 0],
      ['master', '7', 0, 1],
    ]);
    expect(summary.totals).toEqual({ pass: 1, fail: 1, warn: 0, info: 0 });
  });
});

describe('summarizeKubeBench refuses what is not a kube-bench report', () => {
  const valid = () => ({
    Controls: [
      control('1', 'master', [
        { test_number: '1.1.1', status: 'PASS' },
        { test_number: '1.1.2', status: 'FAIL' },
      ]),
      control('4', 'node', [{ test_number: '4.1.1', status: 'WARN' }]),
    ],
    Totals: { total_pass: 1, total_fail: 1, total_warn: 1, total_info: 0 },
  });

  it('the valid base report is accepted', () => {
    expect(summarizeKubeBench(valid()).failing.map((f) => f.id)).toEqual(['1.1.2']);
  });

  const cases: { name: string; report: () => unknown; path: string; message?: RegExp }[] = [
    { name: 'a string', report: () => 'kube-bench output', path: '' },
    { name: 'null', report: () => null, path: '' },
    { name: 'a number', report: () => 42, path: '' },
    { name: 'an object without Controls', report: () => ({ Totals: { total_pass: 0, total_fail: 0, total_warn: 0, total_info: 0 } }), path: 'Controls' },
    { name: 'Controls that is not an array', report: () => ({ Controls: { id: '1' } }), path: 'Controls' },
    {
      name: 'a status kube-bench does not print',
      report: () => {
        const r: any = valid();
        r.Controls[0].tests[0].results[1].status = 'ERROR';
        return r;
      },
      path: 'Controls[0].tests[0].results[1].status',
    },
    {
      name: 'a negative counter',
      report: () => {
        const r: any = valid();
        r.Controls[1].total_fail = -1;
        return r;
      },
      path: 'Controls[1].total_fail',
    },
    {
      name: 'a counter that is not an integer',
      report: () => {
        const r: any = valid();
        r.Controls[0].tests[0].pass = 1.5;
        return r;
      },
      path: 'Controls[0].tests[0].pass',
    },
    {
      name: 'a counter given as a string',
      report: () => {
        const r: any = valid();
        r.Totals.total_warn = '1';
        return r;
      },
      path: 'Totals.total_warn',
    },
    {
      name: 'a control without node_type',
      report: () => {
        const r: any = valid();
        delete r.Controls[1].node_type;
        return r;
      },
      path: 'Controls[1].node_type',
    },
    {
      name: 'an empty node_type',
      report: () => {
        const r: any = valid();
        r.Controls[0].node_type = '';
        return r;
      },
      path: 'Controls[0].node_type',
    },
    {
      name: 'a node_type that is not a name',
      report: () => {
        const r: any = valid();
        r.Controls[0].node_type = 'master/../x';
        return r;
      },
      path: 'Controls[0].node_type',
    },
    {
      name: 'a node_type longer than 64',
      report: () => {
        const r: any = valid();
        r.Controls[0].node_type = 'n'.repeat(65);
        return r;
      },
      path: 'Controls[0].node_type',
    },
    {
      name: 'a result without test_number',
      report: () => {
        const r: any = valid();
        delete r.Controls[0].tests[0].results[0].test_number;
        return r;
      },
      path: 'Controls[0].tests[0].results[0].test_number',
    },
    {
      name: 'a string over 64 KB',
      report: () => {
        const r: any = valid();
        r.Controls[0].tests[0].results[1].remediation = 'x'.repeat(64 * 1024 + 1);
        return r;
      },
      path: 'Controls[0].tests[0].results[1].remediation',
    },
    { name: 'more than 1000 controls', report: () => ({ Controls: Array.from({ length: 1001 }, (_, i) => control(String(i), 'node', [])) }), path: 'Controls' },
    {
      name: 'more than 10000 results in a group',
      report: () => [control('1', 'master', Array.from({ length: 10_001 }, (_, i) => ({ test_number: `1.${i}`, status: 'PASS' as const })))],
      path: '[0].tests[0].results',
    },
    {
      name: 'a bad status in the array form',
      report: () => {
        const r: any = valid().Controls;
        r[1].tests[0].results[0].status = 'warn';
        return r;
      },
      path: '[1].tests[0].results[0].status',
    },
  ];

  for (const { name, report, path } of cases) {
    it(`${name}: ReportError at ${path || '(root)'}`, () => {
      const error = reportError(report());
      expect(error.path).toBe(path);
      expect(error.message).not.toBe('');
    });
  }
});

describe('naturalCompare', () => {
  it('orders check numbers as people read them', () => {
    expect(['1.1.10', '1.2', '1.1.2', '1.10.1', '1.1.1', '1.1', '2', '1.9'].sort(naturalCompare)).toEqual(['1.1', '1.1.1', '1.1.2', '1.1.10', '1.2', '1.9', '1.10.1', '2']);
    expect(naturalCompare('4.2.6', '4.2.10')).toBeLessThan(0);
    expect(naturalCompare('controlplane', 'etcd')).toBeLessThan(0);
    expect(naturalCompare('1.1.2', '1.1.2')).toBe(0);
  });
});

describe('summarizeKubeBench properties', () => {
  const status = fc.constantFrom<CheckStatus>('PASS', 'FAIL', 'WARN', 'INFO');
  const controlArb = fc.record({
    id: fc.stringMatching(/^[0-9]{1,2}$/),
    node_type: fc.constantFrom('master', 'etcd', 'controlplane', 'node', 'policies'),
    counters: fc.tuple(fc.nat(500), fc.nat(500), fc.nat(500), fc.nat(500)),
    results: fc.array(fc.record({ test_number: fc.stringMatching(/^[0-9]{1,2}(\.[0-9]{1,2}){0,2}$/), status }), { maxLength: 8 }),
  });
  type Drawn = typeof controlArb extends fc.Arbitrary<infer T> ? T : never;
  const build = (c: Drawn) => {
    const base = control(c.id, c.node_type, c.results);
    // Counters drawn apart from the results: a trimmed report's results do not add up to its counters.
    const [pass, fail, warn, info] = c.counters;
    return { ...base, total_pass: pass, total_fail: fail, total_warn: warn, total_info: info };
  };

  it('totals equal the sum of the controls’ counters; failing lists each FAIL in order', () => {
    fc.assert(
      fc.property(fc.array(controlArb, { maxLength: 8 }), fc.boolean(), (drawn, asObject) => {
        const controls = drawn.map(build);
        const summary: ComplianceSummary = summarizeKubeBench(asObject ? { Controls: controls } : controls);
        expect(summary.form).toBe(asObject ? 'object' : 'array');
        const sum = (k: 'total_pass' | 'total_fail' | 'total_warn' | 'total_info') => controls.reduce((t, c) => t + c[k], 0);
        expect(summary.totals).toEqual({ pass: sum('total_pass'), fail: sum('total_fail'), warn: sum('total_warn'), info: sum('total_info') });
        expect(summary.targets.map((t) => [t.target, t.id, t.pass, t.fail, t.warn, t.info])).toEqual(
          controls.map((c) => [c.node_type, c.id, c.total_pass, c.total_fail, c.total_warn, c.total_info]),
        );
        const fails = drawn.flatMap((c) => c.results.filter((r) => r.status === 'FAIL').map((r) => `${c.node_type} ${r.test_number}`));
        expect(summary.failing.map((f) => `${f.target} ${f.id}`).sort()).toEqual(fails.sort());
        for (let i = 1; i < summary.failing.length; i++) {
          const [a, b] = [summary.failing[i - 1]!, summary.failing[i]!];
          expect(naturalCompare(a.target, b.target) || naturalCompare(a.id, b.id)).toBeLessThanOrEqual(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
