/**
 * The HNSW index of one model as a rebuildable cache of its vectors in SQLite: load it from
 * <home>/indexes/<modelId>.hnsw when the file checks out, catch it up when the vectors changed since it
 * was saved, rebuild it when it is missing or corrupt, or when it holds another number of vectors than the
 * catalogue at the same revision; save it atomically with its sidecar. A rebuild is logged with its reason.
 */
import type { Catalogue } from '../catalogue/catalogue';
import { asResourceFault } from '../ingest/fsErrors';
import { withWriterLock } from '../home/writerLock';
import { buildIndex, catchUp, type BuildOptions } from './buildIndex';
import { DEFAULT_HNSW_PARAMS, type HnswParams } from './hnswIndex';
import type { GraphIndex } from './graphIndex';
import { onIndexThreads } from './threadedIndex';
import { checkIndexFiles, indexPaths, writeIndexAtomically, type AtomicWriteHooks, type IndexSidecar } from './indexFiles';
import type { VectorSource } from './types';

export interface ModelIndexLocation {
  /** <home>/indexes */
  dir: string;
  modelId: number;
}

export type IndexOrigin =
  | { kind: 'loaded' }
  | { kind: 'caught-up'; added: number; removed: number }
  | { kind: 'rebuilt'; reason: 'missing' | 'corrupt' | 'mismatch' | 'unreadable' | 'params' | 'count' };

/** Where openModelIndex reports a rebuild (default: the process log on stderr). */
export type IndexLog = (message: string) => void;

const defaultLog: IndexLog = (message) => console.warn(`[simila] ${message}`);

const REASONS: Record<Extract<IndexOrigin, { kind: 'rebuilt' }>['reason'], string> = {
  missing: 'the index file is missing',
  corrupt: 'the index file is truncated or does not match its checksum',
  mismatch: 'the index file belongs to another model',
  unreadable: 'the index file could not be read',
  params: 'the index was built with other HNSW parameters',
  count: 'the index holds another number of vectors than the catalogue',
};

export interface OpenedIndex {
  index: GraphIndex;
  origin: IndexOrigin;
  /** The source revision the index now reflects. */
  revision: number;
}

/** Opens the model's index, repairing it from the source as needed (never returns a stale index). */
export async function openModelIndex(
  where: ModelIndexLocation,
  source: VectorSource,
  params: HnswParams = DEFAULT_HNSW_PARAMS,
  build: BuildOptions = {},
  log: IndexLog = defaultLog,
): Promise<OpenedIndex> {
  const check = await checkIndexFiles(where.dir, where.modelId, source.dim);
  let reason: Extract<IndexOrigin, { kind: 'rebuilt' }>['reason'];
  if (check.ok) {
    const saved = check.sidecar;
    if (saved.params.m === params.m && saved.params.efConstruction === params.efConstruction) {
      let index: GraphIndex | null = null;
      try {
        index = await (build.host ?? onIndexThreads).read(indexPaths(where.dir, where.modelId).index, source.dim, params, saved.deleted);
        const revision = source.revision();
        if (revision === saved.revision && index.size === saved.count) {
          // Same revision, so the catalogue's count must agree; an index short of vectors is not trusted.
          if (index.size === source.count()) return { index, origin: { kind: 'loaded' }, revision };
          reason = 'count';
        } else {
          const changes = await catchUp(index, source);
          return { index, origin: { kind: 'caught-up', ...changes }, revision };
        }
      } catch {
        reason = 'unreadable';
      }
      // Not used after all: its memory (and index thread) go now, not when the rebuilt one is released.
      if (index) await index.settled().then(() => index.release());
    } else {
      reason = 'params';
    }
  } else {
    reason = check.code;
  }
  const revision = source.revision();
  const started = performance.now();
  const index = await buildIndex(source, params, build);
  if (reason !== 'missing' || source.count() > 0) {
    log(`Index of model ${where.modelId} rebuilt from the ${index.size} stored vectors (${REASONS[reason]}) in ${Math.round(performance.now() - started)} ms.`);
  }
  return { index, origin: { kind: 'rebuilt', reason }, revision };
}

/** Writes the index and its sidecar atomically; `revision` is the source revision it reflects. */
export async function saveModelIndex(
  where: ModelIndexLocation,
  index: GraphIndex,
  revision: number,
  hooks: AtomicWriteHooks = {},
): Promise<IndexSidecar> {
  try {
    // Another process on the same home (a terminal `simila embed` beside the app) may save the same index.
    return await withWriterLock(indexPaths(where.dir, where.modelId).index, () => writeIndexAtomically(
      where.dir,
      where.modelId,
      async (file) => {
        // Described by the graph at the moment its write starts (later mutations are not in the file).
        const written = await index.write(file);
        return { modelId: where.modelId, dim: index.dim, space: 'l2' as const, params: index.params, revision, count: written.count, deleted: written.deleted };
      },
      hooks,
    ));
  } catch (error) {
    // A full disk or read-only home: the temporary files are gone, the previous index file is untouched.
    throw asResourceFault(
      error,
      `the search index of model ${where.modelId} could not be saved`,
      'The vectors are stored in the catalogue and the previous index file is left as it was (it is caught up or rebuilt from them when opened); free some space and it is saved again.',
    );
  }
}

/** The catalogue's vectors of one model as a VectorSource; undefined for an unknown model. */
export function catalogueVectorSource(catalogue: Catalogue, modelId: number): VectorSource | undefined {
  const model = catalogue.models.get(modelId);
  if (!model) return undefined;
  return {
    dim: model.embeddingDim,
    revision: () => catalogue.models.embeddingsRevision(modelId) ?? 0,
    count: () => catalogue.embeddings.count(modelId),
    ids: () => catalogue.embeddings.ids(modelId),
    idsAfter: (id) => catalogue.embeddings.ids(modelId, id),
    batches: (batchSize) => catalogue.embeddings.batches(modelId, batchSize),
    get: (ids) => catalogue.embeddings.getMany(modelId, ids),
  };
}
