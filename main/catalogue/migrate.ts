/**
 * Applies numbered migrations up to a target version. Each step runs in its own transaction together
 * with the PRAGMA user_version bump, so a failed step leaves the database at the previous version.
 */
import type Database from 'better-sqlite3';
import { migrations as allMigrations, type Migration } from './migrations';

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = allMigrations,
  targetVersion: number = migrations[migrations.length - 1]?.version ?? 0,
): { from: number; to: number } {
  const from = schemaVersion(db);
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (from > latest) {
    throw new Error(`The catalogue has schema version ${from}, newer than this Simila understands (${latest}).`);
  }
  for (const migration of migrations) {
    if (migration.version <= schemaVersion(db) || migration.version > targetVersion) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return { from, to: schemaVersion(db) };
}
