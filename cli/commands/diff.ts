import { Command } from 'commander';
import type { ProfileDiff } from '../api-types.js';
import { palette } from '../colour.js';
import { resolverOf } from '../context.js';
import { profiles } from '../kinds/profile.js';
import { outputOption, print, type Format } from '../output.js';
import { parseCount } from '../time.js';

const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function diffText(d: ProfileDiff, name: string): string {
  const p = palette();
  if (!d.changes.length) return `Profile ${name}: revisions ${d.from} and ${d.to} are the same.\n`;
  const lines = [`Profile ${name}: revision ${d.from} → ${d.to}`];
  for (const c of d.changes) {
    const what = { added: p.green(`+ ${c.name} ${c.toVersion ?? ''}`), removed: p.red(`- ${c.name} ${c.fromVersion ?? ''}`), upgraded: p.yellow(`~ ${c.name} ${c.fromVersion} → ${c.toVersion}`), downgraded: p.yellow(`~ ${c.name} ${c.fromVersion} → ${c.toVersion} (downgrade)`), values: p.yellow(`~ ${c.name} values`) }[c.change];
    lines.push(`  ${c.layer.padEnd(6)}${what.trimEnd()}`);
    for (const v of c.values) {
      if (v.kind === 'added') lines.push(p.green(`        + ${v.path}: ${shown(v.to)}`));
      else if (v.kind === 'removed') lines.push(p.red(`        - ${v.path}: ${shown(v.from)}`));
      else lines.push(p.yellow(`        ~ ${v.path}: ${shown(v.from)} → ${shown(v.to)}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

export function diffCommand(): Command {
  const diff = new Command('diff').description('compare two revisions of a profile');
  diff
    .command('profile')
    .aliases(['profiles', 'pf'])
    .description('every change between two revisions: packs added, removed, upgraded, downgraded; values key path by key path')
    .argument('<name>', 'the profile: its name or id')
    .option('--from <n>', 'the older revision (default: the one before --to)', parseCount('--from', 1))
    .option('--to <n>', 'the newer revision (default: the latest)', parseCount('--to', 1))
    .addOption(outputOption())
    .action(async (name: string, opts: { from?: number; to?: number; output: Format }, self: Command) => {
      const resolver = resolverOf(self);
      const profile = await resolver.one(profiles, name);
      const to = opts.to ?? profile.latestRevision;
      const from = opts.from ?? Math.max(1, to - 1);
      const d = await resolver.api.get<ProfileDiff>(`/v1/profiles/${encodeURIComponent(profile.id)}/diff`, { from, to });
      print(opts.output, d, () => diffText(d, profile.name));
    });
  return diff;
}
