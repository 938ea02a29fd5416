/**
 * The back-end services wired together without any transport: data home, catalogue, decoder
 * registry, job queue with the import runner, and an event hub. createApp wraps this for the
 * shells; the CLI uses it directly (it waits for jobs and prints their summaries).
 */
import path from 'node:path';
import type { EventName, EventOf } from '../../shared/rpc/contract';
import { ADAPT_JOB_KIND, createAdaptRunner, type AdaptCurvePoint } from '../adaptation/adaptJob';
import { createReembedRunner, REEMBED_JOB_KIND } from '../adaptation/reembedJob';
import { openCatalogue, type Catalogue } from '../catalogue/catalogue';
import { startWalCheckpointer } from '../catalogue/walCheckpointer';
import { createInProcessReader, type ContentReader } from '../ingest/contentReader';
import { createDecodePool } from '../ingest/pool/decodePool';
import { inProcessPreparer, type InputPreparer } from '../search/inputPreparer';
import { createDefaultRegistry } from '../ingest/decoders/defaultRegistry';
import type { DecoderRegistry } from '../ingest/decoders/registry';
import type { DecodeLimits } from '../ingest/decoders/types';
import { createImportRunner, IMPORT_JOB_KIND } from '../ingest/importJob';
import { createDicomwebImportRunner, DICOMWEB_IMPORT_JOB_KIND } from '../sources/dicomweb/importDicomwebJob';
import type { DicomwebCredentials } from '../sources/dicomweb/credentials';
import type { DicomwebSource } from '../sources/dicomweb/source';
import { DataHomeError, prepareHome, readOnlyHomeMessage, spaceReserve, type HomeLayout } from '../home/dataHome';
import { createJobQueue, type JobQueue } from '../jobs/jobQueue';
import { createHierarchyRunner, HIERARCHY_JOB_KIND } from '../library/hierarchyBackfill';
import { createExportRunner, EXPORT_JOB_KIND } from '../export/exportJob';
import { embedWorkersFromEnv } from '../search/embedderPool';
import { createEmbedRunner, EMBED_JOB_KIND, isEmbedJobParams, type EmbedJobParams } from '../search/embedJob';
import { createSearchEngine, type SearchEngine } from '../search/searchEngine';
import { createSearchService, type SearchService } from '../search/searchService';
import { packageRoot } from './packageRoot';
import type { EventListener } from './types';
import { createAdaptationService, type AdaptationService } from '../adaptation/adaptationService';

export interface ServicesOptions {
  home?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Re-queue jobs an earlier process left running (the app does; one-shot CLI commands do not). */
  resumeJobs?: boolean;
  importConcurrency?: number;
  limits?: Partial<DecodeLimits>;
  progressThrottleMs?: number;
  /** Decode in this process instead of the worker pool (no crash/hang isolation; tests only). */
  decodeInProcess?: boolean;
  /** Decode worker processes (default: two per core, 2 to 8). */
  decodeWorkers?: number;
  /** After an import finishes, queue an embedding job for the active model (the app does; the CLI does not). */
  autoEmbed?: boolean;
  /** Folder holding assets/models/ with the shipped default model; null: install none (default: Simila's package root). */
  shippedModelsRoot?: string | null;
  /** tfjs backends to try, in order (default: tfjs-node-gpu, tfjs-node, wasm, cpu). */
  preferBackends?: string[];
  /** Images per embedding batch (default 64). */
  embedBatchSize?: number;
  /** Embedding worker threads on a single-threaded backend (default: $SIMILA_EMBED_WORKERS, else one per core, at most 4). */
  embedWorkers?: number;
  /** Credentials for a DICOMweb archive (default: SIMILA_DICOMWEB_* from the environment; the app adds its secret store). */
  dicomwebCredentials?: (source: DicomwebSource) => DicomwebCredentials | null;
}

