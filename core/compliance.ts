/**
 * CIS compliance from kube-bench: the agent runs kube-bench as a Job and posts its --json output as
 * kube-bench prints it (the object form {Controls, Totals} or the older bare array of controls).
 * The raw report goes to S3; this file reads it into the summary kept in DynamoDB.
 */
import { z } from 'zod';
import { cleanText } from './text.js';
import { isMapping } from './mapping.js';

/** Check statuses as kube-bench names them. */
export const CHECK_STATUSES = ['PASS', 'FAIL', 'WARN', 'INFO'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** Largest report accepted (a full run of every target is about 200 KB). */
export const COMPLIANCE_MAX_REPORT_BYTES = 4 * 1024 * 1024;
/** Failing checks kept in the summary (a CIS benchmark has about 130 checks in all). */
export const COMPLIANCE_MAX_FAILING = 200;
/** Characters kept of a check's text and remediation in the summary; the raw report has them whole. */
export const COMPLIANCE_TEXT_MAX = 400;
export const COMPLIANCE_REMEDIATION_MAX = 1000;
/** Runs kept in a cluster's history (and their raw reports under compliance/ in the bucket). */
export const COMPLIANCE_HISTORY_DAYS = 400;

export interface Counts {
  readonly pass: number;
  readonly fail: number;
  readonly warn: number;
  readonly info: number;
}

/** One target (a control's node_type: master, controlplane, node, etcd, policies, …) of a run. */
export interface TargetSummary extends Counts {
  /** node_type as the report names it. */
  readonly target: string;
  /** The control's id and text, e.g. "1" "Master Node Security Configuration". */
  readonly id: string;
  readonly text: string;
  /** The benchmark version the control names, e.g. "1.5", "cis-1.8". */
  readonly version: string;
}

/** A check that failed (or warned, when the summary lists warnings). */
export interface FailingCheck {
  /** test_number, e.g. 1.1.12. */
  readonly id: string;
  readonly target: string;
  /** test_desc, at most COMPLIANCE_TEXT_MAX characters. */
  readonly text: string;
  readonly remediation: string;
  readonly scored: boolean;
  /** The section's description, e.g. "Master Node Configuration Files". */
  readonly section: string;
}

export interface ComplianceSummary {
  /** From the report's own counters: Totals when present, else the sum of each control's total_*. */
  readonly totals: Counts;
  readonly targets: readonly TargetSummary[];
  /** FAIL results the report lists, ordered by target then check id (natural order: 1.1.2 before 1.1.10), at most COMPLIANCE_MAX_FAILING. */
  readonly failing: readonly FailingCheck[];
  /** True when the report lists more FAIL results than the summary keeps. */
  readonly failingTruncated: boolean;
  /** Which form the report had. */
  readonly form: 'object' | 'array';
}

/** A problem with the posted report, with the JSON path it is at (e.g. Controls[2].tests[0].results). */
export class ReportError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'ReportError';
  }
}

/** Bounds on what a report may hold: far above a real run (a few controls, ~130 checks), low enough to refuse a flood. */
export const REPORT_MAX_CONTROLS = 1000;
export const REPORT_MAX_GROUPS = 1000;
export const REPORT_MAX_RESULTS = 10_000;
export const REPORT_MAX_STRING = 64 * 1024;

const Str = z.string().max(REPORT_MAX_STRING);
const Counter = z.number().int().nonnegative();
/** kube-bench before the INFO status printed no info counters: absent means none. */
const InfoCounter = Counter.default(0);

const SummaryCounters = {
  total_pass: Counter,
  total_fail: Counter,
  total_warn: Counter,
  total_info: InfoCounter,
};

const Result = z.looseObject({
  test_number: Str,
  test_desc: Str,
  status: z.enum(CHECK_STATUSES),
  remediation: Str.default(''),
  scored: z.boolean().default(false),
});

const Group = z.looseObject({
  section: Str,
  desc: Str,
  // Checked when present, never summed: a control's total_* are its counts.
  pass: Counter.optional(),
  fail: Counter.optional(),
  warn: Counter.optional(),
  info: Counter.optional(),
  // Go prints a nil slice as null.
  results: z.array(Result).max(REPORT_MAX_RESULTS).nullable(),
});

