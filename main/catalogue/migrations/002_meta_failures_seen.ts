import type { Migration } from './types';

/**
 * Decoder metadata per image, per-job import failures with reason codes, job start/finish times,
 * and `last_seen_job` on paths so a rescan can drop paths whose files are gone.
 */
export const migration002: Migration = {
  version: 2,
  name: 'meta, import failures, path sightings',
  up(db) {
    db.exec(`
      ALTER TABLE images ADD COLUMN meta TEXT NOT NULL DEFAULT '{}';
      ALTER TABLE image_paths ADD COLUMN last_seen_job INTEGER;
      ALTER TABLE jobs ADD COLUMN started_at TEXT;
      ALTER TABLE jobs ADD COLUMN finished_at TEXT;
      CREATE INDEX jobs_by_state ON jobs(state);
      CREATE TABLE import_failures (
        id INTEGER PRIMARY KEY,
        job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (job_id, path)
      );
    `);
  },
};
