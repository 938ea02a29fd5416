import type { Migration } from './types';

/**
 * A second counter beside migration 006's: only deletes and re-homings of image paths bump it. When the
 * total moved and this one did not, every change since was an insert, so the library's sorted id cache
 * adds the new paths' images (read by path id) instead of re-reading a million ids after each import.
 */
export const migration013: Migration = {
  version: 13,
  name: 'image paths removed counter',
  up(db) {
    db.exec(`
      INSERT INTO change_counters (name, value) VALUES ('image_paths_removed', 0);
      DROP TRIGGER image_paths_deleted;
      DROP TRIGGER image_paths_rehomed;
      CREATE TRIGGER image_paths_deleted AFTER DELETE ON image_paths BEGIN
        UPDATE change_counters SET value = value + 1 WHERE name IN ('image_paths', 'image_paths_removed');
      END;
      CREATE TRIGGER image_paths_rehomed AFTER UPDATE OF image_id, folder_id ON image_paths BEGIN
        UPDATE change_counters SET value = value + 1 WHERE name IN ('image_paths', 'image_paths_removed');
      END;
    `);
  },
};