const Control = z.looseObject({
  id: Str,
  version: Str,
  text: Str,
  node_type: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -'),
  // null when a --check filter left none of the control's checks.
  tests: z.array(Group).max(REPORT_MAX_GROUPS).nullable(),
  ...SummaryCounters,
});

const ControlList = z.array(Control).max(REPORT_MAX_CONTROLS);
const Totals = z.looseObject(SummaryCounters);
const ObjectReport = z.looseObject({ Controls: ControlList, Totals: Totals.optional() });
type SummaryFields = z.output<typeof Totals>;

const counts = (s: SummaryFields): Counts => ({ pass: s.total_pass, fail: s.total_fail, warn: s.total_warn, info: s.total_info });

const sumCounts = (parts: readonly Counts[]): Counts =>
  parts.reduce((t, p) => ({ pass: t.pass + p.pass, fail: t.fail + p.fail, warn: t.warn + p.warn, info: t.info + p.info }), { pass: 0, fail: 0, warn: 0, info: 0 });

/** `Controls[2].tests[0].results[1].status`; the array form starts at the index: `[2].tests…`. */
export function formatReportPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out;
}

/** Clean, trimmed (kube-bench's texts end in a newline) and at most `max` UTF-16 units, never splitting a surrogate pair. */
function cut(s: string, max: number): string {
  const text = cleanText(s).trim();
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** Natural order of check numbers: digit runs compare as numbers (1.1.2 before 1.1.10), the rest by code unit. */
export function naturalCompare(a: string, b: string): number {
  const runs = /\d+|\D+/g;
  const as = a.match(runs) ?? [];
  const bs = b.match(runs) ?? [];
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const x = as[i] as string;
    const y = bs[i] as string;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const xs = x.replace(/^0+(?=\d)/, '');
      const ys = y.replace(/^0+(?=\d)/, '');
      if (xs.length !== ys.length) return xs.length - ys.length;
      if (xs !== ys) return xs < ys ? -1 : 1;
      // Equal numbers written differently (01, 1): the shorter first, so the order stays total.
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return as.length - bs.length;
}

/**
 * Read kube-bench's JSON (already parsed) into a summary. Untrusted: anything that is not one of the
 * two forms (a control without node_type, a counter that is not a non-negative integer, a result
 * whose status is not PASS/FAIL/WARN/INFO) throws a ReportError naming the path. Unknown extra
 * fields are ignored (kube-bench adds fields across versions); strings are cleaned and cut.
 */
export function summarizeKubeBench(report: unknown): ComplianceSummary {
  const form = Array.isArray(report) ? 'array' : isMapping(report) ? 'object' : undefined;
  if (!form) throw new ReportError('', 'expected kube-bench JSON: an object with Controls, or an array of controls');
  const parsed = (form === 'array' ? ControlList : ObjectReport).safeParse(report);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ReportError(formatReportPath(issue?.path ?? []), issue?.message ?? 'invalid report');
  }
  const controls = Array.isArray(parsed.data) ? parsed.data : parsed.data.Controls;
  const reportTotals = Array.isArray(parsed.data) ? undefined : parsed.data.Totals;

  const targets = controls.map(
    (c): TargetSummary => ({
      target: c.node_type,
      id: cut(c.id, COMPLIANCE_TEXT_MAX),
      text: cut(c.text, COMPLIANCE_TEXT_MAX),
      version: cut(c.version, COMPLIANCE_TEXT_MAX),
      ...counts(c),
    }),
  );
  const totals = reportTotals ? counts(reportTotals) : sumCounts(targets);

  const failing: FailingCheck[] = [];
  for (const control of controls)
    for (const group of control.tests ?? [])
      for (const result of group.results ?? [])
        if (result.status === 'FAIL')
          failing.push({
            id: cut(result.test_number, COMPLIANCE_TEXT_MAX),
            target: control.node_type,
            text: cut(result.test_desc, COMPLIANCE_TEXT_MAX),
            remediation: cut(result.remediation, COMPLIANCE_REMEDIATION_MAX),
            scored: result.scored,
            section: cut(group.desc, COMPLIANCE_TEXT_MAX),
          });
  failing.sort((a, b) => naturalCompare(a.target, b.target) || naturalCompare(a.id, b.id));

  return {
    totals,
    targets,
    failing: failing.slice(0, COMPLIANCE_MAX_FAILING),
    failingTruncated: failing.length > COMPLIANCE_MAX_FAILING,
    form,
  };
}
