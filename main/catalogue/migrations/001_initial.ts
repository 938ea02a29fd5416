import type { Migration } from './types';

/** Images by content hash, the folders and paths that hold them, and persistent jobs. */
export const migration001: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE images (
        id INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        format TEXT NOT NULL,
        byte_size INTEGER NOT NULL,
        added_at TEXT NOT NULL
      );
      CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE
      );
      CREATE TABLE image_paths (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        folder_id INTEGER NOT NULL REFERENCES folders(id),
        size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL
      );
      CREATE INDEX image_paths_by_image ON image_paths(image_id);
      CREATE INDEX image_paths_by_folder ON image_paths(folder_id, image_id);
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        label TEXT NOT NULL,
        params TEXT NOT NULL,
        progress TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        error TEXT
      );
    `);
  },
};
