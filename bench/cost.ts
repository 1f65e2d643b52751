/**
 * Cost model: everything one cluster costs a month in AWS, line by line, and what the platform
 * costs with no cluster at all. The heartbeat's figures are the ones bench/heartbeat measured
 * (.bench/heartbeat.json); the rest are counted from what the workflows, the agent and the API do,
 * each assumption named on its line. List prices, us-east-1, on-demand, arm64, as of 2026-11.
 * Run: npm run bench:heartbeat && npm run bench:cost
 */
import { existsSync, readFileSync } from 'node:fs';
import { LOG_ARCHIVE_DAYS } from '../core/log-bundles.js';
import { COMPLIANCE_HISTORY_DAYS } from '../core/compliance.js';
import { EVENT_RETENTION_DAYS } from '../core/events.js';
import { AUDIT_RETENTION_DAYS } from '../core/audit.js';
import { BRISK_AFTER_NEWS_MS, BRISK_POLL_MS, CLUSTER_PAGE_REFRESH_MS, EVENT_POLL_MS, USAGE_REFRESH_MS } from '../console/src/poll-rates.js';
import { modelPatchRun } from './patch-model.js';

/** us-east-1 list prices, 2026-11. */
const PRICE = {
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  ddbWriteUnit: 0.625 / 1e6,
  ddbReadUnit: 0.125 / 1e6,
  ddbStorageGbMonth: 0.25,
  sfnTransition: 25 / 1e6,
  apiGatewayRequest: 3.5 / 1e6,
  s3StorageGbMonth: 0.023,
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  schedulerInvocation: 1 / 1e6,
  kmsKeyMonth: 1,
  kmsRequest: 0.03 / 10_000,
};

if (!existsSync('.bench/heartbeat.json')) {
  console.error('run `npm run bench:heartbeat` first: this model prices what it measured');
  process.exit(1);
}
const m = JSON.parse(readFileSync('.bench/heartbeat.json', 'utf8')) as Record<string, number>;
const NODES = 50;
const MONTH_S = 30 * 86400;
const BEATS = MONTH_S / 30;
const MINUTES = MONTH_S / 60;
const WEEKS = 30 / 7;

/** A Lambda invocation of `ms` at `mb`. */
const lambda = (ms: number, mb: number) => PRICE.lambdaRequest + (ms / 1000) * (mb / 1024) * PRICE.lambdaGbSecondArm;
/** A transaction's writes cost twice their units. */
const txWrites = (items: number) => 2 * items;

// Ingest, health and storage --------------------------------------------------------------------

// Heartbeat function: 256 MB; billed time = measured CPU plus DynamoDB round trips (~4 ms in-region).
const hbMs = Math.ceil(m[`cpuMsMedian${NODES}`]! + 4);
const heartbeatLambda = BEATS * lambda(hbMs, 256);
const wru = m[`wcuPerHeartbeat${NODES}`]!;
const rru = m[`rcuPerHeartbeat${NODES}`]!;
const heartbeatDdb = BEATS * (wru * PRICE.ddbWriteUnit + rru * PRICE.ddbReadUnit);

// Health scoring runs only when a verdict can change (node state changed, usage near or over the
// threshold, a return after silence). A healthy cluster: a node event a few times a day, 5 % of
// minutes above the usage threshold; ~40 ms at 256 MB, ~8 read units, a condition write now and then.
const scores = 4 * 30 + MINUTES * 0.05;
const health = scores * (lambda(40, 256) + 8 * PRICE.ddbReadUnit) + 4 * 30 * txWrites(2) * PRICE.ddbWriteUnit;

// The sweep runs once a minute for the whole fleet (256 MB, ~100 ms), reading only clusters about to go missing: its share at 1,000 clusters.
const FLEET = 1000;
const sweepShare = (MINUTES * lambda(100, 256)) / FLEET;

// Telemetry storage: 1-minute samples kept a day, 5-minute a week, hourly a month (~0.7 KB each with keys),
// one snapshot (~43 KB at 50 nodes), one deadline entry.
const telemetryGb = (1440 + 2016 + 744) * 0.7e-6 + 43e-6 + 0.1e-6;
const telemetryStorage = telemetryGb * PRICE.ddbStorageGbMonth;

// Lambda platform log lines are off (JSON logs, system level WARN); nothing logs at INFO on the hot path.
const logs = 0;

// Lifecycle ---------------------------------------------------------------------------------------

