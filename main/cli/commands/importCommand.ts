/**
 * `simila import <folder>`: imports a folder headless through the job queue and prints a summary.
 * `simila import dicomweb+http://HOST:PORT/PATH [--study UID | --since DATE]` syncs a DICOMweb archive
 * the same way (job kind 'import-dicomweb'; credentials only from the environment).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { openServices } from '../../app/services';
import type { JobRecord } from '../../catalogue/repositories/jobs';
import { IMPORT_JOB_KIND, isImportJobParams, type ImportJobParams } from '../../ingest/importJob';
import { DICOMWEB_IMPORT_JOB_KIND, dicomwebJobLabel, isDicomwebJobParams, parseDicomwebJobParams, type DicomwebImportJobParams } from '../../sources/dicomweb/importDicomwebJob';
import { isDicomwebUrl, redactUrl } from '../../sources/dicomweb/source';
import { createProgressLine } from '../progressLine';

export interface ImportCommandOptions {
  json?: boolean;
  home?: string;
  concurrency?: number;
  /** Archive only: one study, or studies on or after a date. */
  study?: string;
  since?: string;
}

type Target = { kind: typeof IMPORT_JOB_KIND; label: string; params: ImportJobParams } | { kind: typeof DICOMWEB_IMPORT_JOB_KIND; label: string; params: DicomwebImportJobParams };

function sameTarget(job: JobRecord, target: Target): boolean {
  if (job.kind !== target.kind) return false;
  if (target.kind === IMPORT_JOB_KIND) return isImportJobParams(job.params) && job.params.root === target.params.root;
  if (!isDicomwebJobParams(job.params)) return false;
  const p = job.params;
  return p.url === target.params.url && (p.study ?? null) === (target.params.study ?? null) && (p.since ?? null) === (target.params.since ?? null);
}

export async function runImportCommand(folder: string, options: ImportCommandOptions): Promise<number> {
  let target: Target;
  if (isDicomwebUrl(folder) || /^[a-z][a-z0-9+.-]*:\/\//i.test(folder)) {
    try {
      const params = parseDicomwebJobParams({ url: folder, study: options.study, since: options.since });
      target = { kind: DICOMWEB_IMPORT_JOB_KIND, label: dicomwebJobLabel(params), params };
    } catch (error) {
      // The refused URL is never echoed with its credentials.
      process.stderr.write(`simila: ${redactUrl((error as Error).message)}\n`);
      return 2;
    }
  } else {
    if (options.study || options.since) {
      process.stderr.write('simila: --study and --since apply to a DICOMweb archive (dicomweb+http://...), not to a folder.\n');
      return 2;
    }
    const root = path.resolve(folder);
    try {
      if (!statSync(root).isDirectory()) throw new Error('not a folder');
    } catch {
      process.stderr.write(`simila: ${root} is not a folder that can be read.\n`);
      return 2;
    }
    target = { kind: IMPORT_JOB_KIND, label: root, params: { root } };
  }
  const services = openServices({ home: options.home, importConcurrency: options.concurrency, resumeJobs: false });
  const progress = createProgressLine(process.stderr);
  const unsubscribe = services.onEvent((event, payload) => {
    if (event === 'job.progress') progress.update(payload as Parameters<typeof progress.update>[0]);
  });
  // An import of this folder (or archive) that was paused or cut short (the process was killed) goes on as the same job.
  const unfinished = [...services.catalogue.jobs.listInterrupted(), ...services.catalogue.jobs.listRecent(20).filter((j) => j.state === 'paused')]
    .filter((j) => sameTarget(j, target))
    .sort((a, b) => b.id - a.id)[0];
  let jobId: number;
  if (unfinished && services.jobs.resume(unfinished.id)) {
    jobId = unfinished.id;
    if (!options.json) process.stderr.write(`simila: resuming the unfinished import job ${jobId} of this ${target.kind === IMPORT_JOB_KIND ? 'folder' : 'archive'}.\n`);
  } else {
    jobId = services.jobs.enqueue(target.kind, target.label, target.params);
  }
  const stop = () => services.jobs.cancel(jobId);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const finished = await services.jobs.waitFor(jobId);
    progress.done();
    const s = finished.summary ?? {};
    if (options.json) {
      const { imported, skipped, failed, duplicates, moved, removed, failed_by_reason, seconds, studies, series, bytes, gone, gone_total } = s;
      const archive = target.kind === DICOMWEB_IMPORT_JOB_KIND ? { source: target.params.url, studies, series, bytes, gone, gone_total } : {};
      process.stdout.write(
        `${JSON.stringify({ imported, skipped, failed, duplicates, moved, removed, failed_by_reason, seconds, ...archive, job: jobId, state: finished.state, ...(finished.error ? { error: finished.error } : {}) })}\n`,
      );
    } else if (finished.state === 'failed') {
      process.stderr.write(`simila: the import failed: ${finished.error ?? 'unknown error'}\n`);
    } else {
      const reasons = Object.entries((s.failed_by_reason as Record<string, number> | undefined) ?? {})
        .map(([code, n]) => `${code} ${n}`)
        .join(', ');
      process.stdout.write(
        `${finished.state === 'cancelled' ? 'Cancelled: ' : ''}${String(s.imported)} imported, ${String(s.skipped)} unchanged, ` +
          `${String(s.duplicates)} duplicates, ${String(s.moved)} moved, ${String(s.failed)} failed${reasons ? ` (${reasons})` : ''} in ${String(s.seconds)} s\n`,
      );
      // Instances deleted on the archive are noted, never removed here: their images (and marks) stay.
      if (target.kind === DICOMWEB_IMPORT_JOB_KIND && typeof s.gone === 'number' && typeof s.gone_total === 'number' && s.gone_total > 0) {
        process.stdout.write(`${s.gone} instance(s) newly found no longer on the archive (${s.gone_total} in all); their images stay in the library.\n`);
      }
    }
    return finished.state === 'done' ? 0 : finished.state === 'cancelled' ? 130 : 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    unsubscribe();
    await services.close();
  }
}
