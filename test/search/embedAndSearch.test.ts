import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../main/app/services';
import { HnswIndex } from '../../main/index/hnswIndex';
import { indexPaths } from '../../main/index/indexFiles';
import { SearchError } from '../../main/search/searchService';
import { copyClasses, importFolder, installTinyModel, openTestServices, tempDir } from './searchFixture';

const CLASSES = ['CXR', 'Hand', 'HeadCT'];
const PER_CLASS = 8;
const TOTAL = CLASSES.length * PER_CLASS;

describe('embedding job and search (tiny random model: mechanics)', () => {
  let work: ReturnType<typeof tempDir>;
  let services: Services;
  let archive: string;
  let modelId: number;

  beforeAll(async () => {
    work = tempDir('search');
    archive = copyClasses(work.dir, CLASSES, PER_CLASS);
    services = openTestServices(path.join(work.dir, 'home'), { batch: 4 });
    await importFolder(services, archive);
  }, 60_000);
  afterAll(async () => {
    await services?.close();
    work?.cleanup();
  });

  it('answers unsupported with a clear sentence while no trained model is installed', async () => {
    expect(await services.startEmbedding()).toBeNull();
    const error = await services.search.byImage(1, 5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SearchError);
    expect((error as SearchError).code).toBe('unsupported');
    expect((error as SearchError).message).toMatch(/No trained model is installed/);
  });

  it('stops when cancelled and a second job embeds only the rest', async () => {
    modelId = await installTinyModel(services);
    const first = (await services.startEmbedding())!;
    // Cancel as soon as some (not all) vectors are committed.
    await new Promise<void>((resolve) => {
      const off = services.onEvent((event, payload) => {
        if (event === 'job.progress' && 'imported' in payload && payload.jobId === first && payload.imported > 0) {
          services.jobs.cancel(first);
          off();
          resolve();
        }
      });
    });
    const stopped = await services.jobs.waitFor(first);
    expect(stopped.state).toBe('cancelled');
    const partial = services.catalogue.embeddings.count(modelId);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(TOTAL);

    const second = (await services.startEmbedding())!;
    expect(second).not.toBe(first);
    const finished = await services.jobs.waitFor(second);
    expect(finished.state).toBe('done');
    expect(finished.summary).toMatchObject({ embedded: TOTAL - partial, failed: 0 });
    expect(services.catalogue.embeddings.count(modelId)).toBe(TOTAL);
    expect(services.catalogue.embeddings.countMissing(modelId)).toBe(0);
    // The index file was saved and holds every vector.
    const saved = await HnswIndex.read(indexPaths(services.layout.indexes, modelId).index, 64 / 8, { m: 16, efConstruction: 128, ef: 128 });
    expect(saved.size).toBe(TOTAL);
  }, 120_000);

  it('ranks k archive images nearest first, without the query itself', async () => {
    const response = await services.search.byImage(1, 10);
    expect(response.model).toMatchObject({ id: modelId, name: 'tiny-7', active: true, embeddingDim: 8, inputSize: 16 });
    expect(response.embedded).toBe(TOTAL);
    expect(response.total).toBe(TOTAL);
    expect(response.query).toMatchObject({ imageId: 1 });
    expect(response.hits).toHaveLength(10);
    expect(response.hits.map((h) => h.image.id)).not.toContain(1);
    const distances = response.hits.map((h) => h.distance);
    expect([...distances].sort((a, b) => a - b)).toEqual(distances);
    // Distances are Euclidean between the stored (normalised) vectors.
    const q = services.catalogue.embeddings.get(modelId, 1)!;
    const hit = response.hits[3]!;
    const v = services.catalogue.embeddings.get(modelId, hit.image.id)!;
    const expected = Math.sqrt(q.reduce((sum, x, i) => sum + (x - v[i]!) ** 2, 0));
    expect(hit.distance).toBeCloseTo(expected, 4);
  });

  it('searching with the bytes of an archive file finds that image at distance ~0, then what byImage finds', async () => {
    const image = services.catalogue.paths.listForImage(5)[0]!;
    const upload = await services.search.byBytes('query.jpeg', readFileSync(image.path), 6);
    expect(upload.query).toEqual({ imageId: null, name: 'query.jpeg' });
    expect(upload.hits[0]!.image.id).toBe(5);
    expect(upload.hits[0]!.distance).toBeLessThan(1e-3);
    const byId = await services.search.byImage(5, 5);
    expect(upload.hits.slice(1).map((h) => h.image.id)).toEqual(byId.hits.map((h) => h.image.id));
  });

  it('replaces an embedder whose worker stopped on the next request, and searching by bytes works again', async () => {
    const model = services.catalogue.models.get(modelId)!;
    const first = await services.engine.embedder(model);
    expect(first.alive).toBe(true);
    expect(await services.engine.embedder(model)).toBe(first); // a live one is reused
    await first.close(); // what a crashed worker leaves: an embedder that answers only errors
    expect(first.alive).toBe(false);
    await expect(first.embedInputs(new Float32Array(16 * 16), 1)).rejects.toThrow(/closed/);
    const second = await services.engine.embedder(model);
    expect(second).not.toBe(first);
    expect(second.alive).toBe(true);
    const image = services.catalogue.paths.listForImage(5)[0]!;
    const upload = await services.search.byBytes('query.jpeg', readFileSync(image.path), 3);
    expect(upload.hits[0]!.image.id).toBe(5);
  });

  it('filters by label (folder name), folder and modality', async () => {
    const byLabel = await services.search.byImage(1, 20, { label: 'Hand' });
    expect(byLabel.hits).toHaveLength(PER_CLASS - (isIn(services, 1, 'Hand') ? 1 : 0));
    for (const hit of byLabel.hits) expect(isIn(services, hit.image.id, 'Hand')).toBe(true);

    const folder = services.catalogue.folders.listWithCounts().find((f) => path.basename(f.path) === 'HeadCT')!;
    const byFolder = await services.search.byImage(1, 3, { folderId: folder.id });
    expect(byFolder.hits).toHaveLength(3);
    for (const hit of byFolder.hits) expect(hit.image.folderId).toBe(folder.id);

    // JPEGs carry no modality: a modality filter leaves nothing; an unknown label neither.
    expect((await services.search.byImage(1, 5, { modality: 'CT' })).hits).toEqual([]);
    expect((await services.search.byImage(1, 5, { label: 'nope' })).hits).toEqual([]);
  });

  it('rejects bytes that are no image and ids that do not exist, as values', async () => {
    await expect(services.search.byBytes('x.txt', Buffer.from('hello, not an image'), 5)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(services.search.byImage(99_999, 5)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('leaves images that lost all their paths out of the results', async () => {
    const gone = (await services.search.byImage(1, 1)).hits[0]!.image.id;
    const where = services.catalogue.paths.listForImage(gone);
    for (const p of where) services.catalogue.paths.remove(p.path);
    const after = await services.search.byImage(1, TOTAL);
    expect(after.hits.map((h) => h.image.id)).not.toContain(gone);
    expect(after.hits).toHaveLength(TOTAL - 2);
  });
});

function isIn(services: Services, imageId: number, folderName: string): boolean {
  return services.catalogue.paths.listForImage(imageId).some((p) => path.basename(path.dirname(p.path)) === folderName);
}
