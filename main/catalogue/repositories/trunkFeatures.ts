/**
 * Cached trunk features: the output of a network's frozen stages per image, keyed by the digest of
 * those stages' weights and the preprocessing (`trunkKey`). Every model whose trunk has the same
 * digest (a parent and the children adapted after the trunk) shares the rows, so re-embedding under
 * an adapted head reads them instead of decoding images and running the CNN again. Rows are stored
 * at 8 bits per value (trunkRowCodec.ts).
 */
import type Database from 'better-sqlite3';
import { decodeTrunkRowInto, encodeTrunkRow, trunkRowLength } from './trunkRowCodec';

export interface FeatureBatch {
  ids: number[];
  /** ids.length x rowLength floats. */
  features: Float32Array;
}

export function createTrunkFeaturesRepository(db: Database.Database) {
  const put = db.prepare('INSERT OR REPLACE INTO trunk_features (trunk_key, image_id, features) VALUES (?, ?, ?)');
  const get = db.prepare<[string, number], { features: Buffer }>('SELECT features FROM trunk_features WHERE trunk_key = ? AND image_id = ?');
  const count = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM trunk_features WHERE trunk_key = ?');
  const page = db.prepare<[string, number, number], { image_id: number; features: Buffer }>(
    'SELECT image_id, features FROM trunk_features WHERE trunk_key = ? AND image_id > ? ORDER BY image_id LIMIT ?',
  );
  const missing = db.prepare<[number, string, number], { id: number }>(
    `SELECT i.id FROM images i
     WHERE i.id > ? AND EXISTS (SELECT 1 FROM image_paths p WHERE p.image_id = i.id)
       AND NOT EXISTS (SELECT 1 FROM trunk_features t WHERE t.trunk_key = ? AND t.image_id = i.id)
     ORDER BY i.id LIMIT ?`,
  );
  const range = db.prepare<[string, number, number], { image_id: number; features: Buffer }>(
    'SELECT image_id, features FROM trunk_features WHERE trunk_key = ? AND image_id BETWEEN ? AND ?',
  );
  const removeKey = db.prepare('DELETE FROM trunk_features WHERE trunk_key = ?');
  const putMany = db.transaction((key: string, ids: readonly number[], features: Float32Array, rowLength: number) => {
    ids.forEach((id, i) => put.run(key, id, encodeTrunkRow(features.subarray(i * rowLength, (i + 1) * rowLength))));
  });

  return {
    putMany(key: string, ids: readonly number[], features: Float32Array): void {
      if (ids.length === 0) return;
      putMany(key, ids, features, features.length / ids.length);
    },
    get(key: string, imageId: number): Float32Array | undefined {
      const row = get.get(key, imageId);
      if (!row) return undefined;
      const out = new Float32Array(trunkRowLength(row.features));
      decodeTrunkRowInto(row.features, out, 0);
      return out;
    },
    count(key: string): number {
      return count.get(key)?.n ?? 0;
    },
    /** Up to `limit` cached rows after image id `after`, in id order, as one flat array. */
    batch(key: string, after: number, limit: number): FeatureBatch {
      const rows = page.all(key, after, limit);
      const first = rows[0];
      if (!first) return { ids: [], features: new Float32Array(0) };
      const rowLength = trunkRowLength(first.features);
      const features = new Float32Array(rows.length * rowLength);
      rows.forEach((row, i) => decodeTrunkRowInto(row.features, features, i * rowLength));
      return { ids: rows.map((r) => r.image_id), features };
    },
    /** Cached rows of image ids first..last (one range scan; re-embedding reads a batch at a time). */
    range(key: string, first: number, last: number): Map<number, Float32Array> {
      const out = new Map<number, Float32Array>();
      for (const row of range.all(key, first, last)) {
        const values = new Float32Array(trunkRowLength(row.features));
        decodeTrunkRowInto(row.features, values, 0);
        out.set(row.image_id, values);
      }
      return out;
    },
    /** Visible images (with a path) that have no cached row under `key`, after id `after`. */
    idsMissing(key: string, limit = 1000, after = 0): number[] {
      return missing.all(after, key, limit).map((r) => r.id);
    },
    removeKey(key: string): number {
      return removeKey.run(key).changes;
    },
  };
}

export type TrunkFeaturesRepository = ReturnType<typeof createTrunkFeaturesRepository>;
