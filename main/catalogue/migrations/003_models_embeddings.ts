import type { Migration } from './types';

/**
 * Models with their lineage and one embedding per (model, image). Vectors are float32 little-endian
 * BLOBs and the source of truth; HNSW files are caches. Triggers bump `embeddings_revision` on every
 * change (cascades included), so an index file can tell whether it is out of date without reading vectors.
 */
export const migration003: Migration = {
  version: 3,
  name: 'models and embeddings',
  up(db) {
    db.exec(`
      CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        parent_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
        stage TEXT NOT NULL,
        dir TEXT NOT NULL UNIQUE,
        embedding_dim INTEGER NOT NULL CHECK (embedding_dim > 0),
        manifest TEXT NOT NULL DEFAULT '{}',
        is_active INTEGER NOT NULL DEFAULT 0 CHECK (is_active IN (0, 1)),
        embeddings_revision INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        UNIQUE (name, version)
      );
      CREATE UNIQUE INDEX models_one_active ON models(is_active) WHERE is_active = 1;
      CREATE INDEX models_by_parent ON models(parent_id);
      CREATE TABLE embeddings (
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        vector BLOB NOT NULL,
        PRIMARY KEY (model_id, image_id)
      ) WITHOUT ROWID;
      CREATE INDEX embeddings_by_image ON embeddings(image_id);
      CREATE TRIGGER embeddings_revision_on_insert AFTER INSERT ON embeddings BEGIN
        UPDATE models SET embeddings_revision = embeddings_revision + 1 WHERE id = NEW.model_id;
      END;
      CREATE TRIGGER embeddings_revision_on_update AFTER UPDATE ON embeddings BEGIN
        UPDATE models SET embeddings_revision = embeddings_revision + 1 WHERE id = NEW.model_id;
      END;
      CREATE TRIGGER embeddings_revision_on_delete AFTER DELETE ON embeddings BEGIN
        UPDATE models SET embeddings_revision = embeddings_revision + 1 WHERE id = OLD.model_id;
      END;
    `);
  },
};
