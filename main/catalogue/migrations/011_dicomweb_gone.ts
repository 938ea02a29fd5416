import type { Migration } from './types';

/**
 * DICOMweb instances no longer on the archive (issue 13). A sync that lists a study or series again and
 * no longer finds an instance it settled notes when (`gone_at`) and in which job (`gone_job`); the row,
 * its cached copy and the catalogue image stay, so nothing an analyst marked is lost. An instance the
 * archive lists again is present again (gone_at back to NULL). Settled counts that decide whether a study
 * or series is listed again count present instances only.
 */
export const migration011: Migration = {
  version: 11,
  name: 'dicomweb instances gone from the archive',
  up(db) {
    db.exec(`
      ALTER TABLE dicomweb_instances ADD COLUMN gone_at INTEGER;
      ALTER TABLE dicomweb_instances ADD COLUMN gone_job INTEGER;
    `);
  },
};
