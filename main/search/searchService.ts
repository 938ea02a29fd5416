/**
 * Search by example: an archive image (its stored vector) or a file's bytes (decoded like an import,
 * embedded in the worker) -> the k nearest visible images under the active model, nearest first, with
 * Euclidean distances between L2-normalised embeddings. Every answer names the model that ranked it and
 * how much of the archive that model has embedded so far.
 */
import path from 'node:path';
import type { ImageSummary, ModelSummary, SearchFilters, SearchHit, SearchResponse } from '../../shared/rpc/contract';
import type { Catalogue } from '../catalogue/catalogue';
import type { ModelRecord } from '../catalogue/repositories/models';
import { EXACT_FILTER_LIMIT } from '../index/hnswIndex';
import type { IdFilter, Neighbour } from '../index/types';
import type { VectorTable } from '../index/vectorTable';
import { facetIndexFor, type FacetIndex } from '../library/facetIndex';
import { seriesNode } from '../library/seriesTree';
import { allowedIds } from './searchFilters';
import { EngineError, NO_MODEL_MESSAGE, type SearchEngine } from './searchEngine';

export class SearchError extends Error {
  constructor(
    readonly code: 'unsupported' | 'not_found' | 'bad_request' | 'internal',
    message: string,
  ) {
    super(message);
    this.name = 'SearchError';
  }
}

/** Grouping of a search (issue 11): one hit per series, and leaving out the query's own series or study. */
export interface GroupingOptions {
  group?: 'none' | 'series';
  exclude?: 'none' | 'series' | 'study';
}

export interface SearchService {
  byImage(id: number, k: number, filters?: SearchFilters, grouping?: GroupingOptions): Promise<SearchResponse>;
  /** The same, with the query vector used (stored, from a cached trunk row, or embedded now). */
  byImageWithVector(id: number, k: number, filters?: SearchFilters, grouping?: GroupingOptions): Promise<{ response: SearchResponse; vector: Float32Array }>;
  /** A series as the query: the mean of its instances' L2-normalised vectors, re-normalised. */
  bySeries(seriesId: number, k: number, filters?: SearchFilters, grouping?: GroupingOptions): Promise<{ response: SearchResponse; vector: Float32Array }>;
  byBytes(name: string, bytes: Buffer, k: number, filters?: SearchFilters, grouping?: GroupingOptions): Promise<SearchResponse>;
  /** byBytes that also hands back the query's embedding (relevance feedback re-ranks from it). */
  byBytesWithVector(name: string, bytes: Buffer, k: number, filters?: SearchFilters, grouping?: GroupingOptions): Promise<{ response: SearchResponse; vector: Float32Array }>;
  /** The active model (the shipped default installed first); throws `unsupported` when there is none. */
  requireModel(): Promise<ModelRecord>;
}

export function modelSummary(model: ModelRecord, manifestInputSize?: number): ModelSummary {
  const manifest = model.manifest as { preprocess?: { inputSize?: unknown } } | null;
  const inputSize = manifestInputSize ?? (typeof manifest?.preprocess?.inputSize === 'number' ? manifest.preprocess.inputSize : 0);
  return {
    id: model.id,
    name: model.name,
    stage: model.stage,
    embeddingDim: model.embeddingDim,
    inputSize,
    active: model.active,
    parentId: model.parentId,
    createdAt: model.createdAt,
  };
}

interface QueryPlace {
  imageId: number | null;
  seriesId: number | null;
}

/** The series a search leaves out: the query's own, or every series of its study. */
function ownSeries(facets: FacetIndex, seriesId: number | null, exclude: 'none' | 'series' | 'study'): Set<number> {
  const own = seriesId === null ? undefined : facets.series.get(seriesId);
  if (!own || exclude === 'none') return new Set();
  if (exclude === 'series') return new Set([own.id]);
  return new Set([...facets.series.values()].filter((s) => s.studyKey === own.studyKey && s.patientKey === own.patientKey).map((s) => s.id));
}

