import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';
import { createDecoderRegistry } from '../../main/ingest/decoders/registry';
import { createSharpDecoder } from '../../main/ingest/decoders/sharpDecoder';
import type { Decoder } from '../../main/ingest/decoders/types';
import { importFolder, type ImportSummary } from '../../main/ingest/importer';
import { thumbnailPath } from '../../main/ingest/thumbnails';
import { makeImage, tempDir } from './support/fixtures';

let work: ReturnType<typeof tempDir>;
let catalogue: Catalogue;
let archive: string;
let thumbs: string;

beforeEach(() => {
  work = tempDir('importer');
  archive = path.join(work.dir, 'archive');
  thumbs = path.join(work.dir, 'thumbs');
  mkdirSync(archive);
  catalogue = openCatalogue(path.join(work.dir, 'catalogue.sqlite'));
});
afterEach(() => {
  catalogue.close();
  work.cleanup();
});

async function run(registry = createDecoderRegistry([createSharpDecoder()]), extra = {}): Promise<ImportSummary> {
  const jobId = catalogue.jobs.create('import', archive, { root: archive });
  return importFolder({ root: archive, jobId, catalogue, registry, thumbnailsDir: thumbs, concurrency: 3, ...extra });
}

function failureCodes(jobId: number): Record<string, string> {
  return Object.fromEntries(catalogue.failures.listForJob(jobId, 100).map((f) => [path.relative(archive, f.path), f.code]));
}

async function writeMixedArchive(): Promise<void> {
  mkdirSync(path.join(archive, 'sub'));
  const jpeg = await makeImage('jpeg', 600, 300, 1);
  writeFileSync(path.join(archive, 'photo.jpg'), jpeg);
  writeFileSync(path.join(archive, 'sub/copy-of-photo.jpeg'), jpeg); // duplicate content
  writeFileSync(path.join(archive, 'scan.png'), await makeImage('png', 40, 500, 2));
  writeFileSync(path.join(archive, 'sub/pic.webp'), await makeImage('webp', 64, 64, 3));
  writeFileSync(path.join(archive, 'sub/page.tif'), await makeImage('tiff', 300, 200, 4));
  writeFileSync(path.join(archive, 'anim.gif'), await makeImage('gif', 32, 16, 5));
  writeFileSync(path.join(archive, 'misnamed.bin'), await makeImage('png', 20, 20, 6)); // a PNG by content
  const other = await makeImage('jpeg', 400, 400, 7);
  writeFileSync(path.join(archive, 'truncated.jpg'), other.subarray(0, Math.floor(other.length / 2)));
  writeFileSync(path.join(archive, 'empty.jpg'), Buffer.alloc(0));
  writeFileSync(path.join(archive, 'notes.jpg'), 'this is a text file, not a JPEG');
}

