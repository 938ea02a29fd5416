/** The analyst's relevance judgements, per (query key, model/profile, image). */
import type Database from 'better-sqlite3';
import type { Judgement, JudgedImage } from '../../../shared/rpc/contract';

export interface JudgementRecord extends JudgedImage {
  queryKey: string;
  modelId: number;
}

interface Row {
  query_key: string;
  model_id: number;
  image_id: number;
  judgement: Judgement;
  updated_at: string;
}

const toRecord = (row: Row): JudgementRecord => ({
  queryKey: row.query_key,
  modelId: row.model_id,
  imageId: row.image_id,
  judgement: row.judgement,
  updatedAt: row.updated_at,
});

export function createJudgementsRepository(db: Database.Database) {
  const upsert = db.prepare(
    `INSERT INTO feedback_judgements (query_key, model_id, image_id, judgement, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(query_key, model_id, image_id) DO UPDATE SET judgement = excluded.judgement, updated_at = excluded.updated_at`,
  );
  const forQuery = db.prepare<[string, number], Row>(
    'SELECT * FROM feedback_judgements WHERE query_key = ? AND model_id = ? ORDER BY updated_at, image_id',
  );
  const all = db.prepare<[], Row>('SELECT * FROM feedback_judgements ORDER BY query_key, model_id, updated_at, image_id');
  const byKey = db.prepare<[string], Row>('SELECT * FROM feedback_judgements WHERE query_key = ? ORDER BY model_id, updated_at, image_id');
  const clearOne = db.prepare('DELETE FROM feedback_judgements WHERE query_key = ? AND model_id = ? AND image_id = ?');
  const clearAll = db.prepare('DELETE FROM feedback_judgements WHERE query_key = ? AND model_id = ?');
  const imageExists = db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM images WHERE id = ?');

  const setMany = db.transaction((queryKey: string, modelId: number, imageIds: readonly number[], judgement: Judgement, at: string) => {
    let written = 0;
    for (const id of imageIds) {
      if (!imageExists.get(id)?.n) continue; // an id the catalogue no longer has is ignored, not an error
      upsert.run(queryKey, modelId, id, judgement, at);
      written++;
    }
    return written;
  });
  const clearMany = db.transaction((queryKey: string, modelId: number, imageIds: readonly number[]) => {
    let removed = 0;
    for (const id of imageIds) removed += clearOne.run(queryKey, modelId, id).changes;
    return removed;
  });

  return {
    /** Marks images (bulk) for a query and profile; returns how many were written. */
    set(queryKey: string, modelId: number, imageIds: readonly number[], judgement: Judgement, at = new Date().toISOString()): number {
      return setMany(queryKey, modelId, imageIds, judgement, at);
    },
    /** Forgets the judgements of some images, or of all images without `imageIds`. */
    clear(queryKey: string, modelId: number, imageIds?: readonly number[]): number {
      return imageIds ? clearMany(queryKey, modelId, imageIds) : clearAll.run(queryKey, modelId).changes;
    },
    list(queryKey: string, modelId: number): JudgementRecord[] {
      return forQuery.all(queryKey, modelId).map(toRecord);
    },
    /** Every judgement of a query key (all profiles), or of every query without a key. */
    listAll(queryKey?: string): JudgementRecord[] {
      return (queryKey === undefined ? all.all() : byKey.all(queryKey)).map(toRecord);
    },
    lookup(queryKey: string, modelId: number): Map<number, Judgement> {
      return new Map(forQuery.all(queryKey, modelId).map((row) => [row.image_id, row.judgement]));
    },
  };
}
