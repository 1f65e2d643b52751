import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { resolverOf } from '../context.js';
import { UsageError } from '../errors.js';
import { apiKeys, parseExpires } from '../kinds/apikey.js';
import { cloudAccounts } from '../kinds/cloudaccount.js';
import { clusters } from '../kinds/cluster.js';
import type { Kind, Manifest } from '../kinds/kind.js';
import { packs } from '../kinds/pack.js';
import { profiles } from '../kinds/profile.js';
import { projects } from '../kinds/project.js';
import { registries } from '../kinds/registry.js';
import { tenants } from '../kinds/tenant.js';
import { readResources, type Resource } from '../manifests.js';
import { outputOption, serialize, type Format } from '../output.js';
import type { Resolver } from '../resolver.js';
import { parseCount } from '../time.js';

type Flags = Record<string, unknown> & { output: Format; filename?: string };

/** The id of what was made: most answers are the resource, a tenant's carries its first key too. */
const idOf = (made: Record<string, unknown>) => String(made.id ?? (made.tenant as { id?: string } | undefined)?.id ?? '');

/** POST the resource; say what was made, and what is shown only once. */
export async function make(resolver: Resolver, r: Resource, format: Format): Promise<Record<string, unknown>> {
  const req = await r.kind.createRequest(r.manifest, resolver);
  const made = await resolver.api.request<Record<string, unknown>>('POST', req.path, { body: req.body });
  resolver.forget(r.kind);
  const note = r.kind.madeNote?.(made);
  const machine = serialize(format, made);
  if (machine) process.stdout.write(machine);
  else process.stdout.write(`${r.kind.name}/${r.name} created (${idOf(made)})\n`);
  if (note) (machine ? process.stderr : process.stdout).write(`${note}\n`);
  return made;
}

const collect = <T>(parse: (s: string) => T) => (value: string, previous: T[] | undefined) => [...(previous ?? []), parse(value)];

/** --pool name=workers,role=worker,count=3,type=m6i.large,zones=us-east-1a+us-east-1b[,disk=80] */
export function parsePool(spec: string): Record<string, unknown> {
  const fields = Object.fromEntries(
    spec.split(',').map((part) => {
      const [key, ...rest] = part.split('=');
      if (!key || !rest.length) throw new InvalidArgumentError(`"${part}" is not key=value (name=workers,role=worker,count=2,type=m6i.large,zones=a+b,disk=80)`);
      return [key.trim(), rest.join('=').trim()];
    }),
  );
  const known = ['name', 'role', 'count', 'type', 'zones', 'disk'];
  const unknown = Object.keys(fields).filter((k) => !known.includes(k));
  if (unknown.length) throw new InvalidArgumentError(`unknown pool field(s) ${unknown.join(', ')}; the fields are ${known.join(', ')}`);
  if (!fields.name || !fields.type || !fields.zones) throw new InvalidArgumentError('a pool needs name, type and zones (name=workers,type=m6i.large,zones=us-east-1a)');
  const number = (key: string) => {
    if (fields[key] === undefined) return undefined;
    if (!/^\d+$/.test(fields[key])) throw new InvalidArgumentError(`pool ${key} must be a whole number, not ${fields[key]}`);
    return Number(fields[key]);
  };
  return {
    name: fields.name,
    role: fields.role ?? 'worker',
    count: number('count') ?? 1,
    instanceType: fields.type,
    zones: fields.zones.split('+'),
    ...(fields.disk !== undefined ? { diskGiB: number('disk') } : {}),
  };
}

/** --layer [REGISTRY/]PACK: the pack by id or name@version, in the public registry unless named. */
function parseLayer(ref: string): Record<string, unknown> {
  const slash = ref.indexOf('/');
  return slash < 0 ? { pack: ref } : { registry: ref.slice(0, slash), pack: ref.slice(slash + 1) };
}

