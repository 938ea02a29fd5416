/**
 * Two processes on one data home: vectors another connection stores (as `simila embed` from a terminal
 * would while the app serves) reach the app's open HNSW index without a restart.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';
import { createDefaultRegistry } from '../../main/ingest/decoders/defaultRegistry';
import { createSearchEngine, type SearchEngine } from '../../main/search/searchEngine';
import { tempDir } from '../ingest/support/fixtures';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function addImageWithVector(catalogue: Catalogue, modelId: number, n: number): number {
  const folderId = catalogue.folders.ensure('/archive');
  const id = catalogue.images.insert({ hash: `hash-${n}`, width: 1, height: 1, format: 'png', byteSize: 1, meta: {} });
  catalogue.paths.upsert({ path: `/archive/${n}.png`, imageId: id, folderId, size: 1, mtimeMs: 1, seenByJob: null });
  const vector = Float32Array.from({ length: 4 }, (_, i) => (i === n % 4 ? 1 : 0.1 * n));
  catalogue.embeddings.putMany(modelId, [{ imageId: id, vector }]);
  return id;
}

describe('an open index and another process', () => {
  it('takes in vectors stored by another connection once the model revision moved', async () => {
    const t = tempDir('external-vectors');
    cleanups.push(() => t.cleanup());
    const file = path.join(t.dir, 'catalogue.sqlite');
    const app = openCatalogue(file);
    cleanups.push(() => app.close());
    const model = app.models.register({ name: 'm', stage: 'random', dir: 'm', embeddingDim: 4 });
    for (let n = 0; n < 3; n++) addImageWithVector(app, model.id, n);
    const lines: string[] = [];
    const engine: SearchEngine = createSearchEngine({
      catalogue: app,
      registry: createDefaultRegistry(),
      modelsDir: path.join(t.dir, 'models'),
      indexesDir: path.join(t.dir, 'indexes'),
      packageRoot: null,
      externalSyncMs: 0,
      log: (line) => lines.push(line),
    });
    cleanups.push(() => engine.close());
    expect((await engine.index(model)).size).toBe(3);

    // The "terminal" process: its own connection to the same file.
    const other = openCatalogue(file);
    const added = addImageWithVector(other, model.id, 3);
    other.close();

    // A request waits briefly for the catch-up (a long one goes on in the background): within a few requests at most.
    await expect.poll(async () => (await engine.index(model)).size, { timeout: 5000, interval: 10 }).toBe(4);
    const index = await engine.index(model);
    expect((await index.nearest([0, 0, 0, 1], 1))[0]?.id).toBe(added);
    expect(lines.join('\n')).toMatch(/took in 1 vectors/);

    // While a job of this process fills the index itself, the catch-up leaves it alone (it would insert the
    // job's stored batch a second time); once the job releases, the next request takes in what is missing.
    const release = engine.holdCatchUp(model);
    const third = openCatalogue(file);
    const late = addImageWithVector(third, model.id, 6);
    third.close();
    for (let i = 0; i < 5; i++) expect((await engine.index(model)).has(late)).toBe(false);
    release();
    await expect.poll(async () => (await engine.index(model)).has(late), { timeout: 5000, interval: 10 }).toBe(true);
  });
});
