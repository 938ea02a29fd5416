import type { Migration } from './types';

/**
 * Target classes for few-shot adaptation and the images labelled with them (one role per class and
 * image: an adaptation shot, a held-out shot for the before/after check, or a hard negative), and
 * cached trunk features: the frozen part of a network's output per image, keyed by a digest of the
 * frozen weights and preprocessing, so an adapted head re-embeds the archive without the CNN.
 */
export const migration005: Migration = {
  version: 5,
  name: 'target classes, image labels, trunk features',
  up(db) {
    db.exec(`
      CREATE TABLE target_classes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created_at TEXT NOT NULL
      );
      CREATE TABLE image_labels (
        class_id INTEGER NOT NULL REFERENCES target_classes(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('support', 'holdout', 'negative')),
        added_at TEXT NOT NULL,
        PRIMARY KEY (class_id, image_id)
      ) WITHOUT ROWID;
      CREATE INDEX image_labels_by_image ON image_labels(image_id);
      CREATE TABLE trunk_features (
        trunk_key TEXT NOT NULL,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        features BLOB NOT NULL,
        PRIMARY KEY (trunk_key, image_id)
      ) WITHOUT ROWID;
    `);
  },
};
