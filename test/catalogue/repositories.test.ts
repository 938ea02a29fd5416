import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';
import { mergeSortedIds } from '../../main/catalogue/repositories/images';

let catalogue: Catalogue;
beforeEach(() => {
  catalogue = openCatalogue(':memory:');
});
afterEach(() => catalogue.close());

function addImage(hash: string, paths: { path: string; folder: string }[]): number {
  const id = catalogue.images.insert({ hash, width: 10, height: 20, format: 'png', byteSize: 99, meta: { space: 'srgb' } });
  for (const p of paths) {
    catalogue.paths.upsert({ path: p.path, imageId: id, folderId: catalogue.folders.ensure(p.folder), size: 99, mtimeMs: 5, seenByJob: null });
  }
  return id;
}

describe('images, paths and folders', () => {
  it('finds images by hash and keeps their meta', () => {
    const id = addImage('h1', [{ path: '/a/1.png', folder: '/a' }]);
    expect(catalogue.images.findByHash('h1')).toMatchObject({ id, meta: { space: 'srgb' } });
    expect(catalogue.images.findByHash('nope')).toBeUndefined();
    expect(() => catalogue.images.insert({ hash: 'h1', width: 1, height: 1, format: 'png', byteSize: 1, meta: {} })).toThrow();
  });

  it('pages visible images, optionally by folder, with one row per image even with several paths', () => {
    const a = addImage('h1', [
      { path: '/a/1.png', folder: '/a' },
      { path: '/b/1-copy.png', folder: '/b' },
    ]);
    const b = addImage('h2', [{ path: '/b/2.png', folder: '/b' }]);
    const orphan = addImage('orphan', []); // no path left: not shown
    expect(catalogue.images.countVisible()).toBe(2);
    const listed = catalogue.images.visibility();
    expect([a, b, orphan, orphan + 1000].map(listed)).toEqual([true, true, false, false]);
    expect(catalogue.images.page(0, 10).map((i) => [i.id, i.path])).toEqual([
      [a, '/a/1.png'],
      [b, '/b/2.png'],
    ]);
    const folderB = catalogue.folders.ensure('/b');
    expect(catalogue.images.countVisible(folderB)).toBe(2);
    expect(catalogue.images.page(0, 10, folderB).map((i) => i.path)).toEqual(['/b/1-copy.png', '/b/2.png']);
    expect(catalogue.images.page(1, 1).map((i) => i.id)).toEqual([b]);
    expect(catalogue.folders.listWithCounts()).toEqual([
      { id: catalogue.folders.ensure('/a'), path: '/a', imageCount: 1 },
      { id: folderB, path: '/b', imageCount: 2 },
    ]);
  });

  it('pages deep into a large archive (past the OFFSET range) exactly as the first pages do, and sees changes', () => {
    // 12,000 images over two folders; every 7th has no path left; images 1..3 of each 100 also in /b.
    const expectedAll: number[] = [];
    const expectedB: number[] = [];
    catalogue.transaction(() => {
      for (let i = 0; i < 12_000; i++) {
        const paths = i % 7 === 0 ? [] : [{ path: `/a/${i}.png`, folder: '/a' }];
        if (i % 100 < 3 && i % 7 !== 0) paths.push({ path: `/b/${i}.png`, folder: '/b' });
        const id = addImage(`h${i}`, paths);
        if (paths.length > 0) expectedAll.push(id);
        if (paths.some((p) => p.folder === '/b')) expectedB.push(id);
      }
    });
    const folderB = catalogue.folders.ensure('/b');
    const ids = (offset: number, limit: number, folder?: number) => catalogue.images.page(offset, limit, folder).map((i) => i.id);
    for (const offset of [0, 4_990, 5_000, 8_123, expectedAll.length - 5]) {
      expect(ids(offset, 50), `offset ${offset}`).toEqual(expectedAll.slice(offset, offset + 50));
    }
    expect(ids(expectedAll.length + 10, 50)).toEqual([]);
    expect(catalogue.images.countVisible()).toBe(expectedAll.length);
    expect(ids(0, 1000, folderB)).toEqual(expectedB);

    // A path removed deep in the list and a new image: the next deep page and the count follow.
    const hidden = expectedAll.slice(9_000).find((id) => !expectedB.includes(id))!; // only in /a
    catalogue.paths.remove(`/a/${hidden - 1}.png`);
    const added = addImage('late', [{ path: '/a/late.png', folder: '/a' }]);
    const now = [...expectedAll.filter((id) => id !== hidden), added];
    expect(ids(8_990, 20)).toEqual(now.slice(8_990, 9_010));
    expect(ids(now.length - 3, 10)).toEqual(now.slice(-3));
    expect(catalogue.images.countVisible()).toBe(now.length);
    expect(catalogue.images.page(8_990, 20)[0]).toMatchObject({ path: `/a/${now[8_990]! - 1}.png`, width: 10, height: 20, format: 'png' });
  });

  it('keeps the sorted id list current through inserts (merged in) and removals (rebuilt), in the archive and a folder', () => {
    const all: number[] = [];
    const inB: number[] = [];
    const orphans: number[] = [];
    catalogue.transaction(() => {
      for (let i = 0; i < 6_000; i++) {
        if (i % 50 === 0) {
          orphans.push(addImage(`o${i}`, []));
          continue;
        }
        const paths = [{ path: `/a/${i}.png`, folder: '/a' }];
        if (i % 10 === 1) paths.push({ path: `/b/${i}.png`, folder: '/b' });
        const id = addImage(`h${i}`, paths);
        all.push(id);
        if (i % 10 === 1) inB.push(id);
      }
    });
    const folderB = catalogue.folders.ensure('/b');
    const ids = (folder?: number) => catalogue.images.page(5_000, 10_000, folder).map((i) => i.id);
    const idsB = () => catalogue.images.page(0, 10_000, folderB).map((i) => i.id);
    expect(ids()).toEqual(all.slice(5_000));
    expect(idsB()).toEqual(inB);
    // Inserts only: a new image (highest id), an old orphan getting a path (an id in the middle), a
    // second path of a listed image (no new id), an image added to /b.
    const late = addImage('late', [{ path: '/a/late.png', folder: '/a' }]);
    const revived = orphans[100]!;
    catalogue.paths.upsert({ path: '/b/revived.png', imageId: revived, folderId: folderB, size: 1, mtimeMs: 1, seenByJob: null });
    catalogue.paths.upsert({ path: '/b/copy.png', imageId: all[5_500]!, folderId: folderB, size: 1, mtimeMs: 1, seenByJob: null });
    const withInserts = [...all, late, revived].sort((x, y) => x - y);
    expect(catalogue.images.countVisible()).toBe(withInserts.length);
    expect(ids()).toEqual(withInserts.slice(5_000));
    expect(catalogue.images.visibility()(revived)).toBe(true);
    const bNow = [...inB, revived, all[5_500]!].sort((x, y) => x - y);
    expect(idsB()).toEqual(bNow);
    expect(catalogue.images.countVisible(folderB)).toBe(bNow.length);
    // A removal: the list is read again, so the removed image goes.
    catalogue.paths.remove('/b/revived.png');
    expect(catalogue.images.visibility()(revived)).toBe(false);
    expect(ids()).toEqual(withInserts.filter((id) => id !== revived).slice(5_000));
    expect(idsB()).toEqual(bNow.filter((id) => id !== revived));
  });

  it('merges new ids into a sorted list: appended, interleaved, duplicates dropped', () => {
    const base = Float64Array.from([2, 4, 6, 8]);
    expect([...mergeSortedIds(base, [9, 12])]).toEqual([2, 4, 6, 8, 9, 12]);
    expect([...mergeSortedIds(base, [1, 4, 5, 10])]).toEqual([1, 2, 4, 5, 6, 8, 10]);
    expect(mergeSortedIds(base, [2, 8])).toBe(base);
    expect([...mergeSortedIds(new Float64Array(0), [3])]).toEqual([3]);
  });

  it('drops only the unseen paths under a prefix, even when paths contain LIKE wildcards', () => {
    const id = addImage('h1', [
      { path: '/r%/seen.png', folder: '/r%' },
      { path: '/r%/gone.png', folder: '/r%' },
      { path: '/rX/other.png', folder: '/rX' },
    ]);
    catalogue.paths.markSeen('/r%/seen.png', 7);
    expect(catalogue.paths.imageIdsNotSeenUnder('/r%/', 7)).toEqual([id]);
    expect(catalogue.paths.removeNotSeenUnder('/r%/', 7)).toBe(1);
    expect(catalogue.paths.listForImage(id).map((p) => p.path)).toEqual(['/r%/seen.png', '/rX/other.png']);
  });
});

