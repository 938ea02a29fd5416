import type { Migration } from './types';

/**
 * Patient > study > series > instance (issue 11). `series` holds one row per series key: a
 * SeriesInstanceUID, `folder:<id>` for a plain image folder (the folder is the series), or a clearly
 * named unknown / conflict bucket for instances whose tags do not place them. Study and patient are keys
 * on the series (a patient key is a keyed digest of Patient ID, never the ID). `image_hierarchy` files
 * each image under one series with what orders it there. A change counter lets the in-memory facet
 * index know when to rebuild.
 */
export const migration008: Migration = {
  version: 8,
  name: 'dicom hierarchy',
  up(db) {
    db.exec(`
      CREATE TABLE hierarchy_secret (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        secret BLOB NOT NULL
      );
      CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        series_key TEXT NOT NULL UNIQUE,
        study_key TEXT NOT NULL,
        patient_key TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('dicom', 'folder', 'unknown')),
        modality TEXT,
        body_part TEXT,
        study_date TEXT,
        study_description TEXT,
        series_description TEXT,
        series_number INTEGER,
        folder_id INTEGER REFERENCES folders(id),
        note TEXT
      );
      CREATE INDEX series_by_study ON series(study_key);
      CREATE INDEX series_by_patient ON series(patient_key, study_key);
      CREATE TABLE image_hierarchy (
        image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
        series_id INTEGER NOT NULL REFERENCES series(id),
        sop_uid TEXT,
        instance_number INTEGER,
        slice_position REAL,
        frames INTEGER NOT NULL DEFAULT 1,
        note TEXT
      );
      CREATE INDEX image_hierarchy_by_series ON image_hierarchy(series_id, instance_number, slice_position, image_id);
      INSERT INTO change_counters (name, value) VALUES ('hierarchy', 0);
      CREATE TRIGGER image_hierarchy_inserted AFTER INSERT ON image_hierarchy BEGIN
        UPDATE change_counters SET value = value + 1 WHERE name = 'hierarchy';
      END;
      CREATE TRIGGER image_hierarchy_deleted AFTER DELETE ON image_hierarchy BEGIN
        UPDATE change_counters SET value = value + 1 WHERE name = 'hierarchy';
      END;
      CREATE TRIGGER image_hierarchy_moved AFTER UPDATE OF series_id ON image_hierarchy BEGIN
        UPDATE change_counters SET value = value + 1 WHERE name = 'hierarchy';
      END;
    `);
  },
};
