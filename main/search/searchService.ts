/**
 * Search by example: an archive image (its stored vector) or a file's bytes (decoded like an import,
 * embedded in the worker) -> the k nearest visible images under the active model, nearest first, with
 * Euclidean distances between L2-normalised embeddings. Every answer names the model that ranked it and
 * how much of the archive that model has embedded so far.
 */
import path from 'node:path';
import type { ImageSummary, ModelSummary, SearchFilters, SearchResponse } from '../../shared/rpc/contract';
import type { Catalogue } from '../catalogue/catalogue';
import type { ModelRecord } from '../catalogue/repositories/models';
import type { Neighbour } from '../index/types';
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

export interface SearchService {
  byImage(id: number, k: number, filters?: SearchFilters): Promise<SearchResponse>;
  byBytes(name: string, bytes: Buffer, k: number, filters?: SearchFilters): Promise<SearchResponse>;
  /** byBytes that also hands back the query's embedding (relevance feedback re-ranks from it). */
  byBytesWithVector(name: string, bytes: Buffer, k: number, filters?: SearchFilters): Promise<{ response: SearchResponse; vector: Float32Array }>;
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

  const rank = async (model: ModelRecord, vector: Float32Array, k: number, exclude: number | null, filters: SearchFilters | undefined) => {
    const index = await engine.index(model);
    const allowed = allowedIds(catalogue, filters);
    const filter = allowed ?? undefined;
    let hits: { image: ImageSummary; distance: number }[] = [];
    // Ask for more until k visible hits are found or the index has nothing more to give.
    for (let want = k + OVER_FETCH; ; want *= 4) {
      const found: Neighbour[] = index.search(vector, want, filter);
      hits = [];
      for (const n of found) {
        if (n.id === exclude) continue;
        const image = summaryOf(n.id);
        if (image) hits.push({ image, distance: n.distance });
        if (hits.length === k) break;
      }
      if (hits.length >= k || found.length < want || want >= index.size) break;
    }
    return hits;
  };

  const respond = (model: ModelRecord, query: SearchResponse['query'], hits: SearchResponse['hits'], started: number): SearchResponse => ({
    model: modelSummary(model),
    query,
    hits,
    embedded: catalogue.embeddings.count(model.id),
    total: catalogue.images.countVisible(),
    tookMs: Math.round((performance.now() - started) * 100) / 100,
  });

  return {
    requireModel,
    async byImage(id, k, filters) {
      const started = performance.now();
      const model = await requireModel();
      const query = summaryOf(id);
      if (!query) throw new SearchError('not_found', `There is no image ${id} in the library.`);
      let vector = catalogue.embeddings.get(model.id, id);
      if (!vector) {
        // Not embedded yet (the job is still running): embed it now, like an uploaded file.
        vector = await embedOne(model, () => engine.prepareImage(id, engine.manifestOf(model).preprocess));
      }
      return respond(model, { imageId: id, name: query.name }, await rank(model, vector, k, id, filters), started);
    },
    async byBytes(name, bytes, k, filters) {
      return (await this.byBytesWithVector(name, bytes, k, filters)).response;
    },
    async byBytesWithVector(name, bytes, k, filters) {
      const started = performance.now();
      const model = await requireModel();
      const vector = await embedOne(model, () => engine.prepareBytes(bytes, engine.manifestOf(model).preprocess));
      return { response: respond(model, { imageId: null, name }, await rank(model, vector, k, null, filters), started), vector };
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