describe('jobs and failures', () => {
  it('tracks job state, times and interrupted jobs', () => {
    const a = catalogue.jobs.create('import', '/x', { root: '/x' });
    const b = catalogue.jobs.create('import', '/y', { root: '/y' });
    catalogue.jobs.setState(a, 'running');
    expect(catalogue.jobs.get(a)).toMatchObject({ state: 'running', finishedAt: null });
    expect(catalogue.jobs.get(a)?.startedAt).toBeTruthy();
    expect(catalogue.jobs.listInterrupted().map((j) => j.id)).toEqual([a, b]);
    catalogue.jobs.setState(a, 'failed', 'disk gone');
    expect(catalogue.jobs.get(a)).toMatchObject({ state: 'failed', error: 'disk gone' });
    expect(catalogue.jobs.get(a)?.finishedAt).toBeTruthy();
    catalogue.jobs.saveProgress(b, { counts: { done: 3 } });
    expect(catalogue.jobs.get(b)?.progress).toEqual({ counts: { done: 3 } });
    expect(catalogue.jobs.listRecent(1).map((j) => j.id)).toEqual([b]);
  });

  it('records one failure per job and path, counted by reason', () => {
    const job = catalogue.jobs.create('import', '/x', {});
    catalogue.failures.record(job, '/x/a', 'decode_error', 'first');
    catalogue.failures.record(job, '/x/a', 'truncated', 'second');
    catalogue.failures.record(job, '/x/b', 'truncated', 'third');
    catalogue.failures.record(job, '/x/c', 'empty_file', 'fourth');
    expect(catalogue.failures.countByCode(job)).toEqual({ empty_file: 1, truncated: 2 });
    catalogue.failures.clear(job, '/x/c');
    expect(catalogue.failures.listForJob(job, 10).map((f) => f.message)).toEqual(['second', 'third']);
    expect(catalogue.failures.listForJob(job, 1)).toHaveLength(1);
  });
});
