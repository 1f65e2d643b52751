import { Command } from 'commander';
import { applyCommand } from './commands/apply.js';
import { auditCommand } from './commands/audit.js';
import { quotasCommand } from './commands/quotas.js';
import { complianceCommand } from './commands/compliance.js';
import { createCommand } from './commands/create.js';
import { deleteCommand } from './commands/delete.js';
import { describeCommand } from './commands/describe.js';
import { diffCommand } from './commands/diff.js';
import { eventsCommand } from './commands/events.js';
import { getCommand } from './commands/get.js';
import { kubeconfigCommand } from './commands/kubeconfig.js';
import { loginCommand, logoutCommand } from './commands/login.js';
import { logsCommand } from './commands/logs.js';
import { ospatchCommand } from './commands/ospatch.js';
import { planCommand } from './commands/plan.js';
import { rotateCommand } from './commands/rotate.js';
import { scaleCommand } from './commands/scale.js';
import { sendCommand } from './commands/send.js';
import { ssoCommand } from './commands/sso.js';
import { updateCommand } from './commands/update.js';
import { applyUpdateCommand, historyCommand, rollbackCommand, updatesCommand } from './commands/updates.js';
import { usageCommand } from './commands/usage.js';
import { validateCommand } from './commands/validate.js';
import { valuesCommand } from './commands/values.js';
import { waitCommand } from './commands/wait.js';
import { CLI_VERSION } from './version.js';

const AFTER_HELP = `
Configuration: STRATA_API_URL and STRATA_API_KEY, or what strata login (an API key) or
strata login --sso (a sign-in through the tenant's identity provider) stored in
$XDG_CONFIG_HOME/strata/config.json (~/.config/strata/config.json); the environment wins.

Exit codes: 0 done, 1 the API refused (or a wait timed out, or a command waited for did not
succeed), 2 the command line is wrong.`;

/**
 * Settings every command needs, set on each: commander copies them only to commands made with
 * .command(), not to those added with .addCommand().
 */
function configure(cmd: Command): void {
  cmd.exitOverride().showSuggestionAfterError().configureHelp({ showGlobalOptions: true });
  for (const sub of cmd.commands) configure(sub);
}

/** The `strata` command line: every verb, over the public REST API only. */
export function program(): Command {
  const strata = new Command('strata')
    .description('Strata: Kubernetes cluster lifecycle from the command line')
    .version(CLI_VERSION, '-V, --version')
    .option('--profile <name>', 'the platform of the config file to use (default: "default")')
    .addHelpText('after', AFTER_HELP);
  for (const cmd of [
    loginCommand(),
    logoutCommand(),
    getCommand(),
    describeCommand(),
    createCommand(),
    applyCommand(),
    deleteCommand(),
    scaleCommand(),
    updateCommand(),
    updatesCommand(),
    applyUpdateCommand(),
    rollbackCommand(),
    historyCommand(),
    valuesCommand(),
    ospatchCommand(),
    planCommand(),
    waitCommand(),
    eventsCommand(),
    auditCommand(),
    ssoCommand(),
    quotasCommand(),
    logsCommand(),
    complianceCommand(),
    usageCommand(),
    kubeconfigCommand(),
    sendCommand(),
    rotateCommand(),
    diffCommand(),
    validateCommand(),
  ]) {
    strata.addCommand(cmd);
  }
  configure(strata);
  return strata;
}