export interface Services {
  layout: HomeLayout;
  catalogue: Catalogue;
  registry: DecoderRegistry;
  /** Reads, hashes and decodes files for imports (the worker pool unless decodeInProcess). */
  reader: ContentReader;
  /** Decodes bytes that are no catalogued file (uploads) for the network: the same pool as `reader`. */
  preparer: InputPreparer;
  jobs: JobQueue;
  /** Active model, embedding worker and HNSW indexes; search by example over them. */
  engine: SearchEngine;
  search: SearchService;
  /** Live loss/validation curves of running 'adapt' jobs by job id. */
  adaptCurves: Map<number, AdaptCurvePoint[]>;
  /**
   * Queues an embedding job for the model (the active one by default), or returns the one already
   * queued or running for it; null when no trained model is installed.
   */
  startEmbedding(modelId?: number): Promise<number | null>;
  emit<E extends EventName>(event: E, payload: EventOf<E>): void;
  onEvent(listener: EventListener): () => void;
  close(): Promise<void>;
}

export function openServices(options: ServicesOptions = {}): Services {
  const layout = prepareHome({ home: options.home, env: options.env });
  // A read-only home (read-only media or mount) is opened for reading: list, info and search work.
  const catalogue = openCatalogue(layout.catalogueFile, { readonly: layout.readOnly });
  // The app serves requests from this thread: SQLite's checkpoints run on a thread of their own.
  const checkpointer = layout.readOnly ? null : startWalCheckpointer(catalogue.db, layout.catalogueFile);
  const reserve = spaceReserve(layout.root);
  const registry = createDefaultRegistry();
  // Untrusted bytes are decoded in the sandboxed pool: imports, and uploads for search or a class alike.
  const pool = options.decodeInProcess ? null : createDecodePool({ size: options.decodeWorkers });
  const reader: ContentReader = pool ?? createInProcessReader(registry);
  const preparer: InputPreparer = pool ?? inProcessPreparer(registry);
  const listeners = new Set<EventListener>();
  const emit = <E extends EventName>(event: E, payload: EventOf<E>) => {
    for (const listener of listeners) {
      try {
        listener(event, payload);
      } catch (error) {
        console.error(`[simila] an event listener for ${event} failed`, error);
      }
    }
  };
  const engine = createSearchEngine({
    catalogue,
    registry,
    preparer,
    modelsDir: layout.models,
    indexesDir: layout.indexes,
    // Nothing can be installed into a read-only home: it searches with the models it already holds.
    packageRoot: layout.readOnly ? null : options.shippedModelsRoot === undefined ? packageRoot() : options.shippedModelsRoot,
    preferBackends: options.preferBackends,
    embedWorkers: options.embedWorkers ?? embedWorkersFromEnv(options.env),
  });
  const search = createSearchService(catalogue, engine);
  const startEmbedding = async (modelId?: number): Promise<number | null> => {
    const model = modelId === undefined ? await engine.activeModel() : catalogue.models.get(modelId);
    if (!model) return null;
    const existing = catalogue.jobs.listInterrupted().find((job) => job.kind === EMBED_JOB_KIND && isEmbedJobParams(job.params) && job.params.modelId === model.id);
    if (existing) {
      jobs.resume(existing.id); // one an earlier process left queued joins this queue; a live one stays as it is
      return existing.id;
    }
    const params: EmbedJobParams = { modelId: model.id };
    return jobs.enqueue(EMBED_JOB_KIND, `Embedding with ${model.name}`, params);
  };
  const adaptCurves = new Map<number, AdaptCurvePoint[]>();
  const jobs = createJobQueue({
    catalogue,
    throttleMs: options.progressThrottleMs,
    releaseSpaceReserve: reserve.release,
    ensureSpaceReserve: reserve.ensure,
    // Imports only add images and paths: they run beside an embedding or a long re-embedding (whose
    // next batch picks the new images up, or the embedding queued after the import does).
    lanes: { [IMPORT_JOB_KIND]: 'import', [DICOMWEB_IMPORT_JOB_KIND]: 'import' },
    runners: {
      [EMBED_JOB_KIND]: createEmbedRunner({ catalogue, engine, batchSize: options.embedBatchSize }),
      [ADAPT_JOB_KIND]: createAdaptRunner({
        catalogue,
        engine,
        modelsDir: layout.models,
        preferBackends: options.preferBackends,
        emit,
        onCurve: (jobId, curve) => adaptCurves.set(jobId, [...curve]),
      }),
      [HIERARCHY_JOB_KIND]: createHierarchyRunner({ catalogue }),
      [EXPORT_JOB_KIND]: createExportRunner({ catalogue }),
      [REEMBED_JOB_KIND]: createReembedRunner({ catalogue, engine, modelsDir: layout.models, preferBackends: options.preferBackends }),
      [IMPORT_JOB_KIND]: createImportRunner({
        catalogue,
        registry,
        reader,
        thumbnailsDir: layout.thumbnails,
        limits: options.limits,
        concurrency: options.importConcurrency,
        releaseSpaceReserve: reserve.release,
        ensureSpaceReserve: reserve.ensure,
        onLibraryChanged: (change) => emit('library.changed', change),
      }),
      [DICOMWEB_IMPORT_JOB_KIND]: createDicomwebImportRunner({
        catalogue,
        reader,
        thumbnailsDir: layout.thumbnails,
        cacheDir: path.join(layout.root, 'sources', 'dicomweb'),
        limits: options.limits,
        concurrency: options.importConcurrency,
        credentials: options.dicomwebCredentials,
        onLibraryChanged: (change) => emit('library.changed', change),
      }),
    },
    onProgress: (progress) => {
      emit('job.progress', progress);
      // New images get their vectors without the user asking (when a trained model is installed).
      if (options.autoEmbed && (progress.kind === IMPORT_JOB_KIND || progress.kind === DICOMWEB_IMPORT_JOB_KIND) && progress.state === 'done' && progress.imported > 0) {
        startEmbedding().catch((error: unknown) => console.error('[simila] could not queue the embedding job', error));
      }
    },
  });
  if (layout.readOnly) {
    // Every job writes to the catalogue: refuse them with the reason instead of an SQLite error.
    jobs.enqueue = () => {
      throw new DataHomeError('read_only', layout.root, readOnlyHomeMessage(layout.root));
    };
  }
  if (options.resumeJobs && !layout.readOnly) {
    jobs.resumeInterrupted();
    // Archives imported before the patient > study > series tree existed get it from a header re-read.
    const pending = catalogue.jobs.listInterrupted().some((job) => job.kind === HIERARCHY_JOB_KIND);
    if (!pending && catalogue.hierarchy.countUnfiled() > 0) jobs.enqueue(HIERARCHY_JOB_KIND, 'Filing images into patients, studies and series', {});
  }
  let closing: Promise<void> | null = null;
  return {
    layout,
    catalogue,
    registry,
    reader,
    preparer,
    jobs,
    engine,
    search,
    adaptCurves,
    startEmbedding,
    emit,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closing ??= (async () => {
        await jobs.close();
        await engine.close();
        await reader.close();
        listeners.clear();
        await checkpointer?.stop();
        catalogue.close();
      })();
      return closing;
    },
  };
}

/** The adaptation service over these services (the app's handlers and the adaptation benchmarks share one wiring). */
export function createAdaptationServiceFor(services: Services): AdaptationService {
  return createAdaptationService({
    catalogue: services.catalogue,
    engine: services.engine,
    jobs: services.jobs,
    reader: services.reader,
    preparer: services.preparer,
    homeDir: services.layout.root,
    thumbnailsDir: services.layout.thumbnails,
    curves: services.adaptCurves,
    startEmbedding: (modelId) => services.startEmbedding(modelId),
  });
}

