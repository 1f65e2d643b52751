import { Command } from 'commander';
import type { Cluster, Pack, ProfileWithLayers } from '../api-types.js';
import { changeCluster } from '../cluster-change.js';
import { palette, type Palette } from '../colour.js';
import { resolverOf } from '../context.js';
import { differingFields } from '../equal.js';
import { Failure } from '../errors.js';
import { clusterChange, clusters } from '../kinds/cluster.js';
import { packs } from '../kinds/pack.js';
import { profiles } from '../kinds/profile.js';
import { manifestProject } from '../kinds/project.js';
import { readResources, type Resource } from '../manifests.js';
import type { Resolver } from '../resolver.js';
import { make } from './create.js';

interface ApplyOptions {
  readonly filename: string;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
}

/** What apply did to one resource, as printed after its name: `profile/web configured: revision 2`. */
type Outcome = 'created' | `configured: ${string}` | 'unchanged' | 'would be created' | 'would be configured' | 'not changed';

/** Fields the API takes but never shows again: they cannot be compared. */
const WRITE_ONLY = new Set(['clientSecret']);

/** The resource of that name, where it is looked for: a pack by name@version in its registry. */
async function existing(resolver: Resolver, r: Resource): Promise<unknown> {
  if (r.kind === packs) {
    const registry = String(r.manifest.registryId ?? r.manifest.registry ?? '');
    return registry ? resolver.find(packs, `${r.name}@${String(r.manifest.version)}`, { registry }) : undefined;
  }
  return resolver.find(r.kind, r.name);
}

/** A profile changes by a new revision, when its layers (pack and values) or its description differ. */
async function applyProfile(resolver: Resolver, r: Resource, found: ProfileWithLayers, opts: ApplyOptions): Promise<Outcome> {
  const project = manifestProject(r.manifest);
  if (project !== undefined && project !== found.projectId) {
    const where = found.projectId === undefined ? 'is shared (no project)' : `belongs to project ${found.projectId}`;
    throw new Failure(`profile/${r.name} ${where}, not ${project} as ${r.where} says; a profile's project is fixed when it is made`, [{ path: 'project', message: 'fixed at creation' }]);
  }
  const { body } = await profiles.createRequest(r.manifest, resolver);
  const desired = body.layers as { registryId: string; packId: string; values?: string }[];
  const packValues = async (l: { registryId: string; packId: string }) => ((await resolver.find(packs, l.packId, { registry: l.registryId })) as Pack | undefined)?.values;
  const sameLayers =
    desired.length === found.layers.length &&
    (
      await Promise.all(
        desired.map(async (l, i) => {
          const cur = found.layers[i]!;
          // Without values, a layer takes its pack's own.
          return cur.registryId === l.registryId && cur.packId === l.packId && cur.values === (l.values ?? (await packValues(l)));
        }),
      )
    ).every(Boolean);
  if (sameLayers && (body.description === undefined || body.description === found.description)) return 'unchanged';
  if (opts.dryRun) return 'would be configured';
  const next = await resolver.api.request<ProfileWithLayers>('PUT', `/v1/profiles/${encodeURIComponent(found.id)}`, { body: { version: found.version, description: body.description, layers: desired } });
  resolver.forget(profiles);
  return `configured: revision ${next.latestRevision}`;
}

/** A cluster changes through its plan: dry run, plan shown, confirmation, then the change with the version read. */
async function applyCluster(resolver: Resolver, r: Resource, found: Cluster, opts: ApplyOptions, p: Palette): Promise<Outcome> {
  const change = await clusterChange(r.manifest, found, resolver);
  if (!Object.keys(change).length) return 'unchanged';
  const result = await changeCluster(resolver.api, found, change, { dryRun: opts.dryRun, yes: opts.yes, palette: p });
  if (result.outcome !== 'changed') return ({ unchanged: 'unchanged', previewed: 'would be configured', declined: 'not changed' } as const)[result.outcome];
  return `configured: generation ${result.cluster.generation}; follow it with strata plan cluster ${r.name}`;
}

/** Registries, packs, cloud accounts, keys and tenants never change once made: the same is fine, another is refused. */
async function applyImmutable(resolver: Resolver, r: Resource, found: Record<string, unknown>): Promise<Outcome> {
  const { body } = await r.kind.createRequest(r.manifest, resolver);
  const comparable = Object.fromEntries(Object.entries(body).filter(([k]) => !WRITE_ONLY.has(k)));
  if (comparable.spec && typeof comparable.spec === 'object') comparable.spec = Object.fromEntries(Object.entries(comparable.spec).filter(([k]) => !WRITE_ONLY.has(k)));
  const differing = differingFields(found, comparable);
  if (!differing.length) return 'unchanged';
  const remedy = r.kind === packs ? 'publish it as a new version' : `delete it and apply again`;
  throw new Failure(
    `${r.kind.name}/${r.name} exists and differs from ${r.where} in ${differing.join(', ')}; ${r.kind.plural} cannot change once made: ${remedy}`,
    differing.map((f) => ({ path: f, message: found[f] === undefined ? 'not set on the existing one' : `is ${JSON.stringify(found[f])} on the existing one` })),
  );
}

async function applyOne(resolver: Resolver, r: Resource, opts: ApplyOptions, p: Palette): Promise<Outcome> {
  const found = await existing(resolver, r);
  if (!found) {
    if (opts.dryRun) return 'would be created';
    await make(resolver, r, 'table');
    return 'created';
  }
  if (r.kind === clusters) return applyCluster(resolver, r, found as Cluster, opts, p);
  if (r.kind === profiles) return applyProfile(resolver, r, (await profiles.read!(resolver.api, found as ProfileWithLayers)) as ProfileWithLayers, opts);
  return applyImmutable(resolver, r, found as Record<string, unknown>);
}

export function applyCommand(): Command {
  return new Command('apply')
    .description('make the resources of a file exist as it says: create what is missing, change what differs (by name), leave the rest')
    .requiredOption('-f, --filename <file>', 'the resources (YAML or JSON, several documents; - for stdin)')
    .option('--dry-run', 'say what would change (clusters: the exact plan, from the API) and change nothing')
    .option('-y, --yes', 'change clusters without asking')
    .action(async (opts: ApplyOptions, self: Command) => {
      const resolver = resolverOf(self);
      const p = palette();
      const resources = await readResources(opts.filename);
      const outcomes: Outcome[] = [];
      for (const r of resources) {
        const outcome = await applyOne(resolver, r, opts, p);
        outcomes.push(outcome);
        if (outcome !== 'created') process.stdout.write(`${r.kind.name}/${r.name} ${outcome}${opts.dryRun && outcome !== 'unchanged' ? ' (dry run)' : ''}\n`);
      }
      if (outcomes.every((o) => o === 'unchanged')) process.stdout.write(`Nothing to change: ${resources.length === 1 ? 'the resource is' : `all ${resources.length} resources are`} as ${opts.filename === '-' ? 'stdin' : opts.filename} says.\n`);
    });
}