/** Mean of L2-normalised vectors, re-normalised (null when there are none or they cancel out). */
export function meanDirection(vectors: readonly Float32Array[]): Float32Array | null {
  const first = vectors[0];
  if (!first) return null;
  const sum = new Float32Array(first.length);
  for (const v of vectors) {
    let norm = 0;
    for (const x of v) norm += x * x;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (v[i] ?? 0) * scale;
  }
  let norm = 0;
  for (const x of sum) norm += x * x;
  if (!(norm > 1e-12)) return null;
  const inv = 1 / Math.sqrt(norm);
  return sum.map((x) => x * inv);
}

/** Grouped searches scan every stored vector up to this archive size (~10 ms per 100k at 64-d). */
const GROUP_SCAN_LIMIT = 300_000;
/** Filtered searches over at most this many allowed images scan the in-memory vectors (~2 ms at 64-d). */
const EXACT_SCAN_LIMIT = 20_000;
/** Rounds of a search that keeps asking for more candidates (a safety stop; a few are the rule). */
const MAX_ROUNDS = 24;

/** Extra candidates asked of the graph so that hidden (deleted) or excluded items still leave k. */
const OVER_FETCH = 16;

export function createSearchService(catalogue: Catalogue, engine: SearchEngine): SearchService {
  const summaryOf = (id: number): ImageSummary | null => {
    const image = catalogue.images.get(id);
    const first = image ? catalogue.paths.listForImage(id)[0] : undefined;
    if (!image || !first) return null; // lost all its paths: deleted from the library
    return { id, name: path.basename(first.path), folderId: first.folderId, width: image.width, height: image.height, format: image.format };
  };

  const requireModel = async () => {
    const model = await engine.activeModel();
    if (!model) throw new SearchError('unsupported', NO_MODEL_MESSAGE);
    return model;
  };

  const rank = async (model: ModelRecord, vector: Float32Array, k: number, query: QueryPlace, filters: SearchFilters | undefined, grouping: GroupingOptions = {}) => {
    const index = await engine.index(model);
    const allowed = allowedIds(catalogue, filters);
    const filter = allowed ?? undefined;
    const group = grouping.group === 'series';
    const exclude = grouping.exclude ?? 'none';
    const facets = group || exclude !== 'none' ? facetIndexFor(catalogue) : null;
    const excludedSeries = facets ? ownSeries(facets, query.seriesId, exclude) : new Set<number>();
    // Exact scans of the in-memory vectors once they are loaded (the first load runs in the background).
    const table = (group && index.size <= GROUP_SCAN_LIMIT) || (allowed && allowed.size <= EXACT_SCAN_LIMIT) ? engine.vectors(model) : null;
    if (table && group && facets && !(allowed && allowed.size <= EXACT_SCAN_LIMIT)) {
      return groupedByScan(table, vector, k, query, allowed, facets, excludedSeries);
    }
    const blocked = new Set(excludedSeries);
    const isBlocked = (id: number) => blocked.has(facets?.seriesIdOf(id) ?? -1);
    /** This round's filter: the search filters, minus blocked series (the query's own, and series already found). */
    const roundFilter = (): IdFilter | undefined => {
      if (blocked.size === 0) return filter;
      if (allowed && allowed.size <= EXACT_FILTER_LIMIT) return new Set([...allowed].filter((id) => !isBlocked(id)));
      // The blocked series' images as ids, not a predicate: a predicate would be asked about every image
      // in the graph before it could cross to the index thread.
      const deny = new Set<number>();
      if (facets) for (const seriesId of blocked) for (const id of facets.seriesImageIds(seriesId)) deny.add(id);
      return { allow: allowed ?? undefined, deny };
    };
    let hits: SearchHit[] = [];
    const bySeries = new Map<number, SearchHit>();
    // Plain: ask for more until k visible hits are found or the index has nothing more to give. Grouped: each
    // round leaves out the series found so far, so k series never need k x (slices per series) candidates.
    let want = group ? k * 4 + OVER_FETCH : k + OVER_FETCH;
    // A filtered subset up to EXACT_SCAN_LIMIT images is ranked whole by a scan of the in-memory vectors:
    // one exact pass, no rounds, where a graph walk rejecting most nodes would wander.
    const exact = table && allowed && allowed.size <= EXACT_SCAN_LIMIT ? table.rankAmong(vector, allowed) : null;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const found: Neighbour[] = exact ?? (await index.nearest(vector, want, roundFilter()));
      if (!group) hits = [];
      for (const n of found) {
        if (n.id === query.imageId) continue;
        const seriesId = facets ? facets.seriesIdOf(n.id) : null;
        if (seriesId !== null && excludedSeries.has(seriesId)) continue;
        const seen = group && seriesId !== null ? bySeries.get(seriesId) : undefined;
        if (seen) {
          seen.seriesHits = (seen.seriesHits ?? 1) + 1; // how many of its instances were among the candidates
          continue;
        }
        if (hits.length >= k) continue;
        const image = summaryOf(n.id);
        if (!image) continue;
        const hit: SearchHit = { image, distance: n.distance, ...(facets ? { seriesId } : {}) };
        if (group && seriesId !== null) {
          hit.seriesHits = 1;
          bySeries.set(seriesId, hit);
        }
        hits.push(hit);
      }
      if (exact || hits.length >= k || found.length < want || want >= index.size) break;
      if (group) {
        for (const seriesId of bySeries.keys()) blocked.add(seriesId);
        want = (k - hits.length) * 4 + OVER_FETCH;
      } else {
        want *= 4;
      }
    }
    return hits;
  };

  /**
   * One hit per series by a full scan of the in-memory vectors: each series' nearest instance, the k
   * nearest series, and per series how many of its instances are as near as the last hit shown. At
   * 100k x 64-d one scan is ~10 ms, where graph rounds that leave out found series wander far.
   */
  const groupedByScan = (table: VectorTable, vector: Float32Array, k: number, query: QueryPlace, allowed: Set<number> | null, facets: FacetIndex, excluded: Set<number>): SearchHit[] => {
    const { ids, distances } = table.scanAll(vector);
    const groupOf = new Int32Array(ids.length); // series id, or -(row + 1) for an unfiled image (its own group)
    const best = new Map<number, number>(); // group -> row of its nearest instance
    for (let row = 0; row < ids.length; row++) {
      const id = ids[row] as number;
      groupOf[row] = 0;
      if (id === query.imageId || (allowed && !allowed.has(id))) continue;
      const seriesId = facets.seriesIdOf(id);
      if (seriesId !== null && excluded.has(seriesId)) continue;
      const groupKey = seriesId ?? -(row + 1);
      groupOf[row] = groupKey;
      const current = best.get(groupKey);
      if (current === undefined || (distances[row] as number) < (distances[current] as number)) best.set(groupKey, row);
    }
    const ordered = [...best.entries()].sort((a, b) => (distances[a[1]] as number) - (distances[b[1]] as number) || (ids[a[1]] as number) - (ids[b[1]] as number));
    const hits: SearchHit[] = [];
    const shown = new Map<number, SearchHit>();
    for (const [groupKey, row] of ordered) {
      if (hits.length === k) break;
      const id = ids[row] as number;
      const image = summaryOf(id);
      if (!image) continue;
      const hit: SearchHit = { image, distance: distances[row] as number, seriesId: groupKey > 0 ? groupKey : null, seriesHits: 0 };
      hits.push(hit);
      shown.set(groupKey, hit);
    }
    const radius = hits.at(-1)?.distance ?? 0;
    for (let row = 0; row < ids.length; row++) {
      const hit = groupOf[row] !== 0 && (distances[row] as number) <= radius ? shown.get(groupOf[row] as number) : undefined;
      if (hit) hit.seriesHits = (hit.seriesHits ?? 0) + 1;
    }
    return hits;
  };

  const respond = (model: ModelRecord, query: SearchResponse['query'], hits: SearchResponse['hits'], started: number, grouping?: GroupingOptions): SearchResponse => ({
    model: modelSummary(model),
    query,
    ...(grouping && (grouping.group || grouping.exclude) ? { grouping: { group: grouping.group ?? 'none', exclude: grouping.exclude ?? 'none' } } : {}),
    hits,
    embedded: catalogue.embeddings.count(model.id),
    total: catalogue.images.countVisible(),
    tookMs: Math.round((performance.now() - started) * 100) / 100,
  });

  return {
    requireModel,
    async byImage(id, k, filters, grouping) {
      return (await this.byImageWithVector(id, k, filters, grouping)).response;
    },
    async byImageWithVector(id, k, filters, grouping) {
      const started = performance.now();
      const model = await requireModel();
      const query = summaryOf(id);
      if (!query) throw new SearchError('not_found', `There is no image ${id} in the library.`);
      // Not embedded yet (the job is still running): from its cached trunk row when an adapted profile is
      // re-embedding, else embed the file now like an uploaded one.
      const vector =
        catalogue.embeddings.get(model.id, id) ??
        (await engine.vectorFromTrunk(model, id)) ??
        (await embedOne(model, () => engine.prepareImage(id, engine.manifestOf(model).preprocess)));
      const seriesId = catalogue.hierarchy.instance(id)?.seriesId ?? null;
      const hits = await rank(model, vector, k, { imageId: id, seriesId }, filters, grouping);
      return { response: respond(model, { imageId: id, name: query.name, seriesId }, hits, started, grouping), vector };
    },
    async bySeries(seriesId, k, filters, grouping) {
      const started = performance.now();
      const model = await requireModel();
      const facets = facetIndexFor(catalogue);
      const series = facets.series.get(seriesId);
      const members = facets.seriesImageIds(seriesId);
      if (!series || members.length === 0) throw new SearchError('not_found', `There is no series ${seriesId} in the library.`);
      const vector = meanDirection(members.map((id) => catalogue.embeddings.get(model.id, id)).filter((v): v is Float32Array => !!v));
      if (!vector) throw new SearchError('bad_request', `No instance of series ${seriesId} is embedded under ${model.name} yet; wait for the embedding job or search by one slice.`);
      const hits = await rank(model, vector, k, { imageId: null, seriesId }, filters, grouping);
      const name = seriesNode(series, members.length, members[Math.floor((members.length - 1) / 2)] as number).label;
      return { response: respond(model, { imageId: null, name, seriesId }, hits, started, grouping), vector };
    },
    async byBytes(name, bytes, k, filters, grouping) {
      return (await this.byBytesWithVector(name, bytes, k, filters, grouping)).response;
    },
    async byBytesWithVector(name, bytes, k, filters, grouping) {
      const started = performance.now();
      const model = await requireModel();
      const vector = await embedOne(model, () => engine.prepareBytes(bytes, engine.manifestOf(model).preprocess));
      const hits = await rank(model, vector, k, { imageId: null, seriesId: null }, filters, grouping);
      return { response: respond(model, { imageId: null, name }, hits, started, grouping), vector };
    },
  };

  async function embedOne(model: ModelRecord, prepare: () => ReturnType<SearchEngine['prepareBytes']>): Promise<Float32Array> {
    const prepared = await prepare();
    if (!prepared.ok) throw new SearchError(prepared.code === 'not_found' ? 'not_found' : 'bad_request', prepared.message);
    try {
      const embedder = await engine.embedder(model);
      return await embedder.embedInputs(prepared.inputs, 1);
    } catch (error) {
      if (error instanceof EngineError || error instanceof SearchError) throw error;
      throw new SearchError('internal', `The model ${model.name} could not embed the image: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
