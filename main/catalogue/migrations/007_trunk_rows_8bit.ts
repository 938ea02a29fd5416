import type { Migration } from './types';

/**
 * Trunk feature rows move from float32 to 8 bits per value (trunkRowCodec.ts). The table is a cache
 * that every adaptation and re-embedding refills on demand, so the old rows are dropped rather than
 * converted (they would be misread in the new layout).
 */
export const migration007: Migration = {
  version: 7,
  name: 'trunk feature rows at 8 bits',
  up(db) {
    db.exec('DELETE FROM trunk_features;');
  },
};
