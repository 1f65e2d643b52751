import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import type { PackValues } from '../api-types.js';
import { palette } from '../colour.js';
import { clusterVerb, namedCluster } from '../context.js';
import { UsageError } from '../errors.js';
import { outputOption, print, say, type Format } from '../output.js';
import { packValuesText } from '../update-view.js';

async function overrideText(file: string): Promise<string> {
  if (file === '-') return text(process.stdin);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

export function valuesCommand(): Command {
  const { verb, cluster } = clusterVerb('values', "a pack's values on a cluster: the profile's, the cluster's override, every difference and the pack's status; or set the override");
  cluster
    .argument('<pack>', "the pack's name in the profile (calico, kubernetes, …)")
    .option('--set-file <file>', "set the cluster's override of the pack: a partial YAML document with only the keys it sets (- for stdin)")
    .option('--clear', "remove the cluster's override: the pack runs the profile's values")
    .option('--dry-run', 'with --set-file or --clear: show the result and change nothing')
    .addOption(outputOption())
    .action(async (name: string, pack: string, opts: { setFile?: string; clear?: boolean; dryRun?: boolean; output: Format }, self: Command) => {
      if (opts.setFile !== undefined && opts.clear) throw new UsageError('--set-file and --clear go one at a time');
      const setting = opts.setFile !== undefined || !!opts.clear;
      if (opts.dryRun && !setting) throw new UsageError('--dry-run goes with --set-file or --clear');
      const { resolver, cluster: found } = await namedCluster(self, name);
      const path = `/v1/clusters/${encodeURIComponent(found.id)}/packs/${encodeURIComponent(pack)}/values`;
      const p = palette();
      if (!setting) {
        const values = await resolver.api.get<PackValues>(path);
        return print(opts.output, values, () => packValuesText(values, found.name, p));
      }
      const values = opts.clear ? '' : await overrideText(opts.setFile!);
      const result = await resolver.api.request<PackValues>('PUT', path, { query: opts.dryRun ? { dryRun: 'true' } : {}, body: { values, version: found.version } });
      print(opts.output, result, () => packValuesText(result, found.name, p));
      if (opts.dryRun) say(opts.output, 'Dry run: nothing was changed.');
      else say(opts.output, `cluster/${found.name} ${pack} values ${opts.clear ? 'override removed' : 'override set'}: generation ${result.generation}; the agent applies it with its next heartbeat`);
    });
  return verb;
}
