import { InvalidArgumentError, type Command } from 'commander';
import { changeCluster, reportChange } from '../cluster-change.js';
import { palette } from '../colour.js';
import { clusterVerb, namedCluster } from '../context.js';
import { UsageError } from '../errors.js';
import { profiles } from '../kinds/profile.js';
import { outputOption, type Format } from '../output.js';

const parseRevision = (text: string): number | 'latest' => {
  if (text === 'latest') return text;
  if (!/^[1-9]\d*$/.test(text)) throw new InvalidArgumentError('a revision number, or latest');
  return Number(text);
};

export function updateCommand(): Command {
  const { verb, cluster } = clusterVerb('update', "change a cluster (its profile revision); the plan is shown (from the API's dry run) and confirmed first");
  cluster
    .option('--profile-revision <n>', 'run this revision of its profile, or latest', parseRevision)
    .option('--dry-run', 'show the plan and change nothing')
    .option('-y, --yes', 'do not ask')
    .addOption(outputOption())
    .action(async (name: string, opts: { profileRevision?: number | 'latest'; dryRun?: boolean; yes?: boolean; output: Format }, self: Command) => {
      if (opts.profileRevision === undefined) throw new UsageError('say what to change: --profile-revision N|latest (or edit a manifest and strata apply -f it)');
      const { resolver, cluster: found } = await namedCluster(self, name);
      const revision = opts.profileRevision === 'latest' ? (await resolver.one(profiles, found.profileId)).latestRevision : opts.profileRevision;
      const result = await changeCluster(resolver.api, found, { profileRevision: revision }, { dryRun: opts.dryRun, yes: opts.yes, palette: palette(), format: opts.output });
      reportChange(found.name, result, opts.output, `it runs revision ${revision} already`);
    });
  return verb;
}