// Provisioning (bench:provision: 29 transitions, ~25 task invocations at 512 MB, ~200 ms each,
// ~60 transactional writes), spread over a 12-month life.
const provisioning = (29 * PRICE.sfnTransition + 25 * lambda(200, 512) + txWrites(60) * PRICE.ddbWriteUnit + 120 * PRICE.ddbReadUnit) / 12;
// A reconcile a week (a small change: ~20 transitions, ~15 task invocations, ~30 writes).
const reconcile = WEEKS * (20 * PRICE.sfnTransition + 15 * lambda(200, 512) + txWrites(30) * PRICE.ddbWriteUnit + 80 * PRICE.ddbReadUnit);
// A weekly patch run of 50 nodes (bench:ospatch's AWS model: 1 control-plane node, then 49 workers
// 2 at a time, 4 min a node, the workflow looking when PatchPools' nextLookSeconds says; tasks at
// 512 MB, ~200 ms; one Scheduler invocation; each node's move is an event).
const patch = modelPatchRun([{ nodes: 1, concurrency: 1 }, { nodes: NODES - 1, concurrency: 2 }], 4);
const patchRun = WEEKS * (patch.transitions * PRICE.sfnTransition + patch.tasks * lambda(200, 512) + PRICE.schedulerInvocation + NODES * 4 * txWrites(3) * PRICE.ddbWriteUnit);

// Events and their storage: ~30 a day besides the patch runs' (health transitions, repairs, commands),
// each an append of 2–3 items in a transaction, ~0.5 KB kept EVENT_RETENTION_DAYS days.
const eventsPerMonth = 30 * 30 + WEEKS * NODES * 4;
const events = 30 * 30 * txWrites(3) * PRICE.ddbWriteUnit + eventsPerMonth * 0.5e-6 * (EVENT_RETENTION_DAYS / 30) * PRICE.ddbStorageGbMonth;

// A log bundle a month: the request (a transaction of 4), ~10 status reads through the API, the
// command's delivery and result, the upload form, one S3 POST, a HeadObject, one download of
// ~10 MB kept LOG_ARCHIVE_DAYS days.
const logBundle =
  12 * (PRICE.apiGatewayRequest + lambda(30, 512)) +
  3 * lambda(30, 256) +
  (txWrites(4) + 6) * PRICE.ddbWriteUnit +
  30 * PRICE.ddbReadUnit +
  PRICE.s3Put +
  2 * PRICE.s3Get +
  0.01 * (LOG_ARCHIVE_DAYS / 30) * PRICE.s3StorageGbMonth;

// A kube-bench run a week: the report (~200 KB) kept COMPLIANCE_HISTORY_DAYS days in S3, its summary (3 items) in DynamoDB.
const compliance = WEEKS * (lambda(60, 256) + PRICE.s3Put + 3 * PRICE.ddbWriteUnit * 2) + WEEKS * 0.0002 * (COMPLIANCE_HISTORY_DAYS / 30) * PRICE.s3StorageGbMonth;

// A user opening the console daily: ~25 API requests a visit (lists, the cluster, its nodes,
// usage, events), then 10 minutes with the cluster's page open (console/src/poll-rates.ts): its
// event feed asks for newer events every EVENT_POLL_MS, the page reads the cluster, conditions,
// nodes and services every CLUSTER_PAGE_REFRESH_MS when the feed brought nothing, and usage every
// USAGE_REFRESH_MS; each a short request (~30 ms at 512 MB, about 3 reads; the authorizer's
// decision is cached). A hidden tab asks nothing. Brisk reading after news is not counted: a
// steady cluster has little.
const VISIT_REQUESTS = 25;
const PAGE_MINUTES = 10;
// The feed's first BRISK_AFTER_NEWS_MS after opening asks every BRISK_POLL_MS.
const briskPolls = BRISK_AFTER_NEWS_MS / BRISK_POLL_MS - BRISK_AFTER_NEWS_MS / EVENT_POLL_MS;
const pageRequests = Math.round(PAGE_MINUTES * 60_000 * (1 / EVENT_POLL_MS + 4 / CLUSTER_PAGE_REFRESH_MS + 1 / USAGE_REFRESH_MS) + briskPolls);
const consoleRequest = PRICE.apiGatewayRequest + lambda(30, 512) + 3 * PRICE.ddbReadUnit;
const consoleDaily = 30 * (VISIT_REQUESTS + pageRequests) * consoleRequest;

