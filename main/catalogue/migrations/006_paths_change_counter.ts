import type { Migration } from './types';

/**
 * A counter that every insert, delete or re-homing of an image path bumps (by trigger, so writes from
 * any connection count: the app and a CLI import may share the file). The library pager caches the
 * sorted ids of visible images and knows from this counter when that cache went stale.
 */
export const migration006: Migration = {
  version: 6,
  name: 'image paths change counter',
  up(db) {
    db.exec(`
      CREATE TABLE change_counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO change_counters (name, value) VALUES ('image_paths', 0);
      CREATE TRIGGER image_paths_inserted AFTER INSERT ON image_paths BEGIN
        UPDATE change_counters SET value = value + 1 WHERE name = 'image_paths';
      END;
      CREATE TRIGGER image_paths_deleted AFTER DELETE ON image_paths BEGIN
        UPDATE change_counters SET value = value + 1 WHERE name = 'image_paths';
      END;
      CREATE TRIGGER image_paths_rehomed AFTER UPDATE OF image_id, folder_id ON image_paths BEGIN
        UPDATE change_counters SET value = value + 1 WHERE name = 'image_paths';
      END;
    `);
  },
};