function needed(flags: Flags, ...names: string[]): void {
  const missing = names.filter((n) => flags[n] === undefined);
  if (missing.length) throw new UsageError(`missing ${missing.map((n) => `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} (or give the resource with -f FILE)`);
}

/** --project on the kinds that belong to one. */
const PROJECT_HELP = "the project it belongs to (default: your only project; with a tenant-wide role, none: shared by the tenant's projects)";

/** How each kind is made from flags; -f FILE makes any of them from a manifest. */
const FROM_FLAGS: { kind: Kind; flags: (cmd: Command) => Command; manifest: (name: string, f: Flags) => Promise<Manifest> | Manifest }[] = [
  {
    kind: clusters,
    flags: (cmd) =>
      cmd
        .option('--cluster-profile <name>', 'the cluster profile (name or id)')
        .option('--profile-revision <n>', 'the revision to run (default: the latest)', parseCount('--profile-revision', 1))
        .option('--cloud-account <name>', 'the cloud account (name or id)')
        .option('--region <region>', 'where it runs')
        .option('--pool <spec>', 'a node pool, repeatable: name=workers,role=worker,count=2,type=m6i.large,zones=us-east-1a+us-east-1b[,disk=80]', collect(parsePool))
        .option('--project <name>', `${PROJECT_HELP}; its profile and cloud account are its project's or shared`),
    manifest: (name, f) => {
      needed(f, 'clusterProfile', 'cloudAccount', 'region', 'pool');
      return { kind: 'Cluster', name, project: f.project, profile: f.clusterProfile, profileRevision: f.profileRevision, cloudAccount: f.cloudAccount, region: f.region, nodePools: f.pool };
    },
  },
  {
    kind: profiles,
    flags: (cmd) =>
      cmd
        .option('--layer <pack>', 'a layer, in order, repeatable: [REGISTRY/]PACK, PACK an id or name@version (the public registry unless named)', collect(parseLayer))
        .option('--description <text>')
        .option('--project <name>', PROJECT_HELP),
    manifest: (name, f) => {
      needed(f, 'layer');
      return { kind: 'Profile', name, project: f.project, description: f.description, layers: f.layer };
    },
  },
  {
    kind: registries,
    flags: (cmd) => cmd.option('--description <text>').option('--project <name>', PROJECT_HELP),
    manifest: (name, f) => ({ kind: 'Registry', name, project: f.project, description: f.description }),
  },
  {
    kind: packs,
    flags: (cmd) =>
      cmd
        .option('--registry <name>', 'the private registry it is published to')
        .addOption(new Option('--layer <layer>', 'its layer').choices(['os', 'k8s', 'cni', 'csi', 'addon']))
        .option('--values-file <file>', 'its values (YAML)')
        .option('--description <text>'),
    manifest: (ref, f) => {
      needed(f, 'registry', 'layer');
      const [name, version] = ref.split('@');
      if (!version) throw new UsageError(`name the pack with its version: NAME@VERSION, such as ${ref}@1.0.0`);
      const values = f.valuesFile === undefined ? undefined : readFileSync(String(f.valuesFile), 'utf8');
      return { kind: 'Pack', name, version, registry: f.registry, layer: f.layer, description: f.description, values };
    },
  },
  {
    kind: cloudAccounts,
    flags: (cmd) =>
      cmd
        .addOption(new Option('--type <type>', 'the cloud').choices(['aws', 'azure', 'local']))
        .option('--role-arn <arn>', 'AWS: the role Strata assumes (with the ExternalId it generates)')
        .option('--tenant-id <guid>', 'Azure: the Entra tenant')
        .option('--client-id <guid>', 'Azure: the service principal')
        .option('--subscription-id <guid>', 'Azure: the subscription')
        .option('--client-secret-stdin', "Azure: read the service principal's secret from stdin (stored by Strata, never shown again)")
        .option('--secret-ref <name>', 'Azure: or where you stored the secret yourself (an SSM SecureString parameter under /strata/<stack>/tenants/<tenant>/cloudaccounts/)')
        .option('--project <name>', PROJECT_HELP),
    manifest: async (name, f) => {
      needed(f, 'type');
      const clientSecret = f.clientSecretStdin ? (await text(process.stdin)).trim() : undefined;
      const spec = { type: f.type, roleArn: f.roleArn, tenantId: f.tenantId, clientId: f.clientId, subscriptionId: f.subscriptionId, clientSecret, secretRef: f.secretRef };
      return { kind: 'CloudAccount', name, project: f.project, spec: Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)) };
    },
  },
  {
    kind: apiKeys,
    flags: (cmd) =>
      cmd
        .addOption(new Option('--role <role>', 'what the key may do').choices(['admin', 'editor', 'viewer']))
        .option('--expires <when>', 'when the key stops working: a time from now (30d, 12h) or a moment (2027-01-01T00:00:00Z), at most 2 years ahead (default: until revoked)', (t: string) => parseExpires(t))
        .option('--project <name>', "limit the key to this project: its role holds there only, and it sees the project's resources and the shared ones (default: the whole tenant; a project's admin makes keys of its project)"),
    manifest: (name, f) => {
      needed(f, 'role');
      return { kind: 'ApiKey', name, role: f.role, expiresAt: f.expires, project: f.project };
    },
  },
  {
    kind: projects,
    flags: (cmd) => cmd.option('--description <text>', 'what the project is for'),
    manifest: (name, f) => ({ kind: 'Project', name, description: f.description }),
  },
  {
    kind: tenants,
    flags: (cmd) => cmd.option('--display-name <text>'),
    manifest: (name, f) => ({ kind: 'Tenant', name, displayName: f.displayName }),
  },
];

export function createCommand(): Command {
  const create = new Command('create')
    .description('make resources from flags (strata create cluster NAME …) or from a file (strata create -f FILE)')
    .option('-f, --filename <file>', 'the resources to make (YAML or JSON; - for stdin)')
    .addOption(outputOption())
    .action(async (opts: Flags, self: Command) => {
      if (!opts.filename) throw new UsageError('say what to create: strata create KIND NAME [flags], or strata create -f FILE');
      const resolver = resolverOf(self);
      for (const r of await readResources(opts.filename)) await make(resolver, r, opts.output);
    });
  for (const { kind, flags, manifest } of FROM_FLAGS) {
    const cmd = new Command(kind.name)
      .aliases([kind.plural, ...kind.aliases])
      .description(`make a ${kind.name}`)
      .argument('[name]', kind === packs ? 'NAME@VERSION' : 'its name');
    flags(cmd).action(async (name: string | undefined, _own: unknown, self: Command) => {
      // -f and -o belong to `create` itself (a parent's options are its subcommands' too).
      const opts = self.optsWithGlobals<Flags>();
      const resolver = resolverOf(self);
      if (opts.filename) {
        for (const r of await readResources(opts.filename, kind)) await make(resolver, r, opts.output);
        return;
      }
      if (!name) throw new UsageError(`name the ${kind.name}: strata create ${kind.name} NAME`);
      const m = await manifest(name, opts);
      // Flags not given are left out, so the API's defaults apply.
      const defined = Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as Manifest;
      await make(resolver, { kind, name, manifest: defined, where: 'flags' }, opts.output);
    });
    create.addCommand(cmd);
  }
  return create;
}
