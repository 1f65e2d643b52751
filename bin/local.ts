import { parseArgs } from 'node:util';
import { startRuntime } from '../local/runtime.js';
import { TENANT_RATE_LIMITS } from '../core/rate-limits.js';
import { LOCAL_SSO_GROUP_ROLES, LOCAL_SSO_USERS } from '../local/identity-provider.js';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`Usage: npm start [-- --data-dir DIR] [--port N] [--host ADDR] [--quiet]

Runs the Strata control plane locally: DynamoDB Local, s3rver and the REST API.
  --data-dir DIR   keep data across restarts (default: in memory)
  --port N         API port (default: $PORT or 8787)
  STRATA_API_KEY   use this operator key instead of a generated one`);
  process.exit(0);
}

const started = Date.now();
console.log('Starting Strata local control plane…');
const runtime = await startRuntime({
  port: Number(values.port ?? process.env.PORT ?? 8787),
  host: values.host,
  dataDir: values['data-dir'],
  accessLog: !values.quiet,
}).catch((err: Error) => {
  console.error(`Strata could not start: ${err.message}`);
  process.exit(1);
});

// Trial accounts of the built-in identity provider, with the role their group has in tenant "default".
const trialUsers = LOCAL_SSO_USERS.map((u) => {
  const roles = u.groups.map((g) => `${g} → ${LOCAL_SSO_GROUP_ROLES.find((m) => m.group === g)?.role ?? 'no role'}`);
  return `${u.username} / ${u.password}  (${roles.join(', ')})`;
});

console.log(`
Strata is running (${((Date.now() - started) / 1000).toFixed(1)} s)

  Console    ${runtime.url}/                      (sign in with the API key, or as a user of tenant "default" below)
  API        ${runtime.url}/v1
  OpenAPI    ${runtime.url}/v1/openapi.json
  Health     ${runtime.url}/healthz
  Agent API  ${runtime.url}/agent/v1              (simulated nodes fetch their bootstrap bundle, agents heartbeat)
  Faults     ${runtime.url}/local/faults          (simulated cloud; operator key)
  Metrics    ${runtime.url}/local/metrics         (requests throttled per tenant: ${TENANT_RATE_LIMITS.ratePerSecond}/s, bursts of ${TENANT_RATE_LIMITS.burst}; operator key)
  API key    ${runtime.apiKey}
             (tenant "default", admin and platform operator)
  Sign-in    ${runtime.oidcIssuer}          (built-in OpenID Connect provider of tenant "default")
  Users      ${trialUsers.join('\n             ')}
             (local-only trial accounts of that provider: username / password)
  Data       ${values['data-dir'] ? `kept in ${values['data-dir']}` : 'in memory (use -- --data-dir DIR to keep it)'}

Try:
  open ${runtime.url}/ in a browser, or use the CLI:
  STRATA_API_URL=${runtime.url} STRATA_API_KEY=${runtime.apiKey} npx strata get clusters
  npx strata login --sso --url ${runtime.url} --tenant default     (then sign in as alice or bob)
  curl -s -H "Authorization: Bearer ${runtime.apiKey}" ${runtime.url}/v1/profiles
  (the README walks through creating a cloud account and a cluster on the simulated cloud)

Press Ctrl-C to stop.
`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping Strata…`);
  await runtime.stop();
  console.log('Stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
