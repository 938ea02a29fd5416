import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventName } from '../../shared/rpc/contract';
import { createApp } from '../../main/app/createApp';
import type { SimilaApp } from '../../main/app/types';
import { makeImage, tempDir } from '../ingest/support/fixtures';

const ctx = { mode: 'browser' as const };
let work: ReturnType<typeof tempDir>;
let app: SimilaApp;
let archive: string;

beforeEach(async () => {
  work = tempDir('handlers');
  archive = path.join(work.dir, 'archive');
  mkdirSync(path.join(archive, 'zeta'), { recursive: true });
  mkdirSync(path.join(archive, 'Alpha'));
  mkdirSync(path.join(archive, '.hidden'));
  writeFileSync(path.join(archive, 'zeta', 'a.jpg'), await makeImage('jpeg', 120, 80, 1));
  writeFileSync(path.join(archive, 'zeta', 'b.tif'), await makeImage('tiff', 50, 60, 2));
  writeFileSync(path.join(archive, 'Alpha', 'c.png'), await makeImage('png', 30, 30, 3));
  writeFileSync(path.join(archive, 'Alpha', 'broken.jpg'), 'not an image');
  app = await createApp({ home: path.join(work.dir, 'home'), mode: 'browser', env: { SIMILA_DATA: archive } });
});
afterEach(async () => {
  await app.close();
  work.cleanup();
});

async function handleFor(folder: string): Promise<string> {
  const roots = await app.handlers['fs.roots']({}, ctx);
  const data = roots.find((r) => r.name === 'Data sets');
  expect(data?.display).toBe(archive);
  if (folder === archive) return data!.handle;
  const listing = await app.handlers['fs.browse']({ handle: data!.handle }, ctx);
  return listing.entries.find((e) => e.display === folder)!.handle;
}

async function importArchive(): Promise<number> {
  const done = new Promise<void>((resolve) => {
    app.onEvent((event: EventName, payload) => {
      if (event === 'job.progress' && 'state' in payload && payload.state === 'done') resolve();
    });
  });
  const { jobId } = await app.handlers['import.start']({ handle: await handleFor(archive) }, ctx);
  await done;
  return jobId;
}

