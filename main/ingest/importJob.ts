/** The 'import' job kind: runs importFolder for a folder and reports counts and library changes. */
import type { Catalogue } from '../catalogue/catalogue';
import { JobFailure, type JobRunner } from '../jobs/jobQueue';
import type { ContentReader } from './contentReader';
import type { DecoderRegistry } from './decoders/registry';
import type { DecodeLimits } from './decoders/types';
import { importFolder, type ImportCounts, type ImportSummary } from './importer';
import { libraryChangeBatcher, type LibraryChangeListener } from './libraryChanges';

export const IMPORT_JOB_KIND = 'import';

export interface ImportJobParams {
  root: string;
}

export function isImportJobParams(value: unknown): value is ImportJobParams {
  return !!value && typeof value === 'object' && typeof (value as { root?: unknown }).root === 'string';
}

export interface ImportJobOptions {
  catalogue: Catalogue;
  registry: DecoderRegistry;
  /** Where files are read, hashed and decoded (the worker pool); default: in this process. */
  reader?: ContentReader;
  thumbnailsDir: string;
  limits?: Partial<DecodeLimits>;
  concurrency?: number;
  /** New images appeared (batched about once a second, and once at the end). */
  onLibraryChanged?: LibraryChangeListener;
  libraryChangeIntervalMs?: number;
  /** Frees the data home's space reserve when the disk fills (so the failure can still be recorded). */
  releaseSpaceReserve?: () => boolean;
  /** Makes the space reserve again when there is room (called as each import starts). */
  ensureSpaceReserve?: () => boolean;
}

function jobCounts(c: Readonly<ImportCounts>) {
  // Duplicates and moved files were catalogued without decoding: count them with the skipped ones.
  return { total: c.total, done: c.done, imported: c.imported, skipped: c.skipped + c.duplicates + c.moved, failed: c.failed };
}

export function summaryRecord(s: ImportSummary): Record<string, unknown> {
  return {
    imported: s.imported,
    skipped: s.skipped,
    failed: s.failed,
    duplicates: s.duplicates,
    moved: s.moved,
    removed: s.removed,
    failed_by_reason: s.failedByReason,
    seconds: Math.round(s.seconds * 1000) / 1000,
    cancelled: s.cancelled,
    ...(s.fault ? { fault: s.fault.code } : {}),
  };
}

export function createImportRunner(options: ImportJobOptions): JobRunner {
  return async ({ jobId, params, signal, report }) => {
    if (!isImportJobParams(params)) throw new Error('The import job has no folder to import.');
    const changes = libraryChangeBatcher(options.onLibraryChanged, options.libraryChangeIntervalMs);
    options.ensureSpaceReserve?.();
    const summary = await importFolder({
      root: params.root,
      jobId,
      catalogue: options.catalogue,
      registry: options.registry,
      reader: options.reader,
      thumbnailsDir: options.thumbnailsDir,
      limits: options.limits,
      concurrency: options.concurrency,
      signal,
      releaseSpaceReserve: options.releaseSpaceReserve,
      onProgress: (counts) => report(jobCounts(counts)),
      onImported: (folderId) => changes.imported(folderId),
    });
    changes.flush();
    const s = summary;
    if (s.fault) {
      // The job ends failed with the fault's sentence; the counts and summary of what was done stay with it.
      const done = `${s.imported} imported, ${s.skipped} unchanged, ${s.duplicates} duplicates, ${s.failed} failed before it stopped`;
      throw new JobFailure(`${s.fault.message} (${done}.)`, summaryRecord(s), jobCounts(s), s.fault.code);
    }
    const message = `${s.imported} imported, ${s.skipped} unchanged, ${s.duplicates} duplicates, ${s.failed} failed`;
    return { summary: summaryRecord(s), counts: jobCounts(s), message, cancelled: s.cancelled };
  };
}
