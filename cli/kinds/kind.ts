import type { ApiClient } from '../api-client.js';
import type { Palette } from '../colour.js';
import type { Resolver } from '../resolver.js';

/** What narrows a list: the registry of packs, the phase of clusters, a pack's layer; an image's cloud, region, signature and OS pack. */
export interface ListOptions {
  readonly registry?: string;
  readonly layer?: string;
  readonly phase?: string;
  readonly cloud?: string;
  readonly region?: string;
  readonly signature?: string;
  readonly pack?: string;
}

/** A manifest: the API's create body with a `kind`, where references may be names. */
export type Manifest = Record<string, unknown> & { kind?: string; name?: unknown };

export interface TableContext {
  readonly palette: Palette;
  readonly resolver: Resolver;
  /** One resource asked for by name: its table may say more than a list's row. */
  readonly single: boolean;
}

/** A request that makes a resource. */
export interface CreateRequest {
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/**
 * One kind of resource of the public API, as every verb of the CLI sees it: how to list it,
 * name it, show it, make it from a manifest, and delete it.
 */
export interface Kind<T = unknown> {
  /** Singular, as typed: `strata get cluster demo`. */
  readonly name: string;
  readonly plural: string;
  readonly aliases: readonly string[];
  /** `kind:` in a manifest. */
  readonly manifestKind: string;
  list(resolver: Resolver, opts: ListOptions): Promise<T[]>;
  idOf(item: T): string;
  /** What a user calls it; unique within its list. */
  nameOf(item: T): string;
  /** A shorter name that may match several (a pack's name without its version). */
  shortNameOf?(item: T): string;
  /** The full resource, where the list shows less (a cluster's Ready and health, a profile's layers). */
  read?(api: ApiClient, item: T): Promise<T>;
  table(items: readonly T[], ctx: TableContext): Promise<string> | string;
  /** The request that makes it from a manifest, names resolved to ids. */
  createRequest(manifest: Manifest, resolver: Resolver): Promise<CreateRequest>;
  /** What to tell about a resource just made, beyond its name: a secret shown once, a trust policy to install. */
  madeNote?(created: unknown): string | undefined;
  /** DELETE path; absent where the API deletes nothing (packs, tenants). */
  deletePath?(item: T): string;
}
