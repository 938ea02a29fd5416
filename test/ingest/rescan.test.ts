// Identity by content: moving a sub-folder and rescanning decodes nothing and updates the paths;
// byte-identical copies are one item with several paths; unchanged files are not even read.
import { cpSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';
import type { ContentReader } from '../../main/ingest/contentReader';
import { createDefaultRegistry } from '../../main/ingest/decoders/defaultRegistry';
import { createInProcessReader } from '../../main/ingest/contentReader';
import { importFolder } from '../../main/ingest/importer';
import { makeImage, tempDir } from './support/fixtures';

/** Counts what the importer asks of the reader. */
function countingReader(): ContentReader & { hashes: number; decodes: number } {
  const inner = createInProcessReader(createDefaultRegistry());
  const counter = {
    hashes: 0,
    decodes: 0,
    async open(file: Parameters<ContentReader['open']>[0], max: number) {
      const content = await inner.open(file, max);
      return {
        hash: () => (counter.hashes++, content.hash()),
        decode: (limits: Parameters<typeof content.decode>[0]) => (counter.decodes++, content.decode(limits)),
        release: () => content.release(),
      };
    },
    close: () => inner.close(),
  };
  return counter;
}

let work: ReturnType<typeof tempDir>;
let catalogue: Catalogue;
let archive: string;
beforeEach(() => {
  work = tempDir('rescan');
  archive = path.join(work.dir, 'archive');
  mkdirSync(path.join(archive, 'series/a'), { recursive: true });
  catalogue = openCatalogue(path.join(work.dir, 'catalogue.sqlite'));
});
afterEach(() => {
  catalogue.close();
  work.cleanup();
});

async function scan(reader: ContentReader) {
  const jobId = catalogue.jobs.create('import', archive, { root: archive });
  return importFolder({ root: archive, jobId, catalogue, reader, thumbnailsDir: path.join(work.dir, 'thumbs'), concurrency: 4 });
}

describe('rescans', () => {
  it('moving a sub-folder decodes nothing again and updates the paths', async () => {
    for (let i = 0; i < 8; i++) writeFileSync(path.join(archive, 'series/a', `img-${i}.png`), await makeImage('png', 30 + i, 20, i + 1));
    writeFileSync(path.join(archive, 'top.jpg'), await makeImage('jpeg', 50, 40, 99));
    const first = countingReader();
    expect(await scan(first)).toMatchObject({ imported: 9, failed: 0 });
    expect(first.decodes).toBe(9);
    const idsBefore = new Map(Array.from({ length: 8 }, (_, i) => [`img-${i}.png`, catalogue.paths.find(path.join(archive, 'series/a', `img-${i}.png`))!.imageId]));

    mkdirSync(path.join(archive, 'renamed'));
    renameSync(path.join(archive, 'series/a'), path.join(archive, 'renamed/b'));
    const second = countingReader();
    const summary = await scan(second);
    expect(second.decodes).toBe(0);
    expect(second.hashes).toBe(8); // new paths are read once to learn their content; top.jpg is not read at all
    expect(summary).toMatchObject({ imported: 0, moved: 8, duplicates: 0, skipped: 1, removed: 8, failed: 0 });
    for (const [name, id] of idsBefore) {
      expect(catalogue.paths.find(path.join(archive, 'series/a', name))).toBeUndefined();
      expect(catalogue.paths.find(path.join(archive, 'renamed/b', name))?.imageId).toBe(id);
    }
    expect(catalogue.images.countVisible()).toBe(9);
  });

  it('byte-identical copies are one item with several paths, decoded once', async () => {
    for (let i = 0; i < 3; i++) writeFileSync(path.join(archive, 'series/a', `img-${i}.png`), await makeImage('png', 30, 20, i + 1));
    cpSync(path.join(archive, 'series/a'), path.join(archive, 'copy'), { recursive: true });
    const reader = countingReader();
    const summary = await scan(reader);
    expect(summary).toMatchObject({ imported: 3, duplicates: 3, moved: 0 });
    expect(reader.decodes).toBe(3);
    const id = catalogue.paths.find(path.join(archive, 'copy/img-1.png'))!.imageId;
    expect(catalogue.paths.listForImage(id).map((p) => path.relative(archive, p.path)).sort()).toEqual(['copy/img-1.png', 'series/a/img-1.png']);
  });
});
