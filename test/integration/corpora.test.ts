/**
 * Every file of ../shared/data/malformed and ../shared/data/dicom ends imported or failed with a
 * reason code and a sentence (file by file), through the decode worker pool with a per-file time
 * limit: no crash, no hang. Prints the table of outcomes by reason code.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../../main/app/services';
import { IMPORT_JOB_KIND } from '../../main/ingest/importJob';
import { scanFolder } from '../../main/ingest/scanner';
import { dataRoot, tempDir } from '../ingest/support/fixtures';

const data = dataRoot();
let work: ReturnType<typeof tempDir>;
let services: Services;
beforeAll(() => {
  work = tempDir('corpora');
  services = openServices({ home: path.join(work.dir, 'home'), env: {}, limits: { timeoutSeconds: 20 } });
});
afterAll(async () => {
  await services.close();
  work.cleanup();
});

describe.each(['malformed', 'dicom'])('the %s corpus', (name) => {
  it('accounts for every file: imported, or failed with a reason and a sentence', async () => {
    const root = path.join(data, name);
    if (!existsSync(root)) throw new Error(`The data set is missing at ${root}; set SIMILA_DATA.`);
    const files: string[] = [];
    for await (const f of scanFolder(root)) files.push(f.path);
    const jobId = services.jobs.enqueue(IMPORT_JOB_KIND, root, { root });
    const finished = await services.jobs.waitFor(jobId);
    expect(finished.state).toBe('done');
    const failures = new Map(services.catalogue.failures.listForJob(jobId, 100_000).map((f) => [f.path, f]));
    const table: Record<string, number> = {};
    for (const file of files) {
      const catalogued = services.catalogue.paths.find(file);
      const failure = failures.get(file);
      expect(Boolean(catalogued) !== Boolean(failure), `${file} must be either imported or failed`).toBe(true);
      if (failure) {
        expect(failure.code, file).toMatch(/^[a-z_0-9]+$/);
        expect(failure.message.length, file).toBeGreaterThan(10);
        table[failure.code] = (table[failure.code] ?? 0) + 1;
      } else table.imported = (table.imported ?? 0) + 1;
    }
    console.log(`${name}: ${files.length} files ${JSON.stringify(table)} summary ${JSON.stringify(finished.summary)}`);
    expect(table.imported).toBeGreaterThan(files.length / 4);
    expect(table.decoder_crashed ?? 0).toBe(0);
    if (name === 'dicom') {
      const dicomImages = services.catalogue.db.prepare(`SELECT COUNT(*) AS n FROM images WHERE format = 'dicom'`).get() as { n: number };
      expect(dicomImages.n).toBeGreaterThan(200); // distinct contents: the corpus holds byte-identical copies (measured 215)
    }
  });
});
