/**
 * Imports (syncs) a DICOMweb archive into the catalogue: QIDO-RS finds the studies (optionally one
 * study, or those on or after a date), their series and instances; WADO-RS fetches each instance not
 * yet settled; the bytes are cached under the data home (`<home>/sources/dicomweb/<source>/<study>/
 * <series>/<sop>.dcm`, written atomically) and go through the same reader as folder files (the decode
 * worker pool: hash, then decode only new content) and the same identity rule: content already in the
 * catalogue (e.g. imported from a folder) is the same image and only gains the cached path.
 *
 * The cached file is the image's catalogue path, so thumbnails, the viewer, embedding, export and
 * `check` work for archive images exactly as for folder images, without the archive being reachable.
 * Each instance's source identity (source URL without credentials + study/series/SOP UIDs) is kept
 * in `dicomweb_instances`.
 *
 * Incremental and resumable: an instance is recorded as settled in the same transaction that
 * catalogues it, so a sync killed at any point fetches again only what was not settled; a study or
 * series whose instance count on the server equals the settled count is not even listed again.
 * Bounded concurrency (instances in flight at once; each fetch retries with back-off, see client.ts).
 * A server that cannot be reached or refuses the credentials stops the sync with a sentence; an
 * instance that fails alone is recorded with a reason and the sync goes on.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { placeImage } from '../../catalogue/hierarchyPlacement';
import type { Catalogue } from '../../catalogue/catalogue';
import type { ContentReader, FileContent } from '../../ingest/contentReader';
import { DEFAULT_LIMITS, type DecodeLimits } from '../../ingest/decoders/types';
import { asResourceFault, ResourceFaultError } from '../../ingest/fsErrors';
import { DEFAULT_MAX_FILE_BYTES, defaultImportConcurrency, type ImportCounts } from '../../ingest/importer';
import { thumbnailPath, writeFileAtomic } from '../../ingest/thumbnails';
import { DicomwebError, TAG, tagNumber, tagString, type DicomJson, type DicomwebClient, type StudyQuery } from './client';
import { instanceIdentity, isDicomUid } from './source';
import { createSyncState } from './syncState';

export interface DicomwebImportOptions {
  client: DicomwebClient;
  query: StudyQuery;
  jobId: number;
  catalogue: Catalogue;
  reader: ContentReader;
  thumbnailsDir: string;
  /** Where fetched instances are cached: <home>/sources/dicomweb. */
  cacheDir: string;
  limits?: Partial<DecodeLimits>;
  /** Instances fetched and decoded at once. */
  concurrency?: number;
  maxFileBytes?: number;
  signal?: AbortSignal;
  onProgress?: (counts: Readonly<DicomwebImportCounts>) => void;
  onImported?: (folderId: number) => void;
}

export interface DicomwebImportCounts extends ImportCounts {
  studies: number;
  series: number;
  /** Bytes fetched over WADO-RS in this run. */
  bytes: number;
  /**
   * Settled instances this run found the archive no longer lists (in a study or series it listed again, or
   * a whole study gone from an unfiltered listing): noted in the sync state, their images kept.
   */
  gone: number;
}

export interface DicomwebImportSummary extends DicomwebImportCounts {
  failedByReason: Record<string, number>;
  cancelled: boolean;
  /** What stopped the sync early (server unreachable, credentials refused, disk full); null when none. */
  fatal: { code: string; message: string } | null;
  sourceId: number;
  /** All settled instances of this source the archive no longer lists, this run's included. */
  goneTotal: number;
  seconds: number;
}

interface Work {
  study: string;
  series: string;
  sop: string;
}

type Outcome = 'imported' | 'duplicate' | 'failed';
type ContentResult = { imageId: number } | { code: string; message: string };

/** A safe folder name for the source: host_port-id (UIDs are checked before they name anything). */
function sourceFolder(host: string, port: number, id: number): string {
  return `${host.replace(/[^A-Za-z0-9.-]/g, '_')}_${port}-${id}`;
}

