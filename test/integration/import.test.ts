/**
 * Real catalogue + import over ../shared/data: Caltech-101 (4,722 JPEGs) twice, the malformed
 * corpus file by file, and a small mixed folder. The data sets are read in place, never copied
 * into the repository (the mixed folder is assembled in a temp folder).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../../main/app/services';
import { IMPORT_JOB_KIND } from '../../main/ingest/importJob';
import { scanFolder } from '../../main/ingest/scanner';
import { dataRoot, tempDir } from '../ingest/support/fixtures';

const data = dataRoot();
const caltech = path.join(data, 'caltech101');
const malformed = path.join(data, 'malformed');
if (!existsSync(caltech) || !existsSync(malformed)) {
  throw new Error(`The data sets are missing at ${data}; set SIMILA_DATA to the shared data folder.`);
}

let work: ReturnType<typeof tempDir>;
let services: Services;
beforeAll(() => {
  work = tempDir('integration');
  services = openServices({ home: path.join(work.dir, 'home'), env: {} });
});
afterAll(async () => {
  await services.close();
  work.cleanup();
});

async function importRoot(root: string): Promise<{ jobId: number; summary: Record<string, unknown> }> {
  const jobId = services.jobs.enqueue(IMPORT_JOB_KIND, root, { root });
  const finished = await services.jobs.waitFor(jobId);
  expect(finished.state).toBe('done');
  return { jobId, summary: finished.summary! };
}

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for await (const f of scanFolder(root)) out.push(f.path);
  return out;
}

/** Every file ends catalogued (a path row) or failed with a reason code and a sentence in this job. */
function expectEveryFileAccountedFor(files: string[], jobId: number): { imported: number; failed: number } {
  const failures = new Map(services.catalogue.failures.listForJob(jobId, 100_000).map((f) => [f.path, f]));
  let imported = 0;
  for (const file of files) {
    const catalogued = services.catalogue.paths.find(file);
    const failure = failures.get(file);
    expect(Boolean(catalogued) !== Boolean(failure), `${file} must be either imported or failed`).toBe(true);
    if (failure) {
      expect(failure.code, file).toMatch(/^[a-z_]+$/);
      expect(failure.message.length, file).toBeGreaterThan(10);
    } else imported++;
  }
  return { imported, failed: failures.size };
}

describe('import integration', () => {
  it('imports Caltech-101 (4,722 images) and a second run imports nothing new', async () => {
    const started = performance.now();
    const first = await importRoot(caltech);
    const seconds = (performance.now() - started) / 1000;
    console.log(`caltech101: ${JSON.stringify(first.summary)} in ${seconds.toFixed(1)} s`);
    expect(first.summary).toMatchObject({ imported: 4722, duplicates: 0 });
    // Only the non-image files (provenance notes) fail, as unsupported content.
    for (const f of services.catalogue.failures.listForJob(first.jobId, 1000)) {
      expect(f.code).toBe('unsupported_format');
      expect(f.path).not.toMatch(/\.jpe?g$/i);
    }
    const images = services.catalogue.images.page(0, 5000);
    expect(images).toHaveLength(4722);
    expect(images.every((i) => i.format === 'jpeg' && i.width > 0 && i.height > 0)).toBe(true);
    expect(services.catalogue.folders.listWithCounts()).toHaveLength(101);

    const second = await importRoot(caltech);
    expect(second.summary).toMatchObject({ imported: 0, skipped: 4722, duplicates: 0, removed: 0 });
    expect(services.catalogue.images.countVisible()).toBe(4722);
  });

  it('accounts for every file of the malformed corpus, with no crash', async () => {
    const files = await filesUnder(malformed);
    expect(files.length).toBeGreaterThan(400);
    const { jobId, summary } = await importRoot(malformed);
    const { imported, failed } = expectEveryFileAccountedFor(files, jobId);
    expect(failed).toBeGreaterThan(100);
    expect(imported).toBeGreaterThan(100);
    expect((summary.imported as number) + (summary.duplicates as number) + (summary.failed as number)).toBe(files.length);
    expect(Object.keys(summary.failed_by_reason as object)).toEqual(expect.arrayContaining(['empty_file', 'truncated', 'decode_error', 'unsupported_format']));
  });

  it('imports a small mixed folder of good and broken files', async () => {
    const mixed = path.join(work.dir, 'mixed');
    mkdirSync(mixed);
    const classes = readdirSync(caltech).filter((c) => statSync(path.join(caltech, c)).isDirectory()).slice(0, 3);
    for (const c of classes) {
      for (const name of readdirSync(path.join(caltech, c)).slice(0, 2)) copyFileSync(path.join(caltech, c, name), path.join(mixed, `${c}-${name}`));
    }
    const broken = (await filesUnder(malformed)).filter((_, i) => i % 25 === 0);
    for (const [i, file] of broken.entries()) copyFileSync(file, path.join(mixed, `broken-${i}-${path.basename(file)}`));
    const files = await filesUnder(mixed);
    const { jobId, summary } = await importRoot(mixed);
    expectEveryFileAccountedFor(files, jobId);
    expect(summary.failed as number).toBeGreaterThan(0);
    // The Caltech copies were already catalogued: known content at new paths, not decoded again.
    expect(summary.duplicates as number).toBeGreaterThanOrEqual(6);
  });
});
