/**
 * The catalogue checkpoints its write-ahead log on a thread with a connection of its own while the app's
 * connection writes. SQLite 3.7.0-3.51.2 has a race in that case (the WAL-reset bug, sqlite.org/wal.html)
 * that can lose committed transactions; 3.51.3 fixed it. This fails if a dependency change brings an
 * older SQLite back.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

const parse = (version: string) => version.split('.').map((part) => Number(part));

/** a >= b for dotted versions. */
function atLeast(a: string, b: string): boolean {
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

describe('bundled SQLite', () => {
  it('compares versions part by part', () => {
    expect(atLeast('3.51.3', '3.51.3')).toBe(true);
    expect(atLeast('3.53.0', '3.51.3')).toBe(true);
    expect(atLeast('3.51.2', '3.51.3')).toBe(false);
    expect(atLeast('3.9.0', '3.51.3')).toBe(false);
  });

  it('has the fix for the WAL-reset bug (3.51.3 or later)', () => {
    const db = new Database(':memory:');
    const version = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    db.close();
    expect(atLeast(version, '3.51.3'), `SQLite ${version}`).toBe(true);
  });
});
