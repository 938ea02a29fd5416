/**
 * The back-end services wired together without any transport: data home, catalogue, decoder
 * registry, job queue with the import runner, and an event hub. createApp wraps this for the
 * shells; the CLI uses it directly (it waits for jobs and prints their summaries).
 */
import type { EventName, EventOf } from '../../shared/rpc/contract';
import { openCatalogue, type Catalogue } from '../catalogue/catalogue';
import { createInProcessReader, type ContentReader } from '../ingest/contentReader';
import { createDecodePool } from '../ingest/pool/decodePool';
import { createDefaultRegistry } from '../ingest/decoders/defaultRegistry';
import type { DecoderRegistry } from '../ingest/decoders/registry';
import type { DecodeLimits } from '../ingest/decoders/types';
import { createImportRunner, IMPORT_JOB_KIND } from '../ingest/importJob';
import { prepareHome, type HomeLayout } from '../home/dataHome';
import { createJobQueue, type JobQueue } from '../jobs/jobQueue';
import type { EventListener } from './types';

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
}

export interface Services {
  layout: HomeLayout;
  catalogue: Catalogue;
  registry: DecoderRegistry;
  /** Reads, hashes and decodes files for imports (the worker pool unless decodeInProcess). */
  reader: ContentReader;
  jobs: JobQueue;
  emit<E extends EventName>(event: E, payload: EventOf<E>): void;
  onEvent(listener: EventListener): () => void;
  close(): Promise<void>;
}

export function openServices(options: ServicesOptions = {}): Services {
  const layout = prepareHome({ home: options.home, env: options.env });
  const catalogue = openCatalogue(layout.catalogueFile);
  const registry = createDefaultRegistry();
  const reader = options.decodeInProcess ? createInProcessReader(registry) : createDecodePool({ size: options.decodeWorkers });
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
  const jobs = createJobQueue({
    catalogue,
    throttleMs: options.progressThrottleMs,
    runners: {
      [IMPORT_JOB_KIND]: createImportRunner({
        catalogue,
        registry,
        reader,
        thumbnailsDir: layout.thumbnails,
        limits: options.limits,
        concurrency: options.importConcurrency,
        onLibraryChanged: (change) => emit('library.changed', change),
      }),
    },
    onProgress: (progress) => emit('job.progress', progress),
  });
  if (options.resumeJobs) jobs.resumeInterrupted();
  let closing: Promise<void> | null = null;
  return {
    layout,
    catalogue,
    registry,
    reader,
    jobs,
    emit,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closing ??= (async () => {
        await jobs.close();
        await reader.close();
        listeners.clear();
        catalogue.close();
      })();
      return closing;
    },
  };
}