describe('importFolder', () => {
  it('imports ordinary formats, records each bad file with its reason and makes thumbnails', async () => {
    await writeMixedArchive();
    const summary = await run();
    expect(summary).toMatchObject({ imported: 6, duplicates: 1, failed: 3, skipped: 0, total: 10, done: 10, cancelled: false });
    expect(summary.failedByReason).toEqual({ empty_file: 1, truncated: 1, unsupported_format: 1 });
    expect(failureCodes(1)).toEqual({ 'empty.jpg': 'empty_file', 'notes.jpg': 'unsupported_format', 'truncated.jpg': 'truncated' });
    for (const f of catalogue.failures.listForJob(1, 100)) expect(f.message.length).toBeGreaterThan(10);

    const photo = catalogue.paths.find(path.join(archive, 'photo.jpg'))!;
    expect(catalogue.paths.find(path.join(archive, 'sub/copy-of-photo.jpeg'))?.imageId).toBe(photo.imageId);
    const image = catalogue.images.get(photo.imageId)!;
    expect(image).toMatchObject({ width: 600, height: 300, format: 'jpeg' });
    expect(image.hash).toMatch(/^[0-9a-f]{64}$/);
    const thumb = await sharp(thumbnailPath(thumbs, image.hash)).metadata();
    expect(thumb).toMatchObject({ format: 'webp', width: 256, height: 128 });
    const tall = catalogue.images.get(catalogue.paths.find(path.join(archive, 'scan.png'))!.imageId)!;
    expect((await sharp(thumbnailPath(thumbs, tall.hash)).metadata()).height).toBe(256);
    const formats = catalogue.images.page(0, 100).map((i) => i.format).sort();
    expect(formats).toEqual(['gif', 'jpeg', 'png', 'png', 'tiff', 'webp']);
  });

  it('imports nothing new on a re-run and does not read unchanged files', async () => {
    await writeMixedArchive();
    await run();
    const registry = createDecoderRegistry([createSharpDecoder()]);
    let decodes = 0;
    const counting: Decoder = {
      name: 'counting',
      canDecode: (s) => registry.list()[0]!.canDecode(s),
      decode: (input, limits) => {
        decodes++;
        return registry.list()[0]!.decode(input, limits);
      },
    };
    const again = await run(createDecoderRegistry([counting]));
    expect(again).toMatchObject({ imported: 0, skipped: 7, duplicates: 0, removed: 0 });
    // The three bad files are tried again (they may have been fixed) and fail the same way.
    expect(again.failedByReason).toEqual({ empty_file: 1, truncated: 1, unsupported_format: 1 });
    expect(decodes).toBe(1); // only truncated.jpg reaches a decoder again
  });

  it('follows moved files by content and drops paths that are gone', async () => {
    writeFileSync(path.join(archive, 'a.png'), await makeImage('png', 30, 30, 1));
    writeFileSync(path.join(archive, 'b.png'), await makeImage('png', 30, 30, 2));
    await run();
    mkdirSync(path.join(archive, 'moved'));
    renameSync(path.join(archive, 'a.png'), path.join(archive, 'moved/a2.png'));
    const idBefore = catalogue.paths.find(path.join(archive, 'b.png'))!.imageId;
    const after = await run();
    expect(after).toMatchObject({ imported: 0, moved: 1, duplicates: 0, skipped: 1, removed: 1 });
    expect(catalogue.paths.find(path.join(archive, 'a.png'))).toBeUndefined();
    expect(catalogue.paths.find(path.join(archive, 'moved/a2.png'))).toBeDefined();
    expect(catalogue.paths.find(path.join(archive, 'b.png'))!.imageId).toBe(idBefore);
    expect(catalogue.images.countVisible()).toBe(2);
  });

  it('refuses images above the pixel limit and files above the byte limit', async () => {
    writeFileSync(path.join(archive, 'big.png'), await makeImage('png', 300, 300, 1));
    writeFileSync(path.join(archive, 'small.png'), await makeImage('png', 10, 10, 2));
    const summary = await run(undefined, { limits: { maxPixels: 50_000 } });
    expect(summary.failedByReason).toEqual({ too_large: 1 });
    expect(summary.imported).toBe(1);
    const bytes = await run(undefined, { maxFileBytes: 100 });
    expect(bytes.failedByReason).toEqual({ too_large: 1 });
  });

  it('reports a format without a decoder as unsupported, and uses a decoder registered later', async () => {
    const dicom = Buffer.alloc(300);
    dicom.write('DICM', 128, 'ascii');
    writeFileSync(path.join(archive, 'ct.dcm'), dicom);
    const first = await run();
    expect(first.failedByReason).toEqual({ unsupported_format: 1 });
    expect(catalogue.failures.listForJob(1, 1)[0]?.message).toMatch(/DICOM/);

    const registry = createDecoderRegistry([createSharpDecoder()]);
    const thumb = await makeImage('webp', 8, 8);
    registry.register({
      name: 'fake-dicom',
      canDecode: (s) => s.format === 'dicom',
      decode: async () => ({ ok: true, image: { width: 512, height: 512, format: 'dicom', meta: { modality: 'CT' }, thumbnail: thumb } }),
    });
    const second = await run(registry);
    expect(second.imported).toBe(1);
    expect(catalogue.images.page(0, 1)[0]).toMatchObject({ format: 'dicom', width: 512 });
  });

  it('keeps going when a decoder throws, and stops early when cancelled', async () => {
    for (let i = 0; i < 12; i++) writeFileSync(path.join(archive, `f${String(i).padStart(2, '0')}.png`), await makeImage('png', 8, 8, i + 1));
    const throwing = createDecoderRegistry([
      { name: 'broken', canDecode: () => true, decode: async () => Promise.reject(new Error('kaboom')) },
    ]);
    const failed = await run(throwing);
    expect(failed).toMatchObject({ failed: 12, imported: 0 });
    expect(failed.failedByReason).toEqual({ decode_error: 12 });

    const controller = new AbortController();
    const cancelled = await run(undefined, {
      signal: controller.signal,
      concurrency: 1,
      onProgress: (c: { done: number }) => {
        if (c.done === 3) controller.abort();
      },
    });
    expect(cancelled.cancelled).toBe(true);
    expect(cancelled.imported).toBe(3);
    expect(cancelled.removed).toBe(0);
    const resumed = await run();
    expect(resumed).toMatchObject({ imported: 9, skipped: 3, cancelled: false });
    expect(existsSync(thumbs)).toBe(true);
  });

  it('fails the job clearly when the folder does not exist', async () => {
    const jobId = catalogue.jobs.create('import', 'x', {});
    await expect(
      importFolder({ root: path.join(work.dir, 'nope'), jobId, catalogue, registry: createDecoderRegistry([createSharpDecoder()]), thumbnailsDir: thumbs }),
    ).rejects.toThrow();
  });
});
