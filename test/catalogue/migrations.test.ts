import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalogue } from '../../main/catalogue/catalogue';
import { migrate, schemaVersion } from '../../main/catalogue/migrate';
import { LATEST_SCHEMA_VERSION, migrations } from '../../main/catalogue/migrations';
import { tempDir } from '../ingest/support/fixtures';

const temps: { cleanup(): void }[] = [];
function dbFile(): string {
  const t = tempDir('migrations');
  temps.push(t);
  return path.join(t.dir, 'catalogue.sqlite');
}
afterEach(() => temps.splice(0).forEach((t) => t.cleanup()));

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

describe('catalogue migrations', () => {
  it('creates a fresh catalogue at the latest version with WAL and foreign keys', () => {
    const catalogue = openCatalogue(dbFile());
    expect(schemaVersion(catalogue.db)).toBe(LATEST_SCHEMA_VERSION);
    expect(LATEST_SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
    expect(catalogue.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(catalogue.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(columns(catalogue.db, 'images')).toContain('meta');
    expect(columns(catalogue.db, 'import_failures')).toEqual(
      expect.arrayContaining(['job_id', 'path', 'code', 'message']),
    );
    catalogue.close();
  });

  it('migrates a version-1 catalogue with rows in it, keeping the data', () => {
    const file = dbFile();
    const old = new Database(file);
    migrate(old, migrations, 1);
    expect(schemaVersion(old)).toBe(1);
    expect(columns(old, 'images')).not.toContain('meta');
    old.prepare(`INSERT INTO images (hash, width, height, format, byte_size, added_at) VALUES ('ab12', 640, 480, 'jpeg', 1234, '2026-01-01T00:00:00Z')`).run();
    old.prepare(`INSERT INTO folders (path) VALUES ('/archive/a')`).run();
    old.prepare(`INSERT INTO image_paths (path, image_id, folder_id, size, mtime_ms) VALUES ('/archive/a/x.jpg', 1, 1, 1234, 1700000000123.5)`).run();
    old.prepare(`INSERT INTO jobs (kind, state, label, params, created_at, updated_at) VALUES ('import', 'done', '/archive', '{"root":"/archive"}', 'now', 'now')`).run();
    old.close();

    const catalogue = openCatalogue(file);
    expect(schemaVersion(catalogue.db)).toBe(LATEST_SCHEMA_VERSION);
    const image = catalogue.images.findByHash('ab12');
    expect(image).toMatchObject({ id: 1, width: 640, height: 480, format: 'jpeg', byteSize: 1234, meta: {} });
    expect(catalogue.paths.find('/archive/a/x.jpg')).toMatchObject({ imageId: 1, folderId: 1, size: 1234, mtimeMs: 1700000000123.5, lastSeenJob: null });
    expect(catalogue.jobs.get(1)).toMatchObject({ kind: 'import', state: 'done', params: { root: '/archive' }, startedAt: null });
    // The new table works against the migrated rows (foreign key to the old job).
    catalogue.failures.record(1, '/archive/bad.jpg', 'truncated', 'cut short');
    expect(catalogue.failures.listForJob(1, 10)).toEqual([{ path: '/archive/bad.jpg', code: 'truncated', message: 'cut short' }]);
    expect(catalogue.images.countVisible()).toBe(1);
    catalogue.close();
  });

  it('rolls a failing migration back and leaves the previous version', () => {
    const db = new Database(':memory:');
    const broken = [
      ...migrations,
      {
        version: LATEST_SCHEMA_VERSION + 1,
        name: 'broken',
        up(d: Database.Database) {
          d.exec('CREATE TABLE half_done (x INTEGER)');
          throw new Error('boom');
        },
      },
    ];
    expect(() => migrate(db, broken)).toThrow('boom');
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'half_done'`).get()).toBeUndefined();
    db.close();
  });

  it('refuses a catalogue written by a newer Simila', () => {
    const file = dbFile();
    const db = new Database(file);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    db.close();
    expect(() => openCatalogue(file)).toThrow(/newer/);
  });
});
