import { Command } from 'commander';
import type { CredentialCheck } from '../api-types.js';
import { palette } from '../colour.js';
import { resolverOf } from '../context.js';
import { Failure } from '../errors.js';
import { cloudAccounts } from '../kinds/cloudaccount.js';
import { outputOption, print, type Format } from '../output.js';

export function validateCommand(): Command {
  const validate = new Command('validate').description("check a cloud account's credentials with its provider, changing nothing");
  validate
    .command('cloudaccount')
    .aliases(['cloudaccounts', 'account', 'ca'])
    .description("check the account's credentials with the provider; exit code 1 when the provider refuses them")
    .argument('<name>', 'the cloud account: its name or id')
    .option('--region <region>', 'where to check (AWS region or Azure location)')
    .addOption(outputOption())
    .action(async (name: string, opts: { region?: string; output: Format }, self: Command) => {
      const resolver = resolverOf(self);
      const account = await resolver.one(cloudAccounts, name);
      const check = await resolver.api.request<CredentialCheck>('POST', `/v1/cloudaccounts/${encodeURIComponent(account.id)}/validate`, { query: { region: opts.region } });
      const p = palette();
      print(opts.output, check, () => (check.valid ? `${p.green('valid')}: ${check.message}\n` : ''));
      if (!check.valid) throw new Failure(`the provider refused the credentials of ${account.name}: ${check.code ? `${check.code}: ` : ''}${check.message}`);
    });
  return validate;
}
