import { Command, InvalidArgumentError } from 'commander';
import type { GroupRole, SetSsoInput, SsoConfig } from '../api-types.js';
import { palette } from '../colour.js';
import { confirm } from '../confirm.js';
import { apiOf } from '../context.js';
import { outputOption, print, type Format } from '../output.js';
import { renderFacts, renderTable } from '../table.js';
import { age } from '../time.js';

const ROLES = ['admin', 'editor', 'viewer'] as const;

/** --map GROUP=ROLE[@PROJECT], repeatable: the mappings in the order given. A group's name may hold = and @, a role and a project neither. */
function parseMapping(text: string, previous: GroupRole[] = []): GroupRole[] {
  const at = text.lastIndexOf('=');
  const group = text.slice(0, at);
  const [role = '', project, ...rest] = text.slice(at + 1).split('@');
  if (at < 1 || !(ROLES as readonly string[]).includes(role) || project === '' || rest.length) {
    throw new InvalidArgumentError(`"${text}" is not GROUP=ROLE or GROUP=ROLE@PROJECT, with ROLE one of ${ROLES.join(', ')}`);
  }
  return [...previous, { group, role: role as GroupRole['role'], ...(project === undefined ? {} : { project }) }];
}

function ssoText(config: SsoConfig): string {
  const p = palette();
  // Once some group maps to a project role: where each role holds.
  const inProjects = config.groupRoles.some((g) => g.project !== undefined);
  const mappings = renderTable(
    [
      { header: 'GROUP', cell: (g: GroupRole) => g.group },
      { header: 'ROLE', cell: (g) => g.role },
      ...(inProjects ? [{ header: 'PROJECT', cell: (g: GroupRole) => g.project ?? '(tenant)' }] : []),
    ],
    config.groupRoles,
    p.bold,
  );
  const facts = renderFacts(
    [
      ['Tenant', config.tenantId],
      ['Issuer', config.issuer],
      ['Client ID', config.clientId],
      ['Groups claim', config.groupsClaim],
      ['Scopes', config.scopes.join(' ')],
      ['Updated', `${config.updatedAt} (${age(config.updatedAt)} ago)`],
    ],
    p.bold,
  );
  const rule = inProjects
    ? "A user's role is the highest tenant-wide role their groups map to; failing one, in each project the highest role mapped there; a user in none of these groups cannot sign in."
    : "A user's role is the highest of their groups'; a user in none of these groups cannot sign in.";
  return `${facts}\n${rule}\n\n${mappings}`;
}

export function ssoCommand(): Command {
  const sso = new Command('sso')
    .description("the tenant's sign-in through its identity provider (OpenID Connect): show it; set it (sso set); remove it (sso delete). Admins")
    .addOption(outputOption())
    .action(async (opts: { output: Format }, self: Command) => {
      const config = await apiOf(self).get<SsoConfig>('/v1/sso');
      print(opts.output, config, () => ssoText(config));
    });

  sso
    .command('set')
    .description("set the tenant's sign-in: the provider, the client registered there for Strata, and which groups get which role (all replaced)")
    .requiredOption('--issuer <url>', "the provider's issuer URL, exactly as its tokens' iss claim")
    .requiredOption('--client-id <id>', 'the public client (authorization code with PKCE) registered at the provider for Strata')
    .option('--groups-claim <claim>', 'the ID token claim that lists the groups (default: groups)')
    .option('--scopes <list>', 'what sign-in asks the provider for, separated by spaces or commas (default: openid profile email); add groups or offline_access as the provider needs')
    .requiredOption(
      '--map <GROUP=ROLE[@PROJECT]>',
      'a group and the role its members get (admin, editor or viewer), over the whole tenant or, with @PROJECT, in that project only; repeat for each group (a group may map once tenant-wide and once per project)',
      parseMapping,
    )
    .action(async (opts: { issuer: string; clientId: string; groupsClaim?: string; scopes?: string; map: GroupRole[] }, self: Command) => {
      const { output } = self.optsWithGlobals<{ output: Format }>();
      const body: SetSsoInput = {
        issuer: opts.issuer,
        clientId: opts.clientId,
        ...(opts.groupsClaim ? { groupsClaim: opts.groupsClaim } : {}),
        ...(opts.scopes ? { scopes: opts.scopes.split(/[\s,]+/).filter(Boolean) } : {}),
        groupRoles: opts.map,
      };
      const config = await apiOf(self).request<SsoConfig>('PUT', '/v1/sso', { body });
      print(output, config, () => `Sign-in set for tenant ${config.tenantId}.\n\n${ssoText(config)}`);
    });

  sso
    .command('delete')
    .description("remove the tenant's sign-in: nobody signs in through the provider any more; API keys go on working")
    .option('-y, --yes', 'do not ask')
    .action(async (opts: { yes?: boolean }, self: Command) => {
      if (!(await confirm("remove the tenant's sign-in through its identity provider", opts))) {
        process.stdout.write('Cancelled: nothing was removed.\n');
        return;
      }
      await apiOf(self).request('DELETE', '/v1/sso');
      process.stdout.write("The tenant's sign-in through its identity provider is removed.\n");
    });
  return sso;
}
