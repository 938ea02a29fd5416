/**
 * Relevance feedback over recorded result lists: judgements per (query key, profile), their precision
 * per round, re-ranking with them (the classifier from the marks re-orders the neighbourhood of the query
 * and the relevant images, rejected left out; rerank.ts), and export. Every list the
 * analyst sees is recorded first (audit trail) and named by its id afterwards. "Refine model" turns a
 * query's judgements into a target class and an adaptation job (see refineModel below).
 */
import path from 'node:path';
import type { AdaptSettings, FeedbackExport, FeedbackState, Judgement, SearchFilters, SearchResponse } from '../../shared/rpc/contract';
import type { Catalogue } from '../catalogue/catalogue';
import type { ResultListRecord } from '../catalogue/repositories/resultLists';
import type { GraphIndex } from '../index/graphIndex';
import type { VectorTable } from '../index/vectorTable';
import type { ModelRecord } from '../catalogue/repositories/models';
import type { FinishedJob } from '../jobs/jobQueue';
import { modelSummary } from '../search/searchService';
import { allowedIds } from '../search/searchFilters';
import { exportFeedback } from './feedbackExport';
import { feedbackPrecision } from './precision';
import { rerankInSlices } from './rerank';
import { DEFAULT_ROCCHIO, type RocchioWeights } from './rocchio';

/** Remembered page radii per index (~100 bytes each in a Map): a few tens of MB at most. */
const RADII_LIMIT = 200_000;

export class FeedbackError extends Error {
  constructor(
    readonly code: 'not_found' | 'unsupported' | 'bad_request',
    message: string,
  ) {
    super(message);
    this.name = 'FeedbackError';
  }
}

export interface SearchRecordInfo {
  queryKey: string;
  /** The query's embedding when known (uploads: always; archive images: read from the catalogue if null). */
  queryVector: Float32Array | null;
  k: number;
  filters?: SearchFilters | undefined;
}

export interface FeedbackService {
  /** Images rejected for this query under this model: a new search leaves them out. */
  rejectedIds(queryKey: string, modelId: number): Set<number>;
  /** Drops rejected hits (keeping k), records the list and returns the response with its listId and queryKey. */
  recordSearch(response: SearchResponse, info: SearchRecordInfo): SearchResponse;
  judge(listId: number, imageIds: readonly number[], judgement: Judgement): FeedbackState;
  clear(listId: number, imageIds?: readonly number[]): FeedbackState;
  state(listId: number): FeedbackState;
  rerank(listId: number, k?: number): Promise<SearchResponse>;
  exportText(format: 'csv' | 'json', queryKey?: string): FeedbackExport;
  /** The list (for refine jobs and tests); throws not_found. */
  list(listId: number): ResultListRecord;
  /**
   * Starts an adaptation of the active profile from the list's judgements (unsupported without
   * `refine` deps); `finished` settles once the job ended and, when it produced a model, that model
   * is active and re-embedding (never rejects).
   */
  refineModel(listId: number, settings?: AdaptSettings): Promise<RefineStarted>;
}

/** What "Refine model" needs of the adaptation service and the job queue. */
export interface RefineDeps {
  activeModel(): Promise<ModelRecord | null>;
  createClass(name: string): { id: number };
  findClass(name: string): { id: number } | undefined;
  start(classIds: readonly number[], name: string, settings?: AdaptSettings): Promise<number>;
  waitFor(jobId: number): Promise<FinishedJob>;
  /** Activates the profile and queues its re-embedding; returns that job's id (null when nothing is missing). */
  activate(modelId: number): Promise<{ jobId: number | null }>;
}

export interface RefineOutcome {
  state: FinishedJob['state'];
  /** The adapted child profile (null when the job failed or was cancelled). */
  modelId: number | null;
  /** Whether it became the active profile (not when another profile was activated meanwhile). */
  activated: boolean;
  reembedJobId: number | null;
  error: string | null;
}

export interface RefineStarted {
  jobId: number;
  classId: number;
  support: number[];
  negatives: number[];
  finished: Promise<RefineOutcome>;
}

/** The target class that holds one query's feedback (reused by later refinements of that query). */
export const refineClassName = (queryKey: string): string => `feedback ${queryKey}`;

