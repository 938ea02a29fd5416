/**
 * Embeddings: one float32 vector per (model, image). Writes go in one transaction per call; reads of a
 * whole model stream in id order by keyset pages, so memory stays bounded and no statement iterator is
 * open while the caller writes.
 */
import type Database from 'better-sqlite3';
import { decodeVector, decodeVectorInto, encodeVector } from './vectorBlob';

export interface EmbeddingInput {
  imageId: number;
  vector: Float32Array;
}

/** A page of vectors: `vectors` is row-major, `ids.length * dim` floats. */
export interface VectorBatch {
  ids: number[];
  vectors: Float32Array;
  dim: number;
}

export type PutResult = { ok: true; written: number } | { ok: false; code: 'unknown_model' | 'wrong_dimension'; message: string };

export function createEmbeddingsRepository(db: Database.Database) {
  const modelDim = db.prepare<[number], { d: number }>('SELECT embedding_dim AS d FROM models WHERE id = ?');
  const upsert = db.prepare('INSERT OR REPLACE INTO embeddings (model_id, image_id, vector) VALUES (?, ?, ?)');
  const one = db.prepare<[number, number], { vector: Buffer }>('SELECT vector FROM embeddings WHERE model_id = ? AND image_id = ?');
  const page = db.prepare<[number, number, number], { image_id: number; vector: Buffer }>(
    'SELECT image_id, vector FROM embeddings WHERE model_id = ? AND image_id > ? ORDER BY image_id LIMIT ?',
  );
  const idPage = db.prepare<[number, number, number], { image_id: number }>(
    'SELECT image_id FROM embeddings WHERE model_id = ? AND image_id > ? ORDER BY image_id LIMIT ?',
  );
  const count = db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM embeddings WHERE model_id = ?');
  const revisionOf = db.prepare<[number], { r: number }>('SELECT embeddings_revision AS r FROM models WHERE id = ?');
  const counts = new Map<number, { revision: number; n: number }>();
  // Visible images (at least one path) with no vector for this model yet, in id order for resumable jobs.
  const missing = db.prepare<[{ model: number; after: number; limit: number }], { id: number }>(
    `SELECT i.id FROM images i
      WHERE i.id > @after
        AND EXISTS (SELECT 1 FROM image_paths p WHERE p.image_id = i.id)
        AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.model_id = @model AND e.image_id = i.id)
      ORDER BY i.id LIMIT @limit`,
  );
  const countMissing = db.prepare<[number], { n: number }>(
    `SELECT COUNT(*) AS n FROM images i
      WHERE EXISTS (SELECT 1 FROM image_paths p WHERE p.image_id = i.id)
        AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.model_id = ? AND e.image_id = i.id)`,
  );
  const removeForImage = db.prepare('DELETE FROM embeddings WHERE image_id = ?');
  const removeOne = db.prepare('DELETE FROM embeddings WHERE model_id = ? AND image_id = ?');

  const putMany = db.transaction((modelId: number, items: readonly EmbeddingInput[]): PutResult => {
    const dim = modelDim.get(modelId)?.d;
    if (dim === undefined) return { ok: false, code: 'unknown_model', message: `No model with id ${modelId}.` };
    for (const item of items) {
      if (item.vector.length !== dim) {
        // Returning (not throwing) would commit the rows before this one: throw to roll back, caught below.
        throw new WrongDimension(`Image ${item.imageId}: vector has ${item.vector.length} values, model ${modelId} expects ${dim}.`);
      }
      upsert.run(modelId, item.imageId, encodeVector(item.vector));
    }
    return { ok: true, written: items.length };
  });

  return {
    /** Stores (or replaces) many vectors in one transaction; nothing is written if any vector is the wrong size. */
    putMany(modelId: number, items: readonly EmbeddingInput[]): PutResult {
      try {
        return putMany(modelId, items);
      } catch (error) {
        if (error instanceof WrongDimension) return { ok: false, code: 'wrong_dimension', message: error.message };
        throw error;
      }
    },
    get(modelId: number, imageId: number): Float32Array | undefined {
      const row = one.get(modelId, imageId);
      return row && decodeVector(row.vector);
    },
    /** The vectors that exist among `imageIds` (missing ids are absent from the map). */
    getMany(modelId: number, imageIds: readonly number[]): Map<number, Float32Array> {
      const out = new Map<number, Float32Array>();
      for (const id of imageIds) {
        const row = one.get(modelId, id);
        if (row) out.set(id, decodeVector(row.vector));
      }
      return out;
    },
    /** Every vector of the model in image-id order, `batchSize` at a time. */
    *batches(modelId: number, batchSize = 4096): Generator<VectorBatch> {
      const dim = modelDim.get(modelId)?.d;
      if (dim === undefined) return;
      let after = 0;
      for (;;) {
        const rows = page.all(modelId, after, batchSize);
        if (rows.length === 0) return;
        const ids = new Array<number>(rows.length);
        const vectors = new Float32Array(rows.length * dim);
        rows.forEach((row, i) => {
          ids[i] = row.image_id;
          decodeVectorInto(row.vector.subarray(0, dim * 4), vectors, i * dim);
        });
        yield { ids, vectors, dim };
        after = ids[ids.length - 1]!;
        if (rows.length < batchSize) return;
      }
    },
    /** All image ids with a vector for the model, ascending (or only those above `after`). */
    ids(modelId: number, after = 0): number[] {
      const out: number[] = [];
      for (;;) {
        const rows = idPage.all(modelId, after, 65536);
        for (const row of rows) out.push(row.image_id);
        if (rows.length < 65536) return out;
        after = out[out.length - 1]!;
      }
    },
    /** Cached per model while its embeddings revision (bumped by trigger on every change) stands: COUNT(*) walks every row. */
    count(modelId: number): number {
      const rev = revisionOf.get(modelId)?.r;
      const cached = counts.get(modelId);
      if (rev !== undefined && cached && cached.revision === rev) return cached.n;
      const n = count.get(modelId)?.n ?? 0;
      if (rev !== undefined) counts.set(modelId, { revision: rev, n });
      return n;
    },
    /** Up to `limit` visible images without a vector for the model, ids above `afterImageId`, ascending. */
    idsMissing(modelId: number, limit = 1000, afterImageId = 0): number[] {
      return missing.all({ model: modelId, after: afterImageId, limit }).map((r) => r.id);
    },
    countMissing(modelId: number): number {
      return countMissing.get(modelId)?.n ?? 0;
    },
    /** Removes the image's vectors for every model; returns how many were removed. */
    deleteForImage(imageId: number): number {
      return removeForImage.run(imageId).changes;
    },
    delete(modelId: number, imageId: number): boolean {
      return removeOne.run(modelId, imageId).changes > 0;
    },
  };
}

class WrongDimension extends Error {}
