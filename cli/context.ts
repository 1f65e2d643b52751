import { Command } from 'commander';
import { ApiClient } from './api-client.js';
import type { Cluster } from './api-types.js';
import { resolvePlatform } from './config.js';
import { clusters } from './kinds/cluster.js';
import { Resolver } from './resolver.js';

/** The API client of this run: the platform from the environment, or --profile's (or the default) in the config file. */
export function apiOf(cmd: Command): ApiClient {
  const { profile } = cmd.optsWithGlobals<{ profile?: string }>();
  const platform = resolvePlatform(profile);
  return new ApiClient(platform.url, platform.key);
}

export function resolverOf(cmd: Command): Resolver {
  return new Resolver(apiOf(cmd));
}

/** `<verb> cluster NAME`: a verb whose object is one cluster (describe, events, wait, usage, …). */
export function clusterVerb(verb: string, description: string): { verb: Command; cluster: Command } {
  const parent = new Command(verb).description(description);
  const cluster = parent.command('cluster').aliases(['clusters', 'cl']).argument('<name>', 'the cluster: its name or id').description(description);
  return { verb: parent, cluster };
}

/** The cluster a command names, by name or id. */
export async function namedCluster(cmd: Command, name: string): Promise<{ resolver: Resolver; cluster: Cluster }> {
  const resolver = resolverOf(cmd);
  return { resolver, cluster: await resolver.one(clusters, name) };
}
