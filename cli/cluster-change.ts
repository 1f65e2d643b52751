import type { ApiClient } from './api-client.js';
import type { Cluster, PlanPreview } from './api-types.js';
import type { Palette } from './colour.js';
import { confirm } from './confirm.js';
import { sameValue } from './equal.js';
import { say, serialize, type Format } from './output.js';
import { previewText } from './plan-view.js';

export interface ChangeOptions {
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly palette: Palette;
  /** table: the plan for people; json or yaml: the dry run's answer on stdout, words on stderr. */
  readonly format?: Format;
}

export type ChangeOutcome = { readonly outcome: 'unchanged' | 'previewed' | 'declined' } | { readonly outcome: 'changed'; readonly cluster: Cluster };

/**
 * Every change of a cluster goes the same way: the API's dry run gives the exact plan, the plan is
 * shown, the user confirms, and the same body is sent for real with the version that was read, so
 * a cluster changed meanwhile is refused (409) rather than changed by a plan nobody saw.
 */
export async function changeCluster(api: ApiClient, current: Cluster, change: Record<string, unknown>, opts: ChangeOptions): Promise<ChangeOutcome> {
  const path = `/v1/clusters/${encodeURIComponent(current.id)}`;
  const body = { version: current.version, ...change };
  const preview = await api.request<PlanPreview>('PUT', path, { query: { dryRun: 'true' }, body });
  const said = (line: string) => (opts.format && opts.format !== 'table' ? process.stderr : process.stdout).write(`${line}\n`);
  const machine = opts.format ? serialize(opts.format, preview) : undefined;
  const unchanged = Object.keys(change).every((f) => sameValue((preview.cluster as Record<string, unknown>)[f], (current as Record<string, unknown>)[f]));
  if (unchanged) {
    if (machine && opts.dryRun) process.stdout.write(machine);
    return { outcome: 'unchanged' };
  }
  if (machine) process.stdout.write(machine);
  else {
    const generation = preview.cluster.generation === current.generation ? 'settings only, no new generation' : `generation ${current.generation} → ${preview.cluster.generation}`;
    said(`Plan for cluster ${current.name} (${generation}):`);
    process.stdout.write(previewText(preview.plan, preview.cancels, opts.palette));
  }
  if (opts.dryRun) {
    said('Dry run: nothing was changed.');
    return { outcome: 'previewed' };
  }
  if (!(await confirm(`apply this plan to cluster ${current.name}`, opts))) {
    said('Cancelled: nothing was changed.');
    return { outcome: 'declined' };
  }
  return { outcome: 'changed', cluster: await api.request<Cluster>('PUT', path, { body }) };
}

/** The last word of a change: unchanged, or the generation that now reconciles it. */
export function reportChange(name: string, result: ChangeOutcome, format: Format, sameAs: string): void {
  if (result.outcome === 'unchanged') say(format, `cluster/${name} unchanged: ${sameAs}`);
  if (result.outcome === 'changed') say(format, `cluster/${name} changed: generation ${result.cluster.generation}; follow it with strata plan cluster ${name}`);
}
