/**
 * The audit trail of result lists: every list shown to the analyst (a search, a re-rank, a refined
 * model's ranking) with the model, support set, query, k, filters, the judgements that shaped it and the
 * ranked hits with distances. Rows are only ever added.
 */
import type Database from 'better-sqlite3';
import type { Judgement } from '../../../shared/rpc/contract';
import { decodeVector, encodeVector } from './vectorBlob';

export type ResultListKind = 'search' | 'rerank' | 'refine';

export interface RankedHit {
  imageId: number;
  distance: number;
}

export interface NewResultList {
  queryKey: string;
  queryName: string;
  queryImageId: number | null;
  queryVector: Float32Array | null;
  modelId: number;
  modelName: string;
  kind: ResultListKind;
  parentListId?: number | null;
  k: number;
  filters?: unknown;
  /** Image ids of the profile's support set, if the model was adapted on one. */
  support?: readonly number[];
  /** The judgements that shaped this list (none for a plain search). */
  judgements?: readonly { imageId: number; judgement: Judgement }[];
  /** Method parameters, e.g. the Rocchio weights. */
  params?: Record<string, unknown>;
  hits: readonly RankedHit[];
}

export interface ResultListRecord extends Omit<NewResultList, 'parentListId' | 'support' | 'judgements' | 'params' | 'filters'> {
  id: number;
  parentListId: number | null;
  filters: unknown;
  support: number[];
  judgements: { imageId: number; judgement: Judgement }[];
  params: Record<string, unknown>;
  createdAt: string;
}

interface ListRow {
  id: number;
  query_key: string;
  query_name: string;
  query_image_id: number | null;
  query_vector: Buffer | null;
  model_id: number;
  model_name: string;
  kind: ResultListKind;
  parent_list_id: number | null;
  k: number;
  filters: string;
  support: string;
  judgements: string;
  params: string;
  created_at: string;
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function createResultListsRepository(db: Database.Database) {
  const insertList = db.prepare(
    `INSERT INTO result_lists (query_key, query_name, query_image_id, query_vector, model_id, model_name, kind, parent_list_id, k,
       filters, support, judgements, params, created_at)
     VALUES (@queryKey, @queryName, @queryImageId, @queryVector, @modelId, @modelName, @kind, @parentListId, @k,
       @filters, @support, @judgements, @params, @createdAt)`,
  );
  const insertHit = db.prepare('INSERT INTO result_list_hits (list_id, rank, image_id, distance) VALUES (?, ?, ?, ?)');
  const one = db.prepare<[number], ListRow>('SELECT * FROM result_lists WHERE id = ?');
  const hitsOf = db.prepare<[number], { image_id: number; distance: number }>(
    'SELECT image_id, distance FROM result_list_hits WHERE list_id = ? ORDER BY rank',
  );
  const forQuery = db.prepare<[string, number], ListRow>('SELECT * FROM result_lists WHERE query_key = ? AND model_id = ? ORDER BY id');
  const byKey = db.prepare<[string], ListRow>('SELECT * FROM result_lists WHERE query_key = ? ORDER BY id');
  const all = db.prepare<[], ListRow>('SELECT * FROM result_lists ORDER BY id');

  const toRecord = (row: ListRow): ResultListRecord => ({
    id: row.id,
    queryKey: row.query_key,
    queryName: row.query_name,
    queryImageId: row.query_image_id,
    queryVector: row.query_vector ? decodeVector(row.query_vector) : null,
    modelId: row.model_id,
    modelName: row.model_name,
    kind: row.kind,
    parentListId: row.parent_list_id,
    k: row.k,
    filters: parseJson(row.filters, {}),
    support: parseJson(row.support, []),
    judgements: parseJson(row.judgements, []),
    params: parseJson(row.params, {}),
    createdAt: row.created_at,
    hits: hitsOf.all(row.id).map((h) => ({ imageId: h.image_id, distance: h.distance })),
  });

  const record = db.transaction((list: NewResultList, createdAt: string): number => {
    const info = insertList.run({
      queryKey: list.queryKey,
      queryName: list.queryName,
      queryImageId: list.queryImageId,
      queryVector: list.queryVector ? encodeVector(list.queryVector) : null,
      modelId: list.modelId,
      modelName: list.modelName,
      kind: list.kind,
      parentListId: list.parentListId ?? null,
      k: list.k,
      filters: JSON.stringify(list.filters ?? {}),
      support: JSON.stringify(list.support ?? []),
      judgements: JSON.stringify(list.judgements ?? []),
      params: JSON.stringify(list.params ?? {}),
      createdAt,
    });
    const id = Number(info.lastInsertRowid);
    list.hits.forEach((hit, rank) => insertHit.run(id, rank, hit.imageId, hit.distance));
    return id;
  });

  return {
    /** Records a list with its hits in one transaction; returns the list id. */
    record(list: NewResultList, createdAt = new Date().toISOString()): number {
      return record(list, createdAt);
    },
    get(id: number): ResultListRecord | undefined {
      const row = one.get(id);
      return row ? toRecord(row) : undefined;
    },
    /** Every list of a query under one model, oldest first (the rounds). */
    forQuery(queryKey: string, modelId: number): ResultListRecord[] {
      return forQuery.all(queryKey, modelId).map(toRecord);
    },
    /** Every list of a query key (all profiles), or every list without a key. */
    listAll(queryKey?: string): ResultListRecord[] {
      return (queryKey === undefined ? all.all() : byKey.all(queryKey)).map(toRecord);
    },
  };
}
