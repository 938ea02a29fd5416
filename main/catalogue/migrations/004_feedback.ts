import type { Migration } from './types';

/**
 * Relevance feedback (issue 6). Judgements are kept per (query key, model/profile, image): a rejected
 * image stays rejected for that query and profile until cleared. Every result list shown is recorded as
 * an audit trail: model, support set, query (with its vector, so an uploaded query can be re-ranked
 * without its bytes), k, filters, the judgements that shaped it and its ranked hits. Lists keep no foreign
 * key to models or images, so the record outlives what it refers to.
 */
export const migration004: Migration = {
  version: 4,
  name: 'feedback judgements and result lists',
  up(db) {
    db.exec(`
      CREATE TABLE feedback_judgements (
        query_key TEXT NOT NULL,
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        judgement TEXT NOT NULL CHECK (judgement IN ('relevant', 'not_relevant', 'unsure')),
        updated_at TEXT NOT NULL,
        PRIMARY KEY (query_key, model_id, image_id)
      ) WITHOUT ROWID;
      CREATE TABLE result_lists (
        id INTEGER PRIMARY KEY,
        query_key TEXT NOT NULL,
        query_name TEXT NOT NULL,
        query_image_id INTEGER,
        query_vector BLOB,
        model_id INTEGER NOT NULL,
        model_name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('search', 'rerank', 'refine')),
        parent_list_id INTEGER REFERENCES result_lists(id) ON DELETE SET NULL,
        k INTEGER NOT NULL,
        filters TEXT NOT NULL DEFAULT '{}',
        support TEXT NOT NULL DEFAULT '[]',
        judgements TEXT NOT NULL DEFAULT '[]',
        params TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
      );
      CREATE INDEX result_lists_by_query ON result_lists(query_key, model_id, id);
      CREATE TABLE result_list_hits (
        list_id INTEGER NOT NULL REFERENCES result_lists(id) ON DELETE CASCADE,
        rank INTEGER NOT NULL,
        image_id INTEGER NOT NULL,
        distance REAL NOT NULL,
        PRIMARY KEY (list_id, rank)
      ) WITHOUT ROWID;
    `);
  },
};
