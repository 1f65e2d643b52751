/**
 * Cost model: turns the counts measured by bench/heartbeat (.bench/heartbeat.json) into dollars
 * per cluster-month at 30 s heartbeats, with AWS list prices (us-east-1, on-demand, arm64).
 * Run: npm run bench:heartbeat && npm run bench:cost
 */
import { existsSync, readFileSync } from 'node:fs';

const PRICES = {
  lambdaGbSecondArm: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  ddbWriteUnit: 0.625 / 1e6,
  ddbReadUnit: 0.125 / 1e6,
  ddbStorageGbMonth: 0.25,
  logsIngestGb: 0.5,
};

if (!existsSync('.bench/heartbeat.json')) {
  console.error('run `npm run bench:heartbeat` first: this model prices what it measured');
  process.exit(1);
}
const m = JSON.parse(readFileSync('.bench/heartbeat.json', 'utf8')) as Record<string, number>;
const nodes = 50;
const month = 30 * 86400;
const beats = month / 30;
const minutes = month / 60;

// Heartbeat function: 256 MB; billed time = measured CPU plus DynamoDB round trips (~4 ms in-region).
const hbMs = Math.ceil(m[`cpuMsMedian${nodes}`]! + 4);
const heartbeatLambda = beats * (PRICES.lambdaRequest + (hbMs / 1000) * 0.25 * PRICES.lambdaGbSecondArm);
const heartbeatDdb = beats * (m[`wcuPerHeartbeat${nodes}`]! * PRICES.ddbWriteUnit + m[`rcuPerHeartbeat${nodes}`]! * PRICES.ddbReadUnit);

// Health scoring runs only when a verdict can change (node state changed, usage near or over the
// threshold, a return after silence). Model: a healthy cluster has a node event a few times a
// day and spends 5 % of minutes above the usage threshold. ~40 ms at 256 MB; reads the cluster,
// snapshot, latest sample, the window's samples and the conditions (~8 read units).
const scores = 4 * 30 + minutes * 0.05;
const health = scores * (PRICES.lambdaRequest + 0.04 * 0.25 * PRICES.lambdaGbSecondArm + 8 * PRICES.ddbReadUnit);

// Storage: 1-minute samples kept a day, 5-minute a week, hourly a month (~0.7 KB each with keys),
// one snapshot (~43 KB at 50 nodes), one deadline entry.
const storageGb = (1440 + 2016 + 744) * 0.7e-6 + 43e-6 + 0.1e-6;
const storage = storageGb * PRICES.ddbStorageGbMonth;

// Lambda platform log lines are switched off (JSON logs, system level WARN); nothing else logs at INFO.
const logs = 0;

const rows: [string, number][] = [
  [`heartbeat Lambda (${beats.toLocaleString('en')} invocations × ${hbMs} ms @256 MB)`, heartbeatLambda],
  [`heartbeat DynamoDB (${m[`wcuPerHeartbeat${nodes}`]!.toFixed(2)} WRU + ${m[`rcuPerHeartbeat${nodes}`]!.toFixed(2)} RRU per heartbeat)`, heartbeatDdb],
  [`health scoring (${Math.round(scores).toLocaleString('en')} runs)`, health],
  [`storage (${(storageGb * 1024).toFixed(1)} MB)`, storage],
  ['logs', logs],
];
const total = rows.reduce((s, [, v]) => s + v, 0);
console.log(`\nCost per cluster-month, ${nodes} nodes, 30 s heartbeats (ingest + health + storage)`);
for (const [label, v] of rows) console.log(`  ${label.padEnd(72)} $${v.toFixed(4)}`);
console.log(`  ${'total'.padEnd(72)} $${total.toFixed(4)}   goal ≤ $0.10`);
console.log(`\n  The health sweep (one run a minute for the whole fleet, reading only stale clusters) adds $${((minutes * (PRICES.lambdaRequest + 0.1 * 0.5 * PRICES.lambdaGbSecondArm)) / 1000).toFixed(5)} per cluster at 1,000 clusters.`);