// The audit log: every change and sensitive read through the API is one PutItem of ~0.7 KB, kept
// AUDIT_RETENTION_DAYS. A cluster's month: a change a week (the reconcile above), a log bundle,
// ~10 kubeconfigs and ~5 commands: ~20 entries; storage counted at the steady state of a full year.
const AUDIT_ENTRIES = 20;
const audit = AUDIT_ENTRIES * PRICE.ddbWriteUnit + AUDIT_ENTRIES * (AUDIT_RETENTION_DAYS / 30) * 0.7e-6 * PRICE.ddbStorageGbMonth;

// The cluster's patch schedule fires once a week (counted in the patch run); its CA keys are sealed
// under the one platform KMS key: a decrypt per node bootstrap and per kubeconfig (~20 a month).
const keyUse = 20 * PRICE.kmsRequest;

const ingest: [string, number][] = [
  [`heartbeat Lambda (${BEATS.toLocaleString('en')} invocations × ${hbMs} ms @256 MB)`, heartbeatLambda],
  [`heartbeat DynamoDB (${wru.toFixed(2)} WRU + ${rru.toFixed(2)} RRU per heartbeat)`, heartbeatDdb],
  [`health scoring (${Math.round(scores).toLocaleString('en')} runs)`, health],
  [`the health sweep's share (one run a minute, ${FLEET.toLocaleString('en')} clusters)`, sweepShare],
  [`telemetry storage (${(telemetryGb * 1024).toFixed(1)} MB)`, telemetryStorage],
  ['logs (WARN level on the hot path)', logs],
];
const lifecycle: [string, number][] = [
  ['provisioning (29 transitions, spread over a 12-month life)', provisioning],
  ['a reconcile a week', reconcile],
  [`a weekly OS patch run of ${NODES} nodes (${patch.transitions} transitions, ${patch.tasks} tasks, 1 Scheduler invocation)`, patchRun],
  [`events (${Math.round(eventsPerMonth)} a month) and their storage (${EVENT_RETENTION_DAYS} days)`, events],
  [`a log bundle a month (10 MB kept ${LOG_ARCHIVE_DAYS} days)`, logBundle],
  [`a kube-bench run a week (report kept ${COMPLIANCE_HISTORY_DAYS} days)`, compliance],
  [`a user opening the console daily (${VISIT_REQUESTS} requests, then ${PAGE_MINUTES} minutes on the cluster's page: ${pageRequests} requests)`, consoleDaily],
  ['key use (KMS decrypts of the sealed CA keys)', keyUse],
  [`the audit log (${AUDIT_ENTRIES} entries a month, each kept ${AUDIT_RETENTION_DAYS} days)`, audit],
];
const sum = (rows: [string, number][]) => rows.reduce((s, [, v]) => s + v, 0);
const print = (rows: [string, number][]) => rows.forEach(([label, v]) => console.log(`  ${label.padEnd(92)} $${v.toFixed(4)}`));

console.log(`\nCost per cluster-month, ${NODES} nodes, 30 s heartbeats (us-east-1 list prices, 2026-11)`);
console.log(' ingest, health and storage');
print(ingest);
console.log(`  ${'subtotal'.padEnd(92)} $${sum(ingest).toFixed(4)}   goal ≤ $0.08`);
console.log(' lifecycle and use');
print(lifecycle);
console.log(`  ${'everything'.padEnd(92)} $${(sum(ingest) + sum(lifecycle)).toFixed(4)}   goal ≤ $0.12`);

// An idle platform: no cluster, nobody calling -------------------------------------------------
const idle: [string, number][] = [
  ["KMS key for cluster CA keys and Strata's SecureString parameters (one key; rotation adds $1 for each of its first two yearly rotations)", PRICE.kmsKeyMonth],
  ['SSM Parameter Store: the platform secret and the operator key, standard SecureString parameters (no charge; read once per cold start)', 0],
  // The sweep turns its rule off when the deadline index is empty (functions/health/sweep.ts): one run, then none.
  ['health sweep: off while no cluster reports (its rule disabled after one empty run)', lambda(30, 256) + 16 * PRICE.ddbReadUnit],
  ['DynamoDB (on-demand, empty tables), S3, CloudFront, API Gateway, Step Functions, Scheduler', 0],
  ["API Gateway usage plan and tenants' usage keys (rate limits; no charge)", 0],
  ['CloudWatch Logs (WARN level: nothing logged while idle)', 0],
];
console.log('\nIdle platform, no clusters, per month');
print(idle);
console.log(`  ${'total'.padEnd(92)} $${sum(idle).toFixed(4)}   goal ≤ $1`);
