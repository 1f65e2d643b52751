import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { configFromEnv, createAgent, ENV_KEYS, jsonLogger } from './agent.js';
import { EtcdGateway, etcdOptionsFromEnv } from './etcd.js';
import { cisOptionsFromEnv } from './kube-bench.js';
import { loadKubeConfig } from './kubernetes-source.js';
import { hostJobOptionsFromEnv, KubernetesHostOperations } from './node-patch.js';

/**
 * The in-cluster management agent: `node agent/main.js` (or `tsx agent/main.ts`), configured by
 * STRATA_API_URL, STRATA_CLUSTER_ID and STRATA_AGENT_TOKEN (the /etc/strata/agent.env the control
 * plane writes). In a pod it uses its service account; elsewhere KUBECONFIG or ~/.kube/config
 * (loadFromDefault), or failing both kubeadm's admin.conf, as on a control-plane node where the
 * agent runs as the strata-agent systemd service. It reaches the node's etcd at 127.0.0.1:2379 with
 * kubeadm's etcd client certificate (STRATA_ETCD_* override). Its Jobs on the nodes' hosts (OS
 * patches) run STRATA_HOST_IMAGE (default ubuntu:24.04). It runs kube-bench every
 * STRATA_CIS_INTERVAL_HOURS (default 168; 0: only when asked) with STRATA_KUBE_BENCH_IMAGE (default
 * docker.io/aquasec/kube-bench at the pinned release). SIGTERM or SIGINT stops it cleanly.
 */
async function main() {
  const config = configFromEnv();
  const kubeConfig = loadKubeConfig();
  const agent = createAgent(config, {
    kubeConfig,
    host: new KubernetesHostOperations(kubeConfig, hostJobOptionsFromEnv()),
    logger: jsonLogger,
    saveToken: saveTokenTo(process.env.STRATA_AGENT_ENV_FILE ?? '/etc/strata/agent.env'),
    etcd: new EtcdGateway(etcdOptionsFromEnv()),
    ...cisOptionsFromEnv(),
  });
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

/** Rewrite the token line of the settings file (atomically, mode 0600), when there is one. */
function saveTokenTo(file: string): ((token: string) => Promise<void>) | undefined {
  if (!existsSync(file)) return undefined;
  return async (token) => {
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l && !l.startsWith(`${ENV_KEYS.token}=`));
    await writeFile(`${file}.new`, `${[...lines, `${ENV_KEYS.token}=${token}`].join('\n')}\n`, { mode: 0o600 });
    await rename(`${file}.new`, file);
  };
}
