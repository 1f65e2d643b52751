import { gunzipSync, gzipSync } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import { clock } from '../../core/clock.js';

export interface ArchiveFile {
  /** Absolute path on the node; stored relative, so `tar -xzf … -C /` puts it there. */
  readonly path: string;
  readonly mode: number;
  readonly content: string | Buffer;
}

/** A tar.gz of the files, owned by root, directories made as needed (mode 0755). */
export async function tarGz(files: readonly ArchiveFile[], mtime = clock.date()): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  const dirs = new Set<string>();
  for (const f of files) {
    const rel = f.path.replace(/^\/+/, '');
    const parts = rel.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      archive.entry({ name: `${dir}/`, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime });
    }
    archive.entry({ name: rel, mode: f.mode, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime }, typeof f.content === 'string' ? Buffer.from(f.content) : f.content);
  }
  archive.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

/** The regular files of a tar.gz: absolute path → content and mode (what `tar -xzf … -C /` would write). */
export async function untarGz(archive: Buffer): Promise<Map<string, { content: Buffer; mode: number }>> {
  const out = new Map<string, { content: Buffer; mode: number }>();
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') out.set(`/${header.name}`, { content: Buffer.concat(chunks), mode: header.mode ?? 0 });
        next();
      });
      stream.resume();
    });
    reader.on('finish', resolve);
    reader.on('error', reject);
  });
  reader.end(gunzipSync(archive));
  await done;
  return out;
}
