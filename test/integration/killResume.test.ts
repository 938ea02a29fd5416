/**
 * The kill test: `simila import` on a few thousand generated files is SIGKILLed part-way, started
 * again, and ends with every file catalogued exactly once (no duplicate path rows, counts match),
 * continuing the same job.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticArchive } from '../../bench/ingest/syntheticArchive';
import { tempDir } from '../ingest/support/fixtures';

const FILES = 3000;
const bin = path.resolve('bin/simila.js');
let work: ReturnType<typeof tempDir>;
let archive: string;
let home: string;
let files: string[];

function startImport() {
  const child = spawn(process.execPath, [bin, 'import', archive, '--home', home, '--json'], { env: { ...process.env, SIMILA_HOME: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

function catalogued(): number {
  try {
    const db = new Database(path.join(home, 'catalogue.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM image_paths').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created or not migrated yet
  }
}

beforeAll(async () => {
  work = tempDir('kill');
  archive = path.join(work.dir, 'archive');
  home = path.join(work.dir, 'home');
  ({ files } = await writeSyntheticArchive(archive, { files: FILES, minSide: 24, maxSide: 160, bases: 40, perFolder: 250 }));
});
afterAll(() => work.cleanup());

describe('import survives SIGKILL', () => {
  it('is killed part-way, restarted, and catalogues every file exactly once', async () => {
    const first = startImport();
    const deadline = Date.now() + 120_000;
    while (catalogued() < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');
    const atKill = catalogued();
    expect(atKill).toBeGreaterThanOrEqual(300);
    expect(atKill).toBeLessThan(FILES);

    const second = startImport();
    const done = await second.exited;
    expect(done.code, second.output().stderr).toBe(0);
    const summary = JSON.parse(second.output().stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ failed: 0, state: 'done' });
    expect(summary.imported as number).toBeLessThanOrEqual(FILES - atKill + 64); // files in flight at the kill may be redone

    const db = new Database(path.join(home, 'catalogue.sqlite'), { readonly: true });
    try {
      const paths = db.prepare('SELECT path FROM image_paths').all() as { path: string }[];
      expect(paths).toHaveLength(FILES);
      expect(new Set(paths.map((p) => p.path))).toEqual(new Set(files));
      expect((db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n).toBe(FILES);
      // The restart continued the killed job rather than starting another.
      const jobs = db.prepare(`SELECT id, state FROM jobs WHERE kind = 'import'`).all() as { id: number; state: string }[];
      expect(jobs).toEqual([{ id: summary.job, state: 'done' }]);
    } finally {
      db.close();
    }
  });
});
