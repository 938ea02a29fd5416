/** `simila import <folder>`: imports a folder headless through the job queue and prints a summary. */
import { statSync } from 'node:fs';
import path from 'node:path';
import { openServices } from '../../app/services';
import { IMPORT_JOB_KIND, isImportJobParams, type ImportJobParams } from '../../ingest/importJob';
import { createProgressLine } from '../progressLine';

export interface ImportCommandOptions {
  json?: boolean;
  home?: string;
  concurrency?: number;
}

export async function runImportCommand(folder: string, options: ImportCommandOptions): Promise<number> {
  const root = path.resolve(folder);
  try {
    if (!statSync(root).isDirectory()) throw new Error('not a folder');
  } catch {
    process.stderr.write(`simila: ${root} is not a folder that can be read.\n`);
    return 2;
  }
  const services = openServices({ home: options.home, importConcurrency: options.concurrency, resumeJobs: false });
  const progress = createProgressLine(process.stderr);
  const unsubscribe = services.onEvent((event, payload) => {
    if (event === 'job.progress') progress.update(payload as Parameters<typeof progress.update>[0]);
  });
  const params: ImportJobParams = { root };
  // An import of this folder that was paused or cut short (the process was killed) goes on as the same job.
  const unfinished = [...services.catalogue.jobs.listInterrupted(), ...services.catalogue.jobs.listRecent(20).filter((j) => j.state === 'paused')]
    .filter((j) => j.kind === IMPORT_JOB_KIND && isImportJobParams(j.params) && j.params.root === root)
    .sort((a, b) => b.id - a.id)[0];
  let jobId: number;
  if (unfinished && services.jobs.resume(unfinished.id)) {
    jobId = unfinished.id;
    if (!options.json) process.stderr.write(`simila: resuming the unfinished import job ${jobId} of this folder.\n`);
  } else {
    jobId = services.jobs.enqueue(IMPORT_JOB_KIND, root, params);
  }
  const stop = () => services.jobs.cancel(jobId);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const finished = await services.jobs.waitFor(jobId);
    progress.done();
    const s = finished.summary ?? {};
    if (options.json) {
      const { imported, skipped, failed, duplicates, moved, removed, failed_by_reason, seconds } = s;
      process.stdout.write(
        `${JSON.stringify({ imported, skipped, failed, duplicates, moved, removed, failed_by_reason, seconds, job: jobId, state: finished.state, ...(finished.error ? { error: finished.error } : {}) })}\n`,
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
    }
    return finished.state === 'done' ? 0 : finished.state === 'cancelled' ? 130 : 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    unsubscribe();
    await services.close();
  }
}
