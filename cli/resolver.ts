import type { ApiClient } from './api-client.js';
import { Failure } from './errors.js';
import type { Kind, ListOptions } from './kinds/kind.js';

const SHOWN = 10;

/**
 * Names to ids through list calls, each list fetched once per command run (and again after
 * something of its kind was made).
 */
export class Resolver {
  private readonly lists = new Map<string, Promise<unknown[]>>();

  constructor(readonly api: ApiClient) {}

  list<T>(kind: Kind<T>, opts: ListOptions = {}): Promise<T[]> {
    const key = `${kind.name} ${JSON.stringify(opts)}`;
    let list = this.lists.get(key);
    if (!list) {
      list = kind.list(this, opts);
      this.lists.set(key, list);
      // A failed list is not remembered.
      list.catch(() => this.lists.delete(key));
    }
    return list as Promise<T[]>;
  }

  /** The resources of that id, or else of that name (or short name: a pack's without its version). */
  async matching<T>(kind: Kind<T>, ref: string, opts: ListOptions = {}): Promise<T[]> {
    const items = await this.list(kind, opts);
    for (const named of [kind.idOf, kind.nameOf, kind.shortNameOf]) {
      const matches = named ? items.filter((x) => named(x) === ref) : [];
      if (matches.length) return matches;
    }
    return [];
  }

  /** The one resource of that id or name; undefined when there is none. */
  async find<T>(kind: Kind<T>, ref: string, opts: ListOptions = {}): Promise<T | undefined> {
    const matches = await this.matching(kind, ref, opts);
    if (matches.length > 1) {
      throw new Failure(`${matches.length} ${kind.plural} are called "${ref}"; name one by its id`, matches.map((m) => ({ path: 'name', message: kind.idOf(m) })));
    }
    return matches[0];
  }

  async one<T>(kind: Kind<T>, ref: string, opts: ListOptions = {}): Promise<T> {
    const found = await this.find(kind, ref, opts);
    if (found) return found;
    const names = (await this.list(kind, opts)).map((x) => kind.nameOf(x));
    const known = names.length ? `${names.slice(0, SHOWN).join(', ')}${names.length > SHOWN ? `, … (${names.length} in all)` : ''}` : 'there are none';
    throw new Failure(`no ${kind.name} "${ref}"`, [{ path: 'name', message: `known ${kind.plural}: ${known}` }]);
  }

  async id<T>(kind: Kind<T>, ref: string, opts: ListOptions = {}): Promise<string> {
    return kind.idOf(await this.one(kind, ref, opts));
  }

  /** Lists of this kind are fetched again: one was just made or deleted. */
  forget(kind: { readonly name: string }): void {
    for (const key of this.lists.keys()) if (key.startsWith(`${kind.name} `)) this.lists.delete(key);
  }
}
