import type { Command } from 'commander';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import type { Kubeconfig } from '../api-types.js';
import { clusterVerb, namedCluster } from '../context.js';
import { parseCount } from '../time.js';

/** A kubeconfig holds a client key: only its owner may read the file, even if it was there before with another mode. */
function writePrivate(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function kubeconfigCommand(): Command {
  const { verb, cluster } = clusterVerb('kubeconfig', "a short-lived admin kubeconfig for a cluster (admins), to stdout or to a file with mode 0600");
  cluster
    .option('--ttl-minutes <n>', 'minutes it works (shorter than the default only)', parseCount('--ttl-minutes', 1))
    .option('-f, --file <path>', 'write it here (mode 0600) instead of to stdout')
    .action(async (name: string, opts: { ttlMinutes?: number; file?: string }, self: Command) => {
      const { resolver, cluster: found } = await namedCluster(self, name);
      const kc = await resolver.api.get<Kubeconfig>(`/v1/clusters/${encodeURIComponent(found.id)}/kubeconfig`, { ttlMinutes: opts.ttlMinutes });
      if (!opts.file) {
        process.stdout.write(kc.kubeconfig.endsWith('\n') ? kc.kubeconfig : `${kc.kubeconfig}\n`);
        return;
      }
      writePrivate(opts.file, kc.kubeconfig);
      process.stdout.write(`Wrote the kubeconfig of cluster ${found.name} to ${opts.file} (mode 600): user ${kc.user}, works until ${kc.expiresAt}.\n`);
    });
  return verb;
}
