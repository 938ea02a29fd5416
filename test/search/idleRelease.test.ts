/**
 * Profiles other than the active one give their index and vectors back to the system once unused for a
 * while (issue 12: at a million images an adaptation otherwise kept its parent's ~0.75 GB for good), and
 * come back, the same, when an old list needs them.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';
import { createDefaultRegistry } from '../../main/ingest/decoders/defaultRegistry';
import { createSearchEngine } from '../../main/search/searchEngine';
import { tempDir } from '../ingest/support/fixtures';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function addImages(catalogue: Catalogue, modelIds: number[], count: number): void {
  const folderId = catalogue.folders.ensure('/archive');
  for (let n = 0; n < count; n++) {
    const id = catalogue.images.insert({ hash: `hash-${n}`, width: 1, height: 1, format: 'png', byteSize: 1, meta: {} });
    catalogue.paths.upsert({ path: `/archive/${n}.png`, imageId: id, folderId, size: 1, mtimeMs: 1, seenByJob: null });
    for (const modelId of modelIds) {
      const vector = Float32Array.from({ length: 4 }, (_, i) => Math.sin(n * (i + 1) + modelId));
      catalogue.embeddings.putMany(modelId, [{ imageId: id, vector }]);
    }
  }
}

function setUp(idleReleaseMs: number) {
  const t = tempDir('idle-release');
  cleanups.push(() => t.cleanup());
  const catalogue = openCatalogue(path.join(t.dir, 'catalogue.sqlite'));
  cleanups.push(() => catalogue.close());
  const parent = catalogue.models.register({ name: 'parent', stage: 'random', dir: 'parent', embeddingDim: 4 });
  const adapted = catalogue.models.register({ name: 'adapted', stage: 'random', dir: 'adapted', embeddingDim: 4 });
  addImages(catalogue, [parent.id, adapted.id], 40);
  catalogue.models.setActive(adapted.id);
  const lines: string[] = [];
  const engine = createSearchEngine({
    catalogue,
    registry: createDefaultRegistry(),
    modelsDir: path.join(t.dir, 'models'),
    indexesDir: path.join(t.dir, 'indexes'),
    packageRoot: null,
    idleReleaseMs,
    log: (line) => lines.push(line),
  });
  cleanups.push(() => engine.close());
  return { engine, catalogue, parent, adapted, lines };
}

const query = [0.3, -0.2, 0.9, 0.1];

describe('idle profiles released from memory', () => {
  it('releases an unused inactive profile, keeps the active one, and reopens the same index on demand', async () => {
    const { engine, parent, adapted, lines } = setUp(60_000);
    const parentIndex = await engine.index(parent);
    const adaptedIndex = await engine.index(adapted);
    await engine.vectorsReady(parent);
    await engine.vectorsReady(adapted);
    const before = await parentIndex.nearest(query, 5);
    expect(before).toHaveLength(5);

    // Used just now: nothing goes.
    expect(engine.releaseIdle()).toEqual([]);
    expect(engine.vectors(parent)).not.toBeNull();

    // A minute and more later: the parent goes, the active profile stays.
    const later = performance.now() + 61_000;
    expect(engine.releaseIdle(later)).toEqual([parent.id]);
    expect(parentIndex.isReleased).toBe(true);
    await expect(parentIndex.nearest(query, 5)).rejects.toThrow(/released/);
    expect(adaptedIndex.isReleased).toBe(false);
    expect(await adaptedIndex.nearest(query, 5)).toHaveLength(5);
    expect(lines.join('\n')).toMatch(new RegExp(`released the index and vectors of profile ${parent.id}`));

    // An old list of the parent is re-ranked: the index comes back with the same answers, the vectors reload.
    const reopened = await engine.index(parent);
    expect(reopened).not.toBe(parentIndex);
    expect(reopened.size).toBe(40);
    expect(await reopened.nearest(query, 5)).toEqual(before);
    expect(engine.vectors(parent)).toBeNull(); // reloading from the catalogue
    const table = await engine.vectorsReady(parent);
    expect(table.vector(1)).not.toBeNull();
  });

  it('keeps a profile a job is filling, and one activated again', async () => {
    const { engine, catalogue, parent, adapted } = setUp(60_000);
    const parentIndex = await engine.index(parent);
    const adaptedIndex = await engine.index(adapted);
    const release = engine.holdCatchUp(parent);
    expect(engine.releaseIdle(performance.now() + 120_000)).toEqual([]);
    release();
    // The analyst reverts to the parent: now the adapted profile is the idle one.
    catalogue.models.setActive(parent.id);
    expect(engine.releaseIdle(performance.now() + 120_000)).toEqual([adapted.id]);
    expect(adaptedIndex.isReleased).toBe(true);
    expect(parentIndex.isReleased).toBe(false);
  });

  it('opens an index again whose graph went away under it (its index thread stopped)', async () => {
    const { engine, adapted } = setUp(60_000);
    const index = await engine.index(adapted);
    const before = await index.nearest(query, 5);
    expect(index.release()).toBe(true);
    const again = await engine.index(adapted);
    expect(again).not.toBe(index);
    expect(await again.nearest(query, 5)).toEqual(before);
  });

  it('never releases with idleReleaseMs 0', async () => {
    const { engine, parent } = setUp(0);
    const parentIndex = await engine.index(parent);
    expect(engine.releaseIdle(performance.now() + 3_600_000)).toEqual([]);
    expect(parentIndex.isReleased).toBe(false);
  });
});
