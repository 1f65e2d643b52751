import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { parseAllDocuments } from 'yaml';
import { UsageError } from './errors.js';
import { KINDS, kindNamed } from './kinds/index.js';
import type { Kind, Manifest } from './kinds/kind.js';

/** One resource of a file, with its kind and where it came from (for messages). */
export interface Resource {
  readonly kind: Kind;
  readonly name: string;
  readonly manifest: Manifest;
  readonly where: string;
}

async function readText(file: string): Promise<string> {
  if (file === '-') return text(process.stdin);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/**
 * The resources of a YAML (or JSON) file, `-` for stdin: one per document, or a list of them;
 * each a mapping with `kind` and `name`, the rest as the API takes it.
 */
export async function readResources(file: string, expected?: Kind): Promise<Resource[]> {
  const source = file === '-' ? 'stdin' : file;
  const docs = parseAllDocuments(await readText(file));
  const values: unknown[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const problem = doc.errors[0];
    if (problem) throw new UsageError(`${source}: not valid YAML: ${problem.message}`);
    const value = doc.toJS() as unknown;
    if (Array.isArray(value)) values.push(...value);
    else if (value !== null && value !== undefined) values.push(value);
  }
  if (!values.length) throw new UsageError(`${source} holds no resources`);
  return values.map((value, i) => {
    const where = `${source}, resource ${i + 1}`;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${where}: a resource is a mapping with kind and name`);
    const manifest = { ...(value as Manifest) };
    if (expected && manifest.kind === undefined) manifest.kind = expected.manifestKind;
    if (typeof manifest.kind !== 'string') throw new UsageError(`${where}: says no kind (kind: ${KINDS.map((k) => k.manifestKind).join(' | ')})`);
    const kind = kindNamed(manifest.kind);
    if (!kind) throw new UsageError(`${where}: unknown kind ${manifest.kind}; the kinds are ${KINDS.map((k) => k.manifestKind).join(', ')}`);
    if (expected && kind !== expected) throw new UsageError(`${where}: is a ${kind.manifestKind}, not a ${expected.manifestKind}`);
    if (typeof manifest.name !== 'string' || !manifest.name) throw new UsageError(`${where}: a ${kind.manifestKind} needs a name`);
    return { kind, name: manifest.name, manifest, where };
  });
}
