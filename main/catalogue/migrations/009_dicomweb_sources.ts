import type { Migration } from './types';

/**
 * DICOMweb sources (issue 13). `dicomweb_sources` names each archive by its URL without credentials
 * (credentials never reach the catalogue) and when it was last synced. `dicomweb_instances` records
 * every instance a sync has settled, by SOP Instance UID: the image it became (content-hash identity,
 * so an instance already imported from a folder is that image) and its cached copy under the data home,
 * or why it could not be imported. A sync skips a study or series whose instance count on the server
 * equals the instances recorded here, and an instance recorded here is never fetched again: that makes
 * a second sync cheap and a sync killed part-way resume where it stopped.
 */
export const migration009: Migration = {
  version: 9,
  name: 'dicomweb sources',
  up(db) {
    db.exec(`
      CREATE TABLE dicomweb_sources (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        last_sync_started_at INTEGER,
        last_sync_finished_at INTEGER,
        last_sync_job INTEGER
      );
      CREATE TABLE dicomweb_instances (
        source_id INTEGER NOT NULL REFERENCES dicomweb_sources(id) ON DELETE CASCADE,
        sop_uid TEXT NOT NULL,
        study_uid TEXT NOT NULL,
        series_uid TEXT NOT NULL,
        image_id INTEGER REFERENCES images(id) ON DELETE SET NULL,
        path TEXT,
        failure_code TEXT,
        synced_at INTEGER NOT NULL,
        job_id INTEGER,
        PRIMARY KEY (source_id, sop_uid)
      );
      CREATE INDEX dicomweb_instances_by_series ON dicomweb_instances(source_id, series_uid);
      CREATE INDEX dicomweb_instances_by_study ON dicomweb_instances(source_id, study_uid);
    `);
  },
};