export async function importDicomweb(options: DicomwebImportOptions): Promise<DicomwebImportSummary> {
  const started = performance.now();
  const { client, catalogue, jobId, signal } = options;
  const limits: DecodeLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const state = createSyncState(catalogue.db);
  const sourceId = state.ensureSource(client.source.url);
  state.markStarted(sourceId, jobId);
  const root = path.join(options.cacheDir, sourceFolder(client.source.host, client.source.port, sourceId));
  const counts: DicomwebImportCounts = { total: null, done: 0, imported: 0, skipped: 0, failed: 0, duplicates: 0, moved: 0, removed: 0, studies: 0, series: 0, bytes: 0, gone: 0 };
  const folderIds = new Map<string, number>();
  const inFlight = new Map<string, Promise<ContentResult>>();
  let fatal: { code: string; message: string } | null = null;
  const stopped = () => !!fatal || !!signal?.aborted;
  const progress = () => options.onProgress?.(counts);

  const stopWith = (error: unknown): boolean => {
    if (error instanceof DicomwebError && error.fatal) {
      if (error.code !== 'cancelled') fatal ??= { code: `dicomweb_${error.code}`, message: error.message };
      return true;
    }
    const fault = asResourceFault(error, 'a fetched instance could not be stored', 'Free some space (or make the data home writable) and sync again: what was imported is kept.');
    if (fault instanceof ResourceFaultError) {
      fatal ??= { code: fault.code, message: fault.message };
      return true;
    }
    return false;
  };
  const folderIdFor = (dir: string): number => {
    let id = folderIds.get(dir);
    if (id === undefined) {
      id = catalogue.folders.ensure(dir);
      folderIds.set(dir, id);
    }
    return id;
  };
  const recordFailure = (where: string, code: string, message: string) => {
    catalogue.failures.record(jobId, where, code, message);
  };

  // Enumeration: studies -> series -> instances, skipping whatever the catalogue already settled.
  let enumerated = false;
  let remoteTotal = 0;
  // A study, series or instance the server lists twice (Orthanc does when one Study Instance UID is
  // filed under two patients) is gone through once.
  const seenStudies = new Set<string>();
  const seenSeries = new Set<string>();
  const seenInstances = new Set<string>();
  /** Instance counts the server gives per UID, summed over the entries that list the same UID. */
  const totals = (items: DicomJson[], uidTag: string, countTag: string): Map<string, number | null> => {
    const sums = new Map<string, number | null>();
    for (const item of items) {
      const uid = tagString(item, uidTag);
      if (uid === null) continue;
      const n = tagNumber(item, countTag);
      const before = sums.get(uid);
      sums.set(uid, n === null || before === null ? null : (before ?? 0) + n);
    }
    return sums;
  };
  // A study or series is listed again unless the present settled instances are exactly what the server
  // counts: fewer means new instances, more means some were deleted on the server (noted as gone).
  const upToDate = (local: number, remote: number | null | undefined): remote is number => remote !== null && remote !== undefined && remote > 0 && local === remote;
  async function* enumerate(): AsyncGenerator<Work> {
    const studies = await client.studies(options.query, signal);
    const studyTotals = totals(studies, TAG.studyUid, TAG.studyInstances);
    // Instances deleted on the server: what an unfiltered listing no longer names, or the one study asked for.
    if (!options.query.studyUid && !options.query.since) {
      counts.gone += state.reconcileArchive(sourceId, new Set([...studyTotals.keys()].filter((uid) => isDicomUid(uid))), jobId);
    } else if (options.query.studyUid && !studyTotals.has(options.query.studyUid)) {
      counts.gone += state.markStudyGone(sourceId, options.query.studyUid, jobId);
    }
    for (const study of studies) {
      if (stopped()) return;
      const studyUid = tagString(study, TAG.studyUid);
      if (studyUid !== null && seenStudies.has(studyUid)) continue;
      if (studyUid !== null) seenStudies.add(studyUid);
      if (!isDicomUid(studyUid)) {
        counts.failed++;
        recordFailure(`${client.source.url} study ${String(studyUid).slice(0, 80)}`, 'bad_uid', 'The server listed a study without a valid Study Instance UID; it was left out.');
        continue;
      }
      counts.studies++;
      const studyCount = studyTotals.get(studyUid);
      if (upToDate(state.countInStudy(sourceId, studyUid), studyCount)) {
        remoteTotal += studyCount;
        counts.skipped += studyCount;
        counts.done += studyCount;
        progress();
        continue;
      }
      let seriesList;
      try {
        seriesList = await client.series(studyUid, signal);
      } catch (error) {
        if (stopWith(error)) return;
        counts.failed++;
        recordFailure(`${client.source.url} study ${studyUid}`, 'dicomweb_error', (error as Error).message);
        continue;
      }
      const seriesTotals = totals(seriesList, TAG.seriesUid, TAG.seriesInstances);
      counts.gone += state.reconcileStudy(sourceId, studyUid, new Set(seriesTotals.keys()), jobId);
      for (const series of seriesList) {
        if (stopped()) return;
        const seriesUid = tagString(series, TAG.seriesUid);
        if (seriesUid !== null && seenSeries.has(seriesUid)) continue;
        if (seriesUid !== null) seenSeries.add(seriesUid);
        if (!isDicomUid(seriesUid)) {
          counts.failed++;
          recordFailure(`${client.source.url} study ${studyUid} series ${String(seriesUid).slice(0, 80)}`, 'bad_uid', 'The server listed a series without a valid Series Instance UID; it was left out.');
          continue;
        }
        counts.series++;
        const seriesCount = seriesTotals.get(seriesUid);
        if (upToDate(state.countInSeries(sourceId, seriesUid), seriesCount)) {
          remoteTotal += seriesCount;
          counts.skipped += seriesCount;
          counts.done += seriesCount;
          progress();
          continue;
        }
        let instances;
        try {
          instances = await client.instances(studyUid, seriesUid, signal);
        } catch (error) {
          if (stopWith(error)) return;
          counts.failed++;
          recordFailure(`${client.source.url} series ${seriesUid}`, 'dicomweb_error', (error as Error).message);
          continue;
        }
        const settled = state.settledInSeries(sourceId, seriesUid);
        const listed = new Set(instances.map((i) => tagString(i, TAG.sopUid)).filter((uid): uid is string => isDicomUid(uid)));
        counts.gone += state.reconcileSeries(sourceId, seriesUid, listed, jobId);
        for (const instance of instances) {
          const sop = tagString(instance, TAG.sopUid);
          if (!isDicomUid(sop)) {
            counts.done++;
            counts.failed++;
            recordFailure(`${client.source.url} series ${seriesUid} instance ${String(sop).slice(0, 80)}`, 'bad_uid', 'The server listed an instance without a valid SOP Instance UID; it was left out.');
            continue;
          }
          if (seenInstances.has(sop)) continue;
          seenInstances.add(sop);
          remoteTotal++;
          if (settled.has(sop)) {
            counts.done++;
            counts.skipped++;
            continue;
          }
          yield { study: studyUid, series: seriesUid, sop };
        }
        progress();
      }
    }
    enumerated = true;
  }

  /** Decodes new content and catalogues it with the cached path; settles the instance in the same commit. */
  const catalogueContent = async (work: Work, file: string, stat: { size: number; mtimeMs: number }, content: FileContent, hash: string, byteSize: number, folderId: number): Promise<ContentResult> => {
    const thumbnailFile = thumbnailPath(options.thumbnailsDir, hash);
    const result = await content.decode(limits, thumbnailFile);
    content.release();
    if (!result.ok) return { code: result.code, message: result.message };
    if (result.image.thumbnailFile !== thumbnailFile) await writeFileAtomic(thumbnailFile, result.image.thumbnail);
    const { width, height, format } = result.image;
    const { patient_digest: _digest, ...meta } = result.image.meta;
    const placement = placeImage(result.image.meta, format, { id: folderId, path: path.dirname(file) });
    const imageId = catalogue.transaction(() => {
      const id = catalogue.images.insert({ hash, width, height, format, byteSize, meta });
      catalogue.hierarchy.file(id, placement);
      catalogue.paths.upsert({ path: file, imageId: id, folderId, size: stat.size, mtimeMs: stat.mtimeMs, seenByJob: jobId });
      state.settle({ sourceId, sopUid: work.sop, studyUid: work.study, seriesUid: work.series, imageId: id, path: file, failureCode: null, jobId });
      return id;
    });
    return { imageId };
  };

  const processInstance = async (work: Work): Promise<Outcome> => {
    const identity = instanceIdentity(client.source, work.study, work.series, work.sop);
    const settleFailure = (code: string, message: string): 'failed' => {
      catalogue.transaction(() => {
        recordFailure(identity, code, message);
        state.settle({ sourceId, sopUid: work.sop, studyUid: work.study, seriesUid: work.series, imageId: null, path: null, failureCode: code, jobId });
      });
      return 'failed';
    };
    let bytes: Buffer;
    try {
      bytes = await client.retrieveInstance(work.study, work.series, work.sop, signal);
    } catch (error) {
      if (stopWith(error)) throw error;
      // Not settled: the next sync tries this instance again.
      recordFailure(identity, error instanceof DicomwebError ? `dicomweb_${error.code}` : 'dicomweb_error', (error as Error).message);
      return 'failed';
    }
    counts.bytes += bytes.length;
    if (bytes.length === 0) return settleFailure('empty_file', 'The archive returned an empty instance (0 bytes).');
    if (bytes.length > maxFileBytes) return settleFailure('too_large', `The instance is ${bytes.length} bytes, more than the ${maxFileBytes}-byte limit.`);
    const file = path.join(root, work.study, work.series, `${work.sop}.dcm`);
    await writeFileAtomic(file, bytes);
    const stat = await fs.stat(file);
    bytes = Buffer.alloc(0); // the reader reads the cached file (in its own process)
    const folderId = folderIdFor(path.dirname(file));
    const content = await options.reader.open({ path: file, size: stat.size, mtimeMs: stat.mtimeMs }, maxFileBytes);
    const failed = async (code: string, message: string): Promise<'failed'> => {
      await fs.rm(file, { force: true });
      return settleFailure(code, message);
    };
    try {
      const hashed = await content.hash();
      if (!hashed.ok) return await failed(hashed.code, hashed.message);
      const { hash, size: byteSize } = hashed;
      const addPath = (imageId: number): Outcome => {
        catalogue.transaction(() => {
          catalogue.paths.upsert({ path: file, imageId, folderId, size: stat.size, mtimeMs: stat.mtimeMs, seenByJob: jobId });
          state.settle({ sourceId, sopUid: work.sop, studyUid: work.study, seriesUid: work.series, imageId, path: file, failureCode: null, jobId });
        });
        return 'duplicate';
      };
      const known = catalogue.images.findByHash(hash);
      if (known) return addPath(known.id);
      const pending = inFlight.get(hash);
      if (pending) {
        content.release();
        const result = await pending;
        return 'imageId' in result ? addPath(result.imageId) : await failed(result.code, result.message);
      }
      const job = catalogueContent(work, file, stat, content, hash, byteSize, folderId);
      inFlight.set(hash, job);
      try {
        const result = await job;
        if (!('imageId' in result)) return await failed(result.code, result.message);
        options.onImported?.(folderId);
        return 'imported';
      } finally {
        inFlight.delete(hash);
      }
    } finally {
      content.release();
    }
  };

  const items = enumerate();
  const worker = async () => {
    for (;;) {
      if (stopped()) return;
      let next: IteratorResult<Work>;
      try {
        next = await items.next();
      } catch (error) {
        if (!stopWith(error)) fatal ??= { code: 'dicomweb_error', message: (error as Error).message };
        return;
      }
      if (next.done) return;
      let outcome: Outcome;
      try {
        outcome = await processInstance(next.value);
      } catch (error) {
        if (stopWith(error)) return;
        recordFailure(instanceIdentity(client.source, next.value.study, next.value.series, next.value.sop), 'internal', `Unexpected error: ${String(error)}`);
        outcome = 'failed';
      }
      counts.done++;
      if (outcome === 'imported') counts.imported++;
      else if (outcome === 'duplicate') counts.duplicates++;
      else counts.failed++;
      progress();
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? defaultImportConcurrency());
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cancelled = signal?.aborted ?? false;
  if (enumerated && !fatal && !cancelled) {
    counts.total = Math.max(remoteTotal, counts.done);
    state.markFinished(sourceId);
  }
  progress();
  return {
    ...counts,
    failedByReason: catalogue.failures.countByCode(jobId),
    cancelled,
    fatal,
    sourceId,
    goneTotal: state.countGone(sourceId),
    seconds: (performance.now() - started) / 1000,
  };
}
