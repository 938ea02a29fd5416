/**
 * The 'import-dicomweb' job kind: syncs a DICOMweb archive (importDicomweb) through the job queue, so
 * it has progress, cancel, and resumes after a restart like a folder import. The job's parameters hold
 * the source URL without credentials (they are stored in the catalogue); credentials are asked for
 * when the job runs (environment, or the app's secret store).
 */
import type { Catalogue } from '../../catalogue/catalogue';
import type { ContentReader } from '../../ingest/contentReader';
import type { DecodeLimits } from '../../ingest/decoders/types';
import { JobFailure, type JobCounts, type JobRunner } from '../../jobs/jobQueue';
import { createDicomwebClient, type DicomwebClientOptions } from './client';
import { credentialsFromEnv, type DicomwebCredentials } from './credentials';
import { importDicomweb, type DicomwebImportCounts, type DicomwebImportSummary } from './importDicomweb';
import { isDicomUid, parseDicomwebUrl, parseSinceDate, type DicomwebSource } from './source';
import { libraryChangeBatcher, type LibraryChangeListener } from '../../ingest/libraryChanges';

export const DICOMWEB_IMPORT_JOB_KIND = 'import-dicomweb';

export interface DicomwebImportJobParams {
  /** dicomweb+http(s)://HOST:PORT/PATH, never with credentials. */
  url: string;
  study?: string;
  /** YYYYMMDD */
  since?: string;
}

/** Validates untrusted parameters (renderer, stored jobs): a credential-free DICOMweb URL, a UID, a date. */
export function parseDicomwebJobParams(value: unknown): DicomwebImportJobParams {
  if (!value || typeof value !== 'object') throw new Error('The archive import has no archive URL.');
  const v = value as Record<string, unknown>;
  if (typeof v.url !== 'string' || v.url.length > 2048) throw new Error('The archive import has no archive URL.');
  const source = parseDicomwebUrl(v.url);
  const params: DicomwebImportJobParams = { url: source.url };
  if (v.study !== undefined && v.study !== null && v.study !== '') {
    if (!isDicomUid(v.study)) throw new Error('--study must be a Study Instance UID (digits and dots, at most 64 characters).');
    params.study = v.study;
  }
  if (v.since !== undefined && v.since !== null && v.since !== '') {
    const since = typeof v.since === 'string' ? parseSinceDate(v.since) : null;
    if (!since) throw new Error('--since must be a date, YYYY-MM-DD.');
    params.since = since;
  }
  return params;
}

export function isDicomwebJobParams(value: unknown): value is DicomwebImportJobParams {
  try {
    parseDicomwebJobParams(value);
    return true;
  } catch {
    return false;
  }
}

export function dicomwebJobLabel(params: DicomwebImportJobParams): string {
  return `${params.url}${params.study ? ` study ${params.study}` : ''}${params.since ? ` since ${params.since}` : ''}`;
}

export interface DicomwebImportJobOptions {
  catalogue: Catalogue;
  reader: ContentReader;
  thumbnailsDir: string;
  cacheDir: string;
  limits?: Partial<DecodeLimits>;
  concurrency?: number;
  /** Credentials for a source (default: the environment). */
  credentials?: (source: DicomwebSource) => DicomwebCredentials | null;
  client?: Partial<Omit<DicomwebClientOptions, 'source' | 'credentials'>>;
  onLibraryChanged?: LibraryChangeListener;
  libraryChangeIntervalMs?: number;
}

function jobCounts(c: Readonly<DicomwebImportCounts>): JobCounts {
  return { total: c.total, done: c.done, imported: c.imported, skipped: c.skipped + c.duplicates, failed: c.failed };
}

export function dicomwebSummaryRecord(s: DicomwebImportSummary): Record<string, unknown> {
  return {
    imported: s.imported,
    skipped: s.skipped,
    failed: s.failed,
    duplicates: s.duplicates,
    moved: 0,
    removed: 0,
    studies: s.studies,
    series: s.series,
    bytes: s.bytes,
    // Instances the archive no longer lists: noted this run / in all (their images stay in the catalogue).
    gone: s.gone,
    gone_total: s.goneTotal,
    failed_by_reason: s.failedByReason,
    seconds: Math.round(s.seconds * 1000) / 1000,
    cancelled: s.cancelled,
    ...(s.fatal ? { fault: s.fatal.code } : {}),
  };
}

export function createDicomwebImportRunner(options: DicomwebImportJobOptions): JobRunner {
  return async ({ jobId, params, signal, report }) => {
    const p = parseDicomwebJobParams(params);
    const source = parseDicomwebUrl(p.url);
    const credentials = (options.credentials ?? (() => credentialsFromEnv()))(source);
    const client = createDicomwebClient({ ...options.client, source, credentials });
    const changes = libraryChangeBatcher(options.onLibraryChanged, options.libraryChangeIntervalMs);
    const s = await importDicomweb({
      client,
      query: { studyUid: p.study, since: p.since },
      jobId,
      catalogue: options.catalogue,
      reader: options.reader,
      thumbnailsDir: options.thumbnailsDir,
      cacheDir: options.cacheDir,
      limits: options.limits,
      concurrency: options.concurrency,
      signal,
      onProgress: (counts) => report(jobCounts(counts)),
      onImported: (folderId) => changes.imported(folderId),
    });
    changes.flush();
    if (s.fatal) {
      const done = `${s.imported} imported, ${s.skipped} already synced, ${s.duplicates} already in the catalogue, ${s.failed} failed before it stopped`;
      throw new JobFailure(`${s.fatal.message} (${done}.)`, dicomwebSummaryRecord(s), jobCounts(s), s.fatal.code);
    }
    const gone = s.gone > 0 ? `; ${s.gone} no longer on the archive (kept in the library)` : '';
    const message = `${s.imported} imported, ${s.skipped} already synced, ${s.duplicates} already in the catalogue, ${s.failed} failed${gone}`;
    return { summary: dicomwebSummaryRecord(s), counts: jobCounts(s), message, cancelled: s.cancelled };
  };
}
