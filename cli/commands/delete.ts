import { Command } from 'commander';
import { confirm } from '../confirm.js';
import { resolverOf } from '../context.js';
import { clusters } from '../kinds/cluster.js';
import { KINDS } from '../kinds/index.js';
import type { Kind } from '../kinds/kind.js';

/** What deleting each kind does, said before asking. */
const CONSEQUENCE: Record<string, string> = {
  cluster: 'its nodes and everything Strata made for it in the cloud go too',
  apikey: 'it stops working within 5 s',
  project: 'the API deletes only an empty one: delete or revoke what belongs to it first',
};

function kindCommand(kind: Kind): Command {
  return new Command(kind.name)
    .aliases([kind.plural, ...kind.aliases])
    .description(`delete a ${kind.name}`)
    .argument('<name>', `the ${kind.name}: its name or id`)
    .option('-y, --yes', 'do not ask')
    .action(async (name: string, opts: { yes?: boolean }, self: Command) => {
      const resolver = resolverOf(self);
      const item = await resolver.one(kind, name);
      const label = `${kind.name} ${kind.nameOf(item)} (${kind.idOf(item)})`;
      if (!opts.yes && CONSEQUENCE[kind.name]) process.stderr.write(`Deleting ${label}: ${CONSEQUENCE[kind.name]}.\n`);
      if (!(await confirm(`delete ${label}`, opts))) {
        process.stdout.write('Cancelled: nothing was deleted.\n');
        return;
      }
      await resolver.api.request('DELETE', kind.deletePath!(item));
      // A cluster's deletion is a workflow: it has started, and `wait --for=Deleted` sees it end.
      process.stdout.write(kind === clusters ? `cluster/${kind.nameOf(item)} deleting; strata wait cluster ${kind.nameOf(item)} --for=Deleted waits for the end\n` : `${kind.name}/${kind.nameOf(item)} deleted\n`);
    });
}

export function deleteCommand(): Command {
  const del = new Command('delete').description('delete a resource, after asking (--yes does not ask)');
  for (const kind of KINDS) if (kind.deletePath) del.addCommand(kindCommand(kind));
  return del;
}
