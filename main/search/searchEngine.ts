/**
 * What embedding and search share: the active model (the shipped default installed on first use), one
 * embedding worker for the model in use (replaced when another model is used), each model's HNSW index
 * opened once and kept, and the one way to turn catalogued images or bytes into network input.
 */
import path from 'node:path';
import type { Catalogue } from '../catalogue/catalogue';
import type { ModelRecord } from '../catalogue/repositories/models';
import type { DecoderRegistry } from '../ingest/decoders/registry';
import type { GraphIndex } from '../index/graphIndex';
import { inThisThread, onIndexThreads } from '../index/threadedIndex';
import { catchUp } from '../index/buildIndex';
import { runNowOrInSlices } from '../threads/cooperative';
import { catalogueVectorSource, openModelIndex, saveModelIndex } from '../index/modelIndex';
import { VectorTable } from '../index/vectorTable';
import type { PreprocessSpec } from '../ml/data/preprocessSpec';
import { modelManifestSchema, type ModelManifest } from '../ml/package/manifest';
import type { Embedder } from './embedder';
import { createEmbedderPool } from './embedderPool';
import { readCataloguedImage } from './imageSource';
import { inProcessPreparer, type InputPreparer, type Prepared } from './inputPreparer';
import { createTrunkVectors } from './trunkVectors';
import { findShippedAlternatives, findShippedModel, installShippedModel } from './shippedModel';

export interface SearchEngineOptions {
  catalogue: Catalogue;
  registry: DecoderRegistry;
  /** Where image bytes are decoded for the network (the app: the sandboxed decode pool; default: this process). */
  preparer?: InputPreparer;
  /** <home>/models and <home>/indexes. */
  modelsDir: string;
  indexesDir: string;
  /** Where the shipped model lies (assets/models/...); null: install none. */
  packageRoot: string | null;
  /** Backend candidates in order (default: the app's order). */
  preferBackends?: string[];
  /** Embedding worker threads for single-threaded backends (default: one per core, at most 4). */
  embedWorkers?: number;
  log?: (line: string) => void;
  /** How often an open index looks for vectors another process stored (default 3 s). */
  externalSyncMs?: number;
  /** Release an inactive profile's index and vectors after this long unused (default 60 s; 0: never). */
  idleReleaseMs?: number;
  /** Each model's graph on an index thread of its own (default true; false: in this thread). */
  indexThreads?: boolean;
}

/** How often an open index checks for vectors another process stored. */
const EXTERNAL_SYNC_MS = 3000;
/**
 * A profile other than the active one whose index and vectors went unused this long is released from
 * memory (reopened from its file when an old list is re-ranked or the profile is activated again). At a
 * million images each profile holds ~0.75 GB; without this, every adaptation kept its parent's copy.
 */
const IDLE_RELEASE_MS = 60_000;

export type { Prepared };

export interface SearchEngine {
  /** Installs the shipped default once (later calls wait for the first). */
  ready(): Promise<void>;
  /** The active model after `ready`, or null when no trained model is installed. */
  activeModel(): Promise<ModelRecord | null>;
  manifestOf(model: ModelRecord): ModelManifest;
  embedder(model: ModelRecord): Promise<Embedder>;
  index(model: ModelRecord): Promise<GraphIndex>;
  /**
   * A job of this process that stores a model's vectors and adds them to its index itself (embedding,
   * re-embedding) holds the periodic catch-up off that index until it releases: the catch-up would insert
   * the job's stored-but-not-yet-inserted batch a second time, and requests would wait on it.
   */
  holdCatchUp(model: ModelRecord): () => void;
  /**
   * Releases the index and vectors of every profile but the active one that went unused for `idleReleaseMs`
   * and that no job of this process is filling (runs by itself on a timer); returns the model ids released.
   */
  releaseIdle(now?: number): number[];
  /**
   * The model's stored vectors in memory, for exact scans (filtered or grouped search); null while the
   * first load runs in the background (searches meanwhile walk the graph).
   */
  vectors(model: ModelRecord): VectorTable | null;
  /** The same, waiting for the first load. */
  vectorsReady(model: ModelRecord): Promise<VectorTable>;
  /** Writes the model's index atomically, recording the catalogue revision it reflects. */
  saveIndex(model: ModelRecord): Promise<void>;
  /** Network input of one catalogued image / one file's bytes. */
  prepareImage(imageId: number, spec: PreprocessSpec): Promise<Prepared>;
  prepareBytes(bytes: Buffer, spec: PreprocessSpec): Promise<Prepared>;
  /** The model's vector of a catalogued image from its cached trunk row (during a re-embedding); null without one. */
  vectorFromTrunk(model: ModelRecord, imageId: number): Promise<Float32Array | null>;
  /** The backend of the embedding worker once it started; null before. */
  readonly backend: string | null;
  close(): Promise<void>;
}