describe('handlers', () => {
  it('browses sub-folders by handle only: sorted, hidden left out, forged handles not found', async () => {
    const roots = await app.handlers['fs.roots']({}, ctx);
    expect(roots.map((r) => r.name)).toEqual(expect.arrayContaining(['Home', 'Data sets', 'File system']));
    const listing = await app.handlers['fs.browse']({ handle: await handleFor(archive) }, ctx);
    expect(listing.entries.map((e) => e.name)).toEqual(['Alpha', 'zeta']);
    expect(listing.parent?.display).toBe(path.dirname(archive));
    expect(listing.folder.display).toBe(archive);
    for (const e of [...roots, ...listing.entries]) expect(e.handle).not.toContain('/');
    await expect(app.handlers['fs.browse']({ handle: 'forged-handle' }, ctx)).rejects.toMatchObject({ code: 'not_found' });
    await expect(app.handlers['fs.browse']({ handle: archive }, ctx)).rejects.toMatchObject({ code: 'not_found' });
    await expect(app.handlers['import.start']({ handle: 'forged-handle' }, ctx)).rejects.toMatchObject({ code: 'not_found' });
    const fsRoot = roots.find((r) => r.name === 'File system')!;
    expect((await app.handlers['fs.browse']({ handle: fsRoot.handle }, ctx)).parent).toBeNull();
  });

  it('imports a folder from a handle and serves the library, failures and images by id', async () => {
    const changes: number[] = [];
    app.onEvent((event, payload) => {
      if (event === 'library.changed' && 'added' in payload) changes.push(payload.added);
    });
    const jobId = await importArchive();
    expect(changes.reduce((a, b) => a + b, 0)).toBe(3);

    const info = await app.handlers['app.info']({}, ctx);
    expect(info).toMatchObject({ imageCount: 3, mode: 'browser', home: path.join(work.dir, 'home'), backend: null });
    expect(info.version).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);

    const folders = await app.handlers['library.folders']({}, ctx);
    expect(folders.map((f) => [path.basename(f.path), f.imageCount])).toEqual([
      ['Alpha', 1],
      ['zeta', 2],
    ]);
    const zeta = folders.find((f) => f.path.endsWith('zeta'))!;
    const page = await app.handlers['library.page']({ offset: 0, limit: 10, folderId: zeta.id }, ctx);
    expect(page.total).toBe(2);
    expect(page.items.map((i) => i.name).sort()).toEqual(['a.jpg', 'b.tif']);
    expect((await app.handlers['library.page']({ offset: 0, limit: 2 }, ctx)).total).toBe(3);

    const tif = page.items.find((i) => i.name === 'b.tif')!;
    const detail = await app.handlers['library.image']({ id: tif.id }, ctx);
    expect(detail).toMatchObject({ width: 50, height: 60, format: 'tiff', paths: [path.join(archive, 'zeta', 'b.tif')] });
    await expect(app.handlers['library.image']({ id: 99_999 }, ctx)).rejects.toMatchObject({ code: 'not_found' });

    expect(await app.handlers['import.failures']({ jobId }, ctx)).toEqual([
      { path: path.join(archive, 'Alpha', 'broken.jpg'), code: 'unsupported_format', message: expect.any(String) },
    ]);
    await expect(app.handlers['import.failures']({ jobId: 12345 }, ctx)).rejects.toMatchObject({ code: 'not_found' });
    const jobs = await app.handlers['jobs.list']({}, ctx);
    expect(jobs[0]).toMatchObject({ jobId, state: 'done', imported: 3, failed: 1, total: 4 });
    expect(await app.handlers['jobs.cancel']({ jobId }, ctx)).toEqual({ ok: false });
    await expect(app.handlers['jobs.cancel']({ jobId: 777 }, ctx)).rejects.toMatchObject({ code: 'not_found' });

    // Images by id: thumbnails, originals a browser shows, and PNG renditions for the rest.
    const jpg = page.items.find((i) => i.name === 'a.jpg')!;
    expect(await app.imageFile(jpg.id, 'full')).toEqual({ path: path.join(archive, 'zeta', 'a.jpg'), mime: 'image/jpeg' });
    const thumb = await app.imageFile(jpg.id, 'thumb');
    expect(thumb?.mime).toBe('image/webp');
    expect(thumb?.path.startsWith(path.join(work.dir, 'home', 'thumbnails'))).toBe(true);
    const rendition = await app.imageFile(tif.id, 'full');
    expect(rendition?.mime).toBe('image/png');
    expect(rendition?.path.startsWith(path.join(work.dir, 'home', 'renditions'))).toBe(true);
    expect(await sharp(rendition!.path).metadata()).toMatchObject({ format: 'png', width: 50, height: 60 });
    expect(await app.imageFile(424242, 'thumb')).toBeNull();

    // An original that changed on disk is not served as the catalogued image (no other copy exists).
    writeFileSync(path.join(archive, 'zeta', 'a.jpg'), await makeImage('jpeg', 10, 10, 9));
    expect(await app.imageFile(jpg.id, 'full')).toBeNull();
    expect((await app.imageFile(jpg.id, 'thumb'))?.mime).toBe('image/webp');
  });

  it('answers the native folder dialog only when a shell installed one', async () => {
    await expect(app.handlers['import.chooseFolder']({}, ctx)).rejects.toMatchObject({ code: 'unsupported' });
    app.setFolderChooser(async () => path.join(archive, 'Alpha'));
    const chosen = await app.handlers['import.chooseFolder']({}, { mode: 'electron' });
    expect(chosen?.display).toBe(path.join(archive, 'Alpha'));
    const listing = await app.handlers['fs.browse']({ handle: chosen!.handle }, ctx);
    expect(listing.entries).toEqual([]);
    app.setFolderChooser(async () => null);
    expect(await app.handlers['import.chooseFolder']({}, { mode: 'electron' })).toBeNull();
  });

  it('resumes an import that an earlier process left running', async () => {
    const home = path.join(work.dir, 'home2');
    const first = await createApp({ home, mode: 'browser', env: {}, resumeJobs: false });
    await first.close();
    // Simulate a crash: a job row stuck in 'running'.
    const { openCatalogue } = await import('../../main/catalogue/catalogue');
    const cat = openCatalogue(path.join(home, 'catalogue.sqlite'));
    const id = cat.jobs.create('import', archive, { root: archive });
    cat.jobs.setState(id, 'running');
    cat.close();
    const second = await createApp({ home, mode: 'browser', env: {} });
    try {
      for (let i = 0; i < 100 && (await second.handlers['jobs.list']({}, ctx))[0]?.state !== 'done'; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await second.handlers['jobs.list']({}, ctx))[0]).toMatchObject({ jobId: id, state: 'done', imported: 3 });
      expect((await second.handlers['app.info']({}, ctx)).imageCount).toBe(3);
    } finally {
      await second.close();
    }
  });
});
