import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';

let catalogue: Catalogue;
beforeEach(() => {
  catalogue = openCatalogue(':memory:');
});
afterEach(() => catalogue.close());

function addImage(hash: string, withPath = true): number {
  const id = catalogue.images.insert({ hash, width: 4, height: 4, format: 'png', byteSize: 9, meta: {} });
  if (withPath) catalogue.paths.upsert({ path: `/a/${hash}.png`, imageId: id, folderId: catalogue.folders.ensure('/a'), size: 9, mtimeMs: 1, seenByJob: null });
  return id;
}

function created(name: string) {
  const result = catalogue.classes.create(name);
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

describe('target classes', () => {
  it('creates, lists (by name), renames and deletes classes; names are unique without regard to case', () => {
    const b = created('  Pneumothorax ');
    const a = created('Fracture');
    expect(b.name).toBe('Pneumothorax');
    expect(catalogue.classes.list().map((c) => c.name)).toEqual(['Fracture', 'Pneumothorax']);
    expect(catalogue.classes.create('pneumothorax')).toMatchObject({ ok: false, code: 'duplicate_name' });
    expect(catalogue.classes.rename(a.id, 'PNEUMOTHORAX')).toMatchObject({ ok: false, code: 'duplicate_name' });
    expect(catalogue.classes.rename(a.id, 'Rib fracture')).toMatchObject({ ok: true, value: { id: a.id, name: 'Rib fracture' } });
    expect(catalogue.classes.rename(999, 'x')).toMatchObject({ ok: false, code: 'not_found' });
    expect(catalogue.classes.remove(b.id)).toBe(true);
    expect(catalogue.classes.remove(b.id)).toBe(false);
    expect(catalogue.classes.list().map((c) => c.id)).toEqual([a.id]);
  });

  it('labels images with one role per class, counts them, re-labels and unlabels', () => {
    const cls = created('Target');
    const other = created('Other');
    const [i1, i2, i3] = [addImage('h1'), addImage('h2'), addImage('h3')];
    expect(catalogue.classes.label(cls.id, [i1!, i2!, i2!], 'support')).toMatchObject({ ok: true, value: { counts: { support: 2, holdout: 0, negative: 0 } } });
    expect(catalogue.classes.label(cls.id, [i3!], 'holdout')).toMatchObject({ ok: true, value: { counts: { support: 2, holdout: 1 } } });
    // Labelling again changes the role instead of adding a second label.
    expect(catalogue.classes.label(cls.id, [i2!], 'negative')).toMatchObject({ ok: true, value: { counts: { support: 1, holdout: 1, negative: 1 } } });
    expect(catalogue.classes.label(other.id, [i1!], 'support')).toMatchObject({ ok: true, value: { counts: { support: 1 } } });
    expect(catalogue.classes.labels(cls.id, 'support').map((l) => l.imageId)).toEqual([i1]);
    expect(catalogue.classes.labels(cls.id).map((l) => l.imageId).sort()).toEqual([i1, i2, i3].sort());
    expect(catalogue.classes.unlabel(cls.id, [i1!, 12345])).toMatchObject({ ok: true, value: { counts: { support: 0, holdout: 1, negative: 1 } } });
    expect(catalogue.classes.get(other.id)?.counts.support).toBe(1);
  });

  it('refuses unknown images and classes as values and labels nothing then', () => {
    const cls = created('Target');
    const i1 = addImage('h1');
    expect(catalogue.classes.label(cls.id, [i1, 777], 'support')).toMatchObject({ ok: false, code: 'unknown_image' });
    expect(catalogue.classes.labels(cls.id)).toEqual([]);
    expect(catalogue.classes.label(999, [i1], 'support')).toMatchObject({ ok: false, code: 'not_found' });
    expect(catalogue.classes.unlabel(999, [i1])).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('drops labels with their class or their image', () => {
    const cls = created('Target');
    const i1 = addImage('h1');
    const i2 = addImage('h2');
    catalogue.classes.label(cls.id, [i1, i2], 'support');
    catalogue.db.prepare('DELETE FROM images WHERE id = ?').run(i1);
    expect(catalogue.classes.labels(cls.id).map((l) => l.imageId)).toEqual([i2]);
    catalogue.classes.remove(cls.id);
    expect(catalogue.db.prepare('SELECT COUNT(*) AS n FROM image_labels').get()).toEqual({ n: 0 });
  });
});

describe('trunk features', () => {
  it('stores rows per trunk key, pages them in id order and lists visible images still missing', () => {
    const ids = [addImage('h1'), addImage('h2'), addImage('h3'), addImage('hidden', false)];
    const key = 'trunk-a';
    catalogue.trunkFeatures.putMany(key, [ids[2]!, ids[0]!], new Float32Array([3, 3.5, 1, 1.5]));
    catalogue.trunkFeatures.putMany('trunk-b', [ids[1]!], new Float32Array([9, 9]));
    expect(catalogue.trunkFeatures.count(key)).toBe(2);
    expect([...catalogue.trunkFeatures.get(key, ids[2]!)!]).toEqual([3, 3.5]);
    expect(catalogue.trunkFeatures.get(key, ids[1]!)).toBeUndefined();
    const first = catalogue.trunkFeatures.batch(key, 0, 1);
    expect(first.ids).toEqual([ids[0]]);
    expect([...first.features]).toEqual([1, 1.5]);
    const rest = catalogue.trunkFeatures.batch(key, first.ids[0]!, 10);
    expect(rest.ids).toEqual([ids[2]]);
    expect(catalogue.trunkFeatures.batch(key, ids[2]!, 10).ids).toEqual([]);
    expect(catalogue.trunkFeatures.idsMissing(key)).toEqual([ids[1]]);
    expect(catalogue.trunkFeatures.removeKey(key)).toBe(2);
    expect(catalogue.trunkFeatures.count('trunk-b')).toBe(1);
  });
});
