/**
 * Export from the app: export.preview counts what a selection holds and what de-identification would
 * hold back, export.start writes into a new sub-folder of a folder named by a browser handle (never a
 * path from the renderer) as a job, and a second export beside the first overwrites nothing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticArchive } from '../../bench/series/syntheticSeries';
import { createApp } from '../../main/app/createApp';
import type { SimilaApp } from '../../main/app/types';
import { tempDir } from '../ingest/support/fixtures';

const ctx = { mode: 'browser' as const };
let work: ReturnType<typeof tempDir>;
let app: SimilaApp;
let outDir: string;

async function handleFor(folder: string): Promise<string> {
  const root = (await app.handlers['fs.roots']({}, ctx)).find((r) => r.name === 'File system');
  let handle = root!.handle;
  for (const part of folder.split(path.sep).filter(Boolean)) {
    const listing = await app.handlers['fs.browse']({ handle }, ctx);
    const next = listing.entries.find((e) => e.name === part);
    if (!next) throw new Error(`${part} not offered by the folder browser`);
    handle = next.handle;
  }
  return handle;
}

async function waitForJob(jobId: number) {
  for (;;) {
    const job = (await app.handlers['jobs.list']({}, ctx)).find((j) => j.jobId === jobId);
    if (job && ['done', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  work = tempDir('export-handlers');
  const archive = path.join(work.dir, 'archive');
  await writeSyntheticArchive(archive, { instances: 6, series: 2 });
  outDir = path.join(work.dir, 'out');
  mkdirSync(outDir);
  app = await createApp({ home: path.join(work.dir, 'home'), mode: 'browser', env: {}, decodeInProcess: true, shippedModelsRoot: null, progressThrottleMs: 0, resumeJobs: false });
  const { jobId } = await app.handlers['import.start']({ handle: await handleFor(archive) }, ctx);
  expect((await waitForJob(jobId)).state).toBe('done');
});
afterAll(async () => {
  await app?.close();
  work?.cleanup();
});

describe('export channels', () => {
  it('previews a selection and exports it de-identified into a new sub-folder, twice without overwriting', async () => {
    const preview = await app.handlers['export.preview']({ selection: { all: true } }, ctx);
    // The synthetic archive's modalities (seeded) include ultrasound, which burns text into pixels.
    const page = await app.handlers['library.facets']({}, ctx);
    const ultrasound = page.fields.modality.find((m) => m.value === 'US')?.count ?? 0;
    expect(preview).toEqual({ images: 6, dicom: 6, notDicom: 0, flaggedBurnedIn: ultrasound });
    const handle = await handleFor(outDir);
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const { jobId } = await app.handlers['export.start']({ handle, selection: { all: true }, deidentify: true, dateShiftDays: 30, includeBurnedIn: true }, ctx);
      const job = await waitForJob(jobId);
      expect(job.state).toBe('done');
      expect(job.message).toMatch(/Exported 6 of 6/);
      runs.push(job);
    }
    const folders = readdirSync(outDir);
    expect(folders).toHaveLength(2);
    for (const folder of folders) {
      const files = readdirSync(path.join(outDir, folder));
      expect(files.filter((f) => f.endsWith('.dcm'))).toHaveLength(6);
      const csv = readFileSync(path.join(outDir, folder, 'export.csv'), 'utf8');
      expect(csv).not.toContain('PAT0000'); // the synthetic Patient IDs
      expect(existsSync(path.join(outDir, folder, 'export-log.json'))).toBe(true);
    }
  });

  it('refuses a forged folder handle, an unknown list and options that need de-identification', async () => {
    await expect(app.handlers['export.start']({ handle: 'forged', selection: { all: true }, deidentify: false }, ctx)).rejects.toMatchObject({ code: 'not_found' });
    const handle = await handleFor(outDir);
    await expect(app.handlers['export.start']({ handle, selection: { listId: 999 }, deidentify: false }, ctx)).rejects.toMatchObject({ code: 'not_found' });
    await expect(app.handlers['export.start']({ handle, selection: { all: true }, deidentify: false, includeBurnedIn: true }, ctx)).rejects.toMatchObject({ code: 'bad_request' });
  });
});
