import { configFromEnv, createAgent, jsonLogger } from './agent.js';
import { loadKubeConfig } from './kubernetes-source.js';

/**
 * The in-cluster management agent: `node agent/main.js` (or `tsx agent/main.ts`), configured by
 * STRATA_API_URL, STRATA_CLUSTER_ID and STRATA_AGENT_TOKEN (the /etc/strata/agent.env the control
 * plane writes). In a pod it uses its service account; elsewhere KUBECONFIG or ~/.kube/config
 * (loadFromDefault), or failing both kubeadm's admin.conf, as on a control-plane node where the
 * agent runs as the strata-agent systemd service. SIGTERM or SIGINT stops it cleanly.
 */
async function main() {
  const config = configFromEnv();
  const agent = createAgent(config, { kubeConfig: loadKubeConfig(), logger: jsonLogger });
  const stop = (signal: string) => {
    jsonLogger.info('stopping', { signal });
    void agent.stop();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await agent.run();
  await agent.stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    jsonLogger.error('agent failed to start', { error: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
