/**
 * The catalogue's write-ahead log is checkpointed by a thread of its own, not inside the app's commits
 * (issue 12: an automatic checkpoint stalled a commit, and every request behind it, for up to 237 ms).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startWalCheckpointer } from '../../main/catalogue/walCheckpointer';
import { tempDir } from '../ingest/support/fixtures';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function openWal(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, v BLOB)');
  cleanups.push(() => db.open && db.close());
  return db;
}

/** ~`megabytes` of rows in 64 KB commits. */
function write(db: Database.Database, megabytes: number, from: number): number {
  const insert = db.prepare('INSERT INTO rows (id, v) VALUES (?, ?)');
  const blob = Buffer.alloc(1024, 7);
  let id = from;
  for (let c = 0; c < megabytes * 16; c++) db.transaction(() => { for (let i = 0; i < 64; i++) insert.run(++id, blob); })();
  return id;
}

const walBytes = (file: string) => statSync(`${file}-wal`).size;

describe('background WAL checkpoints', () => {
  it('turns the automatic checkpoint off, checkpoints from its thread, and gives it back on stop', async () => {
    const t = tempDir('wal-checkpointer');
    cleanups.push(() => t.cleanup());
    const file = path.join(t.dir, 'catalogue.sqlite');
    const db = openWal(file);
    const checkpointer = startWalCheckpointer(db, file, { everyMs: 3_600_000, log: () => undefined });
    cleanups.push(() => checkpointer.stop());
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);

    // 8 MB of commits: with SQLite's automatic checkpoint the log would restart every ~4 MB (1,000 pages).
    let id = write(db, 8, 0);
    const grown = walBytes(file);
    expect(grown).toBeGreaterThan(7 * 2 ** 20);

    const report = await checkpointer.checkpointNow();
    expect(report.ok).toBe(true);
    if (!report.ok) return;
    expect(report.walFrames).toBeGreaterThan(1000);
    expect(report.checkpointed).toBe(report.walFrames);
    // Everything was copied back: the next commits reuse the log from its start instead of growing it.
    id = write(db, 2, id);
    expect(walBytes(file)).toBe(grown);
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare('SELECT count(*) AS n FROM rows').get()).toEqual({ n: id });
    reader.close();

    await checkpointer.stop();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('gives the connection its automatic checkpoint back when the thread fails', async () => {
    const t = tempDir('wal-checkpointer-fails');
    cleanups.push(() => t.cleanup());
    const file = path.join(t.dir, 'catalogue.sqlite');
    const db = openWal(file);
    const lines: string[] = [];
    // The thread cannot open this file (its folder does not exist) and dies at once.
    const checkpointer = startWalCheckpointer(db, path.join(t.dir, 'missing', 'catalogue.sqlite'), { log: (line) => lines.push(line) });
    cleanups.push(() => checkpointer.stop());
    await expect.poll(() => db.pragma('wal_autocheckpoint', { simple: true }), { timeout: 10_000 }).toBe(1000);
    expect(lines.join('\n')).toMatch(/checkpoint thread stopped .*app's thread again/);
    expect((await checkpointer.checkpointNow()).ok).toBe(false);
  });
});