export class EngineError extends Error {
  constructor(
    readonly code: 'unsupported' | 'internal',
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export const NO_MODEL_MESSAGE =
  'No trained model is installed, so Simila cannot search by example yet. Train one with `simila train pretrain` or install a model package.';

/** How long a request waits for an index catch-up under way before it searches the index as it is. */
const CATCH_UP_WAIT_MS = 25;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function createSearchEngine(options: SearchEngineOptions): SearchEngine {
  const { catalogue } = options;
  // stderr: stdout carries the CLI's JSON.
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let installing: Promise<void> | null = null;
  let current: { modelId: number; embedder: Promise<Embedder>; started?: Embedder } | null = null;
  let backend: string | null = null;
  interface OpenedIndex {
    index: GraphIndex;
    synced: { revision: number; at: number; running?: Promise<void> };
  }
  const indexes = new Map<number, Promise<OpenedIndex>>();
  interface LoadedVectors {
    table: VectorTable;
    ready: boolean;
    syncedAt: number;
    loading: Promise<VectorTable>;
    /** A sync in slices under way (callers use the table as it is meanwhile). */
    syncing?: Promise<unknown>;
    usedAt: number;
  }
  const tables = new Map<number, LoadedVectors>();
  let closed = false;
  /** Models whose index a job of this process is filling (count of holds). */
  const writing = new Map<number, number>();
  /** Resolved index entries (a loading one is never released: its promise is awaited elsewhere). */
  const openedIndexes = new Map<number, OpenedIndex>();
  const idleReleaseMs = options.idleReleaseMs ?? IDLE_RELEASE_MS;

  const ready = () =>
    (installing ??= (async () => {
      const shipped = options.packageRoot ? findShippedModel(options.packageRoot) : null;
      if (!shipped) return;
      // The default first (it may become active), then the alternatives (listed, never activated here).
      const packages = [{ dir: shipped, activate: true }, ...findShippedAlternatives(options.packageRoot as string).map((dir) => ({ dir, activate: false }))];
      for (const { dir, activate } of packages) {
        try {
          const result = await installShippedModel(catalogue, options.modelsDir, dir, { activate });
          if (!result.ok) log(`[search] the shipped model ${dir} was not installed: ${result.message}`);
          else if (result.installed) log(`[search] installed the shipped model ${result.model.name} as ${result.model.dir}${result.activated ? ' (active)' : ''}`);
        } catch (error) {
          log(`[search] the shipped model ${dir} could not be installed: ${String(error)}`);
        }
      }
    })());

  const preparer = options.preparer ?? inProcessPreparer(options.registry);
  const trunkVectors = createTrunkVectors({ catalogue, modelsDir: options.modelsDir, preferBackends: options.preferBackends });
  const prepare = async (load: () => Promise<Prepared | { ok: true; bytes: Buffer }>, spec: PreprocessSpec): Promise<Prepared> => {
    const loaded = await load();
    if (!loaded.ok || !('bytes' in loaded)) return loaded;
    return preparer.prepare(loaded.bytes, spec);
  };

  const engine: SearchEngine = {
    ready,
    async activeModel() {
      await ready();
      return catalogue.models.active() ?? null;
    },
    manifestOf(model) {
      const parsed = modelManifestSchema.safeParse(model.manifest);
      if (!parsed.success) throw new EngineError('internal', `The catalogue's manifest of model ${model.name} (${model.id}) is not valid.`);
      return parsed.data;
    },
    embedder(model) {
      if (closed) return Promise.reject(new EngineError('internal', 'The search engine is closed.'));
      // A crashed worker is replaced on the next request (the job or search that saw the crash failed with its reason).
      if (current?.modelId === model.id && current.started?.alive !== false) return current.embedder;
      const previous = current;
      const modelDir = path.resolve(options.modelsDir, model.dir);
      const embedder = (async () => {
        if (previous) await (await previous.embedder.catch(() => null))?.close();
        const started = await createEmbedderPool({ modelDir, prefer: options.preferBackends, workers: options.embedWorkers });
        backend = started.backend;
        return started;
      })();
      const entry: NonNullable<typeof current> = { modelId: model.id, embedder };
      current = entry;
      embedder.then((started) => (entry.started = started)).catch(() => undefined);
      // A model that failed to load is tried again on the next call.
      embedder.catch(() => {
        if (current?.embedder === embedder) current = null;
      });
      return embedder;
    },
    async index(model) {
      let opened = indexes.get(model.id);
      if (!opened) {
        const source = catalogueVectorSource(catalogue, model.id);
        if (!source) throw new EngineError('internal', `Model ${model.id} is not in the catalogue.`);
        const host = options.indexThreads === false ? inThisThread : onIndexThreads;
        opened = openModelIndex({ dir: options.indexesDir, modelId: model.id }, source, undefined, { host }).then((o) => {
          const entry: OpenedIndex = { index: o.index, synced: { revision: o.revision, at: performance.now() } };
          openedIndexes.set(model.id, entry);
          return entry;
        });
        indexes.set(model.id, opened);
        opened.catch(() => indexes.delete(model.id));
      }
      const entry = await opened;
      if (entry.index.isReleased) {
        // Its index thread stopped (released elsewhere, or failed): open it again from its file.
        if (indexes.get(model.id) === opened) indexes.delete(model.id);
        if (openedIndexes.get(model.id) === entry) openedIndexes.delete(model.id);
        return engine.index(model);
      }
      entry.index.touch();
      // Another process on this data home (e.g. `simila embed` from a terminal) may have stored vectors:
      // at most every few seconds, an index whose model revision moved takes in what it lacks.
      // The catch-up runs in slices, one at a time per index.
      const now = performance.now();
      if (!entry.synced.running && !writing.has(model.id) && now - entry.synced.at >= (options.externalSyncMs ?? EXTERNAL_SYNC_MS)) {
        entry.synced.at = now;
        const revision = catalogue.models.embeddingsRevision(model.id) ?? 0;
        if (revision !== entry.synced.revision) {
          const source = catalogueVectorSource(catalogue, model.id);
          entry.synced.running = (async () => {
            if (source) {
              await entry.index.settled();
              const changes = await catchUp(entry.index, source);
              if (changes.added + changes.removed > 0) log(`[search] index of model ${model.id} took in ${changes.added} vectors and dropped ${changes.removed} stored since it was opened`);
            }
            entry.synced.revision = revision;
          })().finally(() => (entry.synced.running = undefined));
        }
      }
      // A small catch-up (a few vectors from a terminal import) ends within the wait and this request sees
      // it; a long one goes on in slices while requests search the index as it is.
      if (entry.synced.running) await Promise.race([entry.synced.running, delay(CATCH_UP_WAIT_MS)]);
      return entry.index;
    },
    holdCatchUp(model) {
      writing.set(model.id, (writing.get(model.id) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (writing.get(model.id) ?? 1) - 1;
        if (left > 0) writing.set(model.id, left);
        else writing.delete(model.id);
      };
    },
    vectors(model) {
      const entry = tables.get(model.id);
      if (!entry) {
        void this.vectorsReady(model).catch((error: unknown) => log(`[search] the vectors of model ${model.id} could not be loaded: ${String(error)}`));
        return null;
      }
      entry.usedAt = performance.now();
      if (!entry.ready) return null;
      // Vectors stored since (this process's embedding job, or another process): a delta, at most every few
      // seconds. During a re-embedding thousands arrive between syncs: those are taken in slices in the
      // background, and callers meanwhile read the table as it is (the re-rank looks up what it lacks).
      const now = performance.now();
      if (!entry.syncing && now - entry.syncedAt >= (options.externalSyncMs ?? EXTERNAL_SYNC_MS)) {
        entry.syncedAt = now;
        const source = catalogueVectorSource(catalogue, model.id);
        if (source) {
          // A small delta is taken now; a large one goes on in slices.
          const run = runNowOrInSlices(entry.table.syncSteps(source));
          if (!run.done) {
            const loaded = entry;
            loaded.syncing = run.rest
              .catch((error: unknown) => log(`[search] the vectors of model ${model.id} could not be brought up to date: ${String(error)}`))
              .finally(() => (loaded.syncing = undefined));
          }
        }
      }
      return entry.table;
    },
    vectorsReady(model) {
      let entry = tables.get(model.id);
      if (!entry) {
        const table = new VectorTable(model.embeddingDim);
        const source = catalogueVectorSource(catalogue, model.id);
        const created: LoadedVectors = { table, ready: false, syncedAt: performance.now(), loading: Promise.resolve(table), usedAt: performance.now() };
        created.loading = (source ? table.load(source) : Promise.resolve()).then(() => {
          created.ready = true;
          created.syncedAt = performance.now();
          return table;
        });
        created.loading.catch(() => tables.delete(model.id));
        tables.set(model.id, (entry = created));
      }
      entry.usedAt = performance.now();
      return entry.loading;
    },
    releaseIdle(now = performance.now()) {
      if (idleReleaseMs <= 0 || closed) return [];
      const active = catalogue.models.active()?.id ?? null;
      const released = new Set<number>();
      for (const [modelId, { index, synced }] of openedIndexes) {
        // A catch-up under way is inserting: the next check takes that index.
        if (modelId === active || writing.has(modelId) || synced.running || index.idleMs(now) < idleReleaseMs) continue;
        if (!index.release()) continue;
        openedIndexes.delete(modelId);
        indexes.delete(modelId);
        released.add(modelId);
      }
      for (const [modelId, entry] of tables) {
        if (modelId === active || writing.has(modelId) || !entry.ready || entry.syncing || now - entry.usedAt < idleReleaseMs) continue;
        tables.delete(modelId);
        released.add(modelId);
      }
      for (const modelId of released) log(`[search] released the index and vectors of profile ${modelId} from memory (unused for ${Math.round(idleReleaseMs / 1000)} s; reopened from its file when needed)`);
      return [...released];
    },
    async saveIndex(model) {
      const index = await this.index(model);
      await saveModelIndex({ dir: options.indexesDir, modelId: model.id }, index, catalogue.models.embeddingsRevision(model.id) ?? 0);
    },
    prepareImage(imageId, spec) {
      return prepare(() => readCataloguedImage(catalogue, imageId), spec);
    },
    prepareBytes(bytes, spec) {
      return prepare(async () => ({ ok: true as const, bytes }), spec);
    },
    vectorFromTrunk(model, imageId) {
      return closed ? Promise.resolve(null) : trunkVectors.vectorOf(model, imageId);
    },
    get backend() {
      return backend;
    },
    async close() {
      closed = true;
      if (idleTimer) clearInterval(idleTimer);
      trunkVectors.close();
      const running = current;
      current = null;
      if (running) await (await running.embedder.catch(() => null))?.close();
      for (const opened of indexes.values()) {
        const entry = await opened.catch(() => null);
        await entry?.index.settled();
        entry?.index.release(); // ends its index thread
      }
      indexes.clear();
      openedIndexes.clear();
      tables.clear();
    },
  };
  const idleTimer =
    idleReleaseMs > 0
      ? setInterval(() => {
          try {
            engine.releaseIdle();
          } catch (error) {
            log(`[search] releasing idle profiles failed: ${String(error)}`);
          }
        }, Math.max(1000, Math.min(15_000, idleReleaseMs / 4))).unref()
      : null;
  return engine;
}
