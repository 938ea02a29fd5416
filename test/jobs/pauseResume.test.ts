// Pause stops an import where it is (state 'paused', also after a restart); resume goes on without
// decoding the files done before the pause, and every file ends catalogued once.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobProgress } from '../../shared/rpc/contract';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';
import { createInProcessReader, type ContentReader } from '../../main/ingest/contentReader';
import { createDefaultRegistry } from '../../main/ingest/decoders/defaultRegistry';
import { createImportRunner, IMPORT_JOB_KIND } from '../../main/ingest/importJob';
import { createJobQueue, type JobQueue } from '../../main/jobs/jobQueue';
import { makeImage, tempDir } from '../ingest/support/fixtures';

const FILES = 60;
let work: ReturnType<typeof tempDir>;
let catalogue: Catalogue;
let archive: string;
let decodes = 0;

function countingReader(): ContentReader {
  const inner = createInProcessReader(createDefaultRegistry());
  return {
    async open(file, max) {
      const content = await inner.open(file, max);
      return { hash: () => content.hash(), decode: (l) => (decodes++, content.decode(l)), release: () => content.release() };
    },
    close: () => inner.close(),
  };
}

function queue(onProgress: (p: JobProgress) => void = () => undefined): JobQueue {
  const runner = createImportRunner({ catalogue, registry: createDefaultRegistry(), reader: countingReader(), thumbnailsDir: path.join(work.dir, 'thumbs'), concurrency: 1 });
  return createJobQueue({ catalogue, runners: { [IMPORT_JOB_KIND]: runner }, onProgress, throttleMs: 0 });
}

beforeEach(async () => {
  work = tempDir('pause');
  archive = path.join(work.dir, 'archive');
  mkdirSync(archive);
  for (let i = 0; i < FILES; i++) writeFileSync(path.join(archive, `f${String(i).padStart(3, '0')}.png`), await makeImage('png', 64, 64, i + 1));
  catalogue = openCatalogue(path.join(work.dir, 'catalogue.sqlite'));
  decodes = 0;
});
afterEach(() => {
  catalogue.close();
  work.cleanup();
});

describe('pause and resume', () => {
  it('pauses part-way, stays paused across a restart, and resumes to a complete catalogue', async () => {
    let jobs!: JobQueue;
    let paused = false;
    jobs = queue((p) => {
      if (!paused && p.state === 'running' && p.done >= 10) {
        paused = true;
        expect(jobs.pause(p.jobId)).toBe(true);
      }
    });
    const jobId = jobs.enqueue(IMPORT_JOB_KIND, archive, { root: archive });
    await expect.poll(() => catalogue.jobs.get(jobId)?.state, { timeout: 10_000 }).toBe('paused');
    const before = catalogue.images.countVisible();
    expect(before).toBeGreaterThanOrEqual(10);
    expect(before).toBeLessThan(FILES);
    expect(jobs.list().find((j) => j.jobId === jobId)?.state).toBe('paused');
    await jobs.close();

    // A new process: the paused job is not resumed by itself, only on request.
    const decodedBefore = decodes;
    const again = queue();
    expect(again.resumeInterrupted()).not.toContain(jobId);
    expect(again.resume(jobId)).toBe(true);
    expect(again.resume(jobId)).toBe(false); // already queued
    const finished = await again.waitFor(jobId);
    expect(finished.state).toBe('done');
    expect(decodes - decodedBefore).toBe(FILES - before); // files done before the pause are not decoded again
    expect(catalogue.images.countVisible()).toBe(FILES);
    const rows = catalogue.db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT path) AS d FROM image_paths').get() as { n: number; d: number };
    expect(rows).toEqual({ n: FILES, d: FILES });
    await again.close();
  });

  it('cancels a paused job, and refuses to pause or resume finished ones', async () => {
    const jobs = queue();
    const jobId = jobs.enqueue(IMPORT_JOB_KIND, archive, { root: archive });
    expect(jobs.pause(jobId)).toBe(true);
    await expect.poll(() => catalogue.jobs.get(jobId)?.state, { timeout: 10_000 }).toBe('paused');
    expect(jobs.cancel(jobId)).toBe(true);
    expect(catalogue.jobs.get(jobId)?.state).toBe('cancelled');
    expect(jobs.resume(jobId)).toBe(false);
    expect(jobs.pause(jobId)).toBe(false);
    await jobs.close();
  });
});
