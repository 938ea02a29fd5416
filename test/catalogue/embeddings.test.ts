import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';

let catalogue: Catalogue;
beforeEach(() => {
  catalogue = openCatalogue(':memory:');
});
afterEach(() => catalogue.close());

function addImage(hash: string, withPath = true): number {
  const id = catalogue.images.insert({ hash, width: 8, height: 8, format: 'png', byteSize: 1, meta: {} });
  if (withPath) catalogue.paths.upsert({ path: `/a/${hash}.png`, imageId: id, folderId: catalogue.folders.ensure('/a'), size: 1, mtimeMs: 1, seenByJob: null });
  return id;
}

function randomVector(dim: number): Float32Array {
  return Float32Array.from({ length: dim }, () => Math.random() * 2 - 1);
}

describe('models', () => {
  it('registers versions with lineage and keeps exactly one active model', () => {
    const a = catalogue.models.register({ name: 'conv4', stage: 'pretrain', dir: 'conv4-1', embeddingDim: 64, manifest: { arch: 'conv4' } });
    const b = catalogue.models.register({ name: 'conv4', parentId: a.id, stage: 'meta', dir: 'conv4-2', embeddingDim: 64 });
    expect([a.version, b.version]).toEqual([1, 2]);
    expect(catalogue.models.lineage(b.id).map((m) => m.id)).toEqual([b.id, a.id]);
    expect(catalogue.models.get(a.id)?.manifest).toEqual({ arch: 'conv4' });
    expect(catalogue.models.active()).toBeUndefined();
    expect(catalogue.models.setActive(a.id)).toBe(true);
    expect(catalogue.models.setActive(b.id)).toBe(true);
    expect(catalogue.models.list().filter((m) => m.active).map((m) => m.id)).toEqual([b.id]);
    expect(catalogue.models.setActive(999)).toBe(false);
    expect(catalogue.models.active()?.id).toBe(b.id);
    expect(() => catalogue.models.register({ name: 'x', stage: 's', dir: 'conv4-1', embeddingDim: 64 })).toThrow();
    expect(() => catalogue.models.register({ name: 'x', stage: 's', dir: 'zero', embeddingDim: 0 })).toThrow();
  });
});

describe('embeddings', () => {
  it('round-trips float32 vectors exactly, in one transaction per call', () => {
    const model = catalogue.models.register({ name: 'm', stage: 's', dir: 'm', embeddingDim: 16 });
    const ids = [addImage('a'), addImage('b'), addImage('c')];
    const vectors = ids.map(() => randomVector(16));
    expect(catalogue.embeddings.putMany(model.id, ids.map((imageId, i) => ({ imageId, vector: vectors[i]! })))).toEqual({ ok: true, written: 3 });
    expect(catalogue.embeddings.count(model.id)).toBe(3);
    ids.forEach((id, i) => expect(Array.from(catalogue.embeddings.get(model.id, id)!)).toEqual(Array.from(vectors[i]!)));
    const many = catalogue.embeddings.getMany(model.id, [ids[2]!, 12345]);
    expect([...many.keys()]).toEqual([ids[2]]);

    // A wrong-sized vector anywhere in the call writes nothing.
    const d = addImage('d');
    const bad = catalogue.embeddings.putMany(model.id, [{ imageId: d, vector: randomVector(16) }, { imageId: ids[0]!, vector: randomVector(15) }]);
    expect(bad).toMatchObject({ ok: false, code: 'wrong_dimension' });
    expect(catalogue.embeddings.get(model.id, d)).toBeUndefined();
    expect(catalogue.embeddings.putMany(4242, [])).toMatchObject({ ok: false, code: 'unknown_model' });
  });

  it('streams all vectors of a model in id-ordered batches, and lists images still missing a vector', () => {
    const model = catalogue.models.register({ name: 'm', stage: 's', dir: 'm', embeddingDim: 4 });
    const other = catalogue.models.register({ name: 'o', stage: 's', dir: 'o', embeddingDim: 4 });
    const ids = Array.from({ length: 25 }, (_, i) => addImage(`h${i}`));
    const orphan = addImage('orphan', false);
    const done = ids.filter((_, i) => i % 3 !== 0);
    catalogue.embeddings.putMany(model.id, done.map((imageId) => ({ imageId, vector: Float32Array.of(imageId, 1, 2, 3) })));
    catalogue.embeddings.putMany(other.id, [{ imageId: ids[0]!, vector: Float32Array.of(9, 9, 9, 9) }]);

    const batches = [...catalogue.embeddings.batches(model.id, 7)];
    expect(batches.map((b) => b.ids.length)).toEqual([7, 7, 2]);
    expect(batches.flatMap((b) => b.ids)).toEqual(done);
    for (const b of batches) b.ids.forEach((id, i) => expect(b.vectors[i * 4]).toBe(id));
    expect(catalogue.embeddings.ids(model.id)).toEqual(done);

    const missing = ids.filter((_, i) => i % 3 === 0);
    expect(catalogue.embeddings.idsMissing(model.id)).toEqual(missing);
    expect(catalogue.embeddings.idsMissing(model.id, 2, missing[1]!)).toEqual(missing.slice(2, 4));
    expect(catalogue.embeddings.countMissing(model.id)).toBe(missing.length);
    expect(catalogue.embeddings.idsMissing(model.id)).not.toContain(orphan);
  });

  it('bumps the model revision on every change and cascades deletes from images and models', () => {
    const model = catalogue.models.register({ name: 'm', stage: 's', dir: 'm', embeddingDim: 2 });
    const [a, b] = [addImage('a'), addImage('b')];
    const r0 = catalogue.models.embeddingsRevision(model.id)!;
    catalogue.embeddings.putMany(model.id, [{ imageId: a, vector: Float32Array.of(1, 0) }, { imageId: b, vector: Float32Array.of(0, 1) }]);
    const r1 = catalogue.models.embeddingsRevision(model.id)!;
    expect(r1).toBeGreaterThan(r0);
    expect(catalogue.embeddings.deleteForImage(a)).toBe(1);
    const r2 = catalogue.models.embeddingsRevision(model.id)!;
    expect(r2).toBeGreaterThan(r1);
    catalogue.db.prepare('DELETE FROM images WHERE id = ?').run(b);
    expect(catalogue.embeddings.count(model.id)).toBe(0);
    expect(catalogue.models.embeddingsRevision(model.id)!).toBeGreaterThan(r2);

    const c = addImage('c');
    catalogue.embeddings.putMany(model.id, [{ imageId: c, vector: Float32Array.of(1, 1) }]);
    expect(catalogue.models.remove(model.id)).toBe(true);
    expect(catalogue.db.prepare('SELECT COUNT(*) AS n FROM embeddings').get()).toEqual({ n: 0 });
  });
});
