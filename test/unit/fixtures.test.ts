import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Rows of SOURCES.md: | file | repository | path | commit | last change | license | bytes | sha256[:16] | */
function sourceRows(): { file: string; repository: string; commit: string; license: string; bytes: number; sha: string }[] {
  const rows = [];
  for (const line of readFileSync(`${FIXTURES}SOURCES.md`, 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 10 || !/^[0-9a-f]{16}$/.test(cells[8]!)) continue;
    rows.push({ file: cells[1]!, repository: cells[2]!, commit: cells[4]!, license: cells[6]!, bytes: Number(cells[7]), sha: cells[8]! });
  }
  return rows;
}

describe('test fixtures', () => {
  it('are the files SOURCES.md names, byte for byte, each with its repository, commit and license', () => {
    const rows = sourceRows();
    expect(rows.length).toBeGreaterThan(40);
    for (const row of rows) {
      const path = `${FIXTURES}${row.file}`;
      expect(row.repository, row.file).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(row.commit, row.file).toMatch(/^[0-9a-f]{40}$/);
      expect(row.license, row.file).toMatch(/^(Apache-2\.0|BSD-3-Clause)$/);
      expect(statSync(path).size, row.file).toBe(row.bytes);
      expect(createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16), row.file).toBe(row.sha);
    }
  });

  it('live in the repository: no tracked file reads a folder beside it', () => {
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => /\.(ts|js|mjs|json)$|^\.ci\//.test(f) && !f.startsWith('test/fixtures/') && f !== 'package-lock.json');
    const beside = ['..', 'shared'].join('/');
    const readers = files.filter((f) => readFileSync(`${ROOT}${f}`, 'utf8').includes(beside));
    expect(readers).toEqual([]);
  });
});
