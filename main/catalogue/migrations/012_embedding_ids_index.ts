import type { Migration } from './types';

/**
 * A covering index of (model, image) beside the embeddings table, whose rows hold the vector blobs: the
 * ids of a model's vectors and their count are then read from small index pages instead of every blob.
 * At 200,000 vectors the id list took 110-300 ms and the count 46 ms; with it 47 ms and 4.5 ms. The
 * in-memory vector table and the HNSW catch-up ask for both while an embedding job runs.
 */
export const migration012: Migration = {
  version: 12,
  name: 'embedding ids index',
  up(db) {
    db.exec('CREATE INDEX embeddings_ids ON embeddings(model_id, image_id)');
  },
};