export interface FeedbackServiceDeps {
  catalogue: Catalogue;
  /** The HNSW index of a model (the search engine's). */
  index(model: ModelRecord): Promise<GraphIndex>;
  /** The model's stored vectors in memory once loaded (the search engine's); null meanwhile. */
  vectors?(model: ModelRecord): VectorTable | null;
  weights?: RocchioWeights;
  /** Adaptation for "Refine model"; without it the channel answers unsupported. */
  refine?: RefineDeps;
}

export const imageQueryKey = (imageId: number): string => `image:${imageId}`;

export function createFeedbackService(deps: FeedbackServiceDeps): FeedbackService {
  const { catalogue } = deps;
  const weights = deps.weights ?? DEFAULT_ROCCHIO;

  const requireList = (listId: number): ResultListRecord => {
    const list = catalogue.resultLists.get(listId);
    if (!list) throw new FeedbackError('not_found', `There is no result list ${listId}.`);
    return list;
  };

  const state = (listId: number): FeedbackState => {
    const list = requireList(listId);
    const judgements = catalogue.judgements.list(list.queryKey, list.modelId);
    const lookup = new Map(judgements.map((j) => [j.imageId, j.judgement]));
    const rounds = catalogue.resultLists.forQuery(list.queryKey, list.modelId).map((round, index) => ({
      listId: round.id,
      round: index,
      kind: round.kind,
      modelId: round.modelId,
      k: round.k,
      createdAt: round.createdAt,
      precision: feedbackPrecision(round.hits.map((h) => h.imageId), lookup),
    }));
    return {
      listId,
      queryKey: list.queryKey,
      modelId: list.modelId,
      judgements: judgements.map(({ imageId, judgement, updatedAt }) => ({ imageId, judgement, updatedAt })),
      precision: feedbackPrecision(list.hits.map((h) => h.imageId), lookup),
      rounds,
    };
  };

  const rejectedIds = (queryKey: string, modelId: number): Set<number> => {
    const out = new Set<number>();
    for (const [id, judgement] of catalogue.judgements.lookup(queryKey, modelId)) if (judgement === 'not_relevant') out.add(id);
    return out;
  };

  const summaryOf = (id: number) => {
    const image = catalogue.images.get(id);
    const first = image ? catalogue.paths.listForImage(id)[0] : undefined;
    if (!image || !first) return null;
    return { id, name: path.basename(first.path), folderId: first.folderId, width: image.width, height: image.height, format: image.format };
  };

  /**
   * Candidates' page radii per index, kept while the index's neighbourhood epoch, what is visible and k
   * stay the same (the key): the next round on a list, or another list in the same neighbourhood, skips
   * those searches.
   * Bounded: cleared past RADII_LIMIT entries.
   */
  const radiiByIndex = new WeakMap<object, { key: string; radii: Map<number, number> }>();
  const rememberedRadii = (index: object, key: string): Map<number, number> => {
    const held = radiiByIndex.get(index);
    if (held && held.key === key && held.radii.size < RADII_LIMIT) return held.radii;
    const fresh = { key, radii: new Map<number, number>() };
    radiiByIndex.set(index, fresh);
    return fresh.radii;
  };

  return {
    rejectedIds,
    list: requireList,
    recordSearch(response, info) {
      const rejected = rejectedIds(info.queryKey, response.model.id);
      const hits = response.hits.filter((h) => !rejected.has(h.image.id)).slice(0, info.k);
      const queryVector = info.queryVector ?? (response.query.imageId !== null ? (catalogue.embeddings.get(response.model.id, response.query.imageId) ?? null) : null);
      const listId = catalogue.resultLists.record({
        queryKey: info.queryKey,
        queryName: response.query.name,
        queryImageId: response.query.imageId,
        queryVector,
        modelId: response.model.id,
        modelName: response.model.name,
        kind: 'search',
        k: info.k,
        filters: info.filters ?? {},
        judgements: [...rejected].map((imageId) => ({ imageId, judgement: 'not_relevant' as const })),
        hits: hits.map((h) => ({ imageId: h.image.id, distance: h.distance })),
      });
      return { ...response, hits, listId, queryKey: info.queryKey };
    },
    judge(listId, imageIds, judgement) {
      const list = requireList(listId);
      catalogue.judgements.set(list.queryKey, list.modelId, imageIds, judgement);
      return state(listId);
    },
    clear(listId, imageIds) {
      const list = requireList(listId);
      catalogue.judgements.clear(list.queryKey, list.modelId, imageIds);
      return state(listId);
    },
    state,
    async rerank(listId, k) {
      const started = performance.now();
      const list = requireList(listId);
      const model = catalogue.models.get(list.modelId);
      if (!model) throw new FeedbackError('not_found', `The model ${list.modelName} that ranked this list is no longer installed.`);
      const query = list.queryVector ?? (list.queryImageId !== null ? catalogue.embeddings.get(model.id, list.queryImageId) : undefined);
      if (!query) throw new FeedbackError('unsupported', 'The query of this list has no embedding yet; search again once the archive is embedded.');
      const judged = catalogue.judgements.list(list.queryKey, model.id);
      const relevantIds = judged.filter((j) => j.judgement === 'relevant').map((j) => j.imageId);
      const rejected = judged.filter((j) => j.judgement === 'not_relevant').map((j) => j.imageId);
      const relevant = catalogue.embeddings.getMany(model.id, relevantIds);
      const notRelevant = catalogue.embeddings.getMany(model.id, rejected);
      // Rejected images without a vector still stay out of the list.
      for (const id of rejected) if (!notRelevant.has(id)) notRelevant.set(id, query);
      const index = await deps.index(model);
      const allowed = allowedIds(catalogue, list.filters as SearchFilters | undefined);
      // Thousands of candidates are screened at a million images: both checks stay in memory (a
      // summary per candidate cost two queries each and most of a re-rank's time).
      const listed = catalogue.images.visibility();
      const visible = (id: number) => (allowed ? allowed.has(id) : true) && listed(id);
      const table = deps.vectors?.(model) ?? null;
      const vectorsOf = (ids: readonly number[]): ReadonlyMap<number, ArrayLike<number>> => {
        if (!table) return catalogue.embeddings.getMany(model.id, ids);
        const found = new Map<number, ArrayLike<number>>();
        const missing: number[] = [];
        for (const id of ids) {
          const v = table.vector(id);
          if (v) found.set(id, v);
          else missing.push(id);
        }
        if (missing.length > 0) for (const [id, v] of catalogue.embeddings.getMany(model.id, missing)) found.set(id, v);
        return found;
      };
      const wantK = k ?? list.k;
      // Only for unfiltered lists: what a filter allows can change without a path changing (e.g. headers filed later).
      const radii = allowed ? undefined : rememberedRadii(index, `${wantK}|${index.neighbourhoodEpoch}|${catalogue.images.visibilityVersion()}`);
      const exclude = new Set<number>(list.queryImageId !== null ? [list.queryImageId] : []);
      // At a million images the re-rank makes thousands of searches: they run on the index thread, several
      // per message, and pages and searches of other requests are served meanwhile and between candidates.
      const searchMany = async (vectors: Float32Array[], want: number) =>
        (await index.nearestMany(vectors, want, allowed ?? undefined)).map((found) => found.filter((n) => visible(n.id)));
      const result = await rerankInSlices(
        {
          query,
          relevant: new Map([...relevant].filter(([id]) => visible(id))),
          notRelevant: new Map([...notRelevant].map(([id, v]) => [id, v])),
          // The classifier re-orders the neighbourhood pool from the stored vectors of its members.
          vectorsOf,
          archiveSize: index.size,
          k: wantK,
          exclude,
          weights,
          radii,
        },
        searchMany,
      );
      const hits = result.hits.flatMap((n) => {
        const image = summaryOf(n.id);
        return image ? [{ image, distance: n.distance }] : [];
      });
      const newId = catalogue.resultLists.record({
        queryKey: list.queryKey,
        queryName: list.queryName,
        queryImageId: list.queryImageId,
        queryVector: query,
        modelId: model.id,
        modelName: model.name,
        kind: 'rerank',
        parentListId: list.id,
        k: wantK,
        filters: list.filters,
        judgements: judged.map((j) => ({ imageId: j.imageId, judgement: j.judgement })),
        params: { method: result.method, poolSize: result.poolSize, gateSearches: result.gateSearches, ...weights },
        hits: hits.map((h) => ({ imageId: h.image.id, distance: h.distance })),
      });
      return {
        model: modelSummary(model),
        query: { imageId: list.queryImageId, name: list.queryName },
        hits,
        embedded: catalogue.embeddings.count(model.id),
        total: catalogue.images.countVisible(),
        tookMs: Math.round((performance.now() - started) * 100) / 100,
        listId: newId,
        queryKey: list.queryKey,
      };
    },
    async refineModel(listId, settings) {
      const list = requireList(listId);
      const refine = deps.refine;
      if (!refine) throw new FeedbackError('unsupported', 'Refining the model needs the few-shot adaptation engine, which this back end does not have; re-rank instead.');
      const parent = await refine.activeModel();
      if (!parent) throw new FeedbackError('unsupported', 'No trained model is installed, so there is nothing to refine yet.');
      const exists = (id: number) => catalogue.images.get(id) !== undefined;
      const judged = catalogue.judgements.list(list.queryKey, list.modelId).filter((j) => exists(j.imageId));
      const negatives = judged.filter((j) => j.judgement === 'not_relevant').map((j) => j.imageId);
      const rejected = new Set(negatives);
      // The query is the first positive when it is a catalogue item (an upload is, once imported).
      const uploadHash = list.queryKey.startsWith('upload:') ? list.queryKey.slice('upload:'.length) : null;
      const queryImageId = list.queryImageId ?? (uploadHash ? (catalogue.images.findByHash(uploadHash)?.id ?? null) : null);
      const support = [...new Set([...(queryImageId !== null && exists(queryImageId) ? [queryImageId] : []), ...judged.filter((j) => j.judgement === 'relevant').map((j) => j.imageId)])].filter((id) => !rejected.has(id));
      if (support.length === 0) throw new FeedbackError('bad_request', 'Mark at least one result as relevant before refining the model.');

      // One class per query: its labels are replaced by the current judgements, so a cleared mark no longer counts.
      const name = refineClassName(list.queryKey);
      const classId = (refine.findClass(name) ?? refine.createClass(name)).id;
      const stale = catalogue.classes.labels(classId).map((l) => l.imageId);
      catalogue.transaction(() => {
        catalogue.classes.unlabel(classId, stale);
        catalogue.classes.label(classId, support, 'support');
        if (negatives.length > 0) catalogue.classes.label(classId, negatives, 'negative');
      });
      const jobId = await refine.start([classId], `${parent.name} refined for ${list.queryName}`, settings);

      const finished = (async (): Promise<RefineOutcome> => {
        const job = await refine.waitFor(jobId);
        const modelId = job.state === 'done' && typeof job.summary?.modelId === 'number' ? job.summary.modelId : null;
        if (modelId === null) return { state: job.state, modelId: null, activated: false, reembedJobId: null, error: job.error };
        // The marks follow the query to the refined profile: its first search leaves the rejected out too.
        for (const judgement of ['relevant', 'not_relevant'] as const) {
          const ids = judged.filter((j) => j.judgement === judgement).map((j) => j.imageId);
          if (ids.length > 0) catalogue.judgements.set(list.queryKey, modelId, ids, judgement);
        }
        // Another profile chosen while the job ran stays: the analyst's choice wins over this refinement.
        if ((await refine.activeModel())?.id !== parent.id) return { state: job.state, modelId, activated: false, reembedJobId: null, error: null };
        const { jobId: reembedJobId } = await refine.activate(modelId);
        return { state: job.state, modelId, activated: true, reembedJobId, error: null };
      })().catch((error: unknown): RefineOutcome => {
        const message = error instanceof Error ? error.message : String(error);
        console.error(`[simila] refining the model for ${list.queryKey} did not finish: ${message}`);
        return { state: 'failed', modelId: null, activated: false, reembedJobId: null, error: message };
      });
      return { jobId, classId, support, negatives, finished };
    },
    exportText(format, queryKey) {
      return exportFeedback(catalogue.judgements.listAll(queryKey), catalogue.resultLists.listAll(queryKey), format, queryKey);
    },
  };
}
