// DICOM through the whole import (decode worker pool, catalogue meta) and the viewer's views.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDicomViews, type DicomViews } from '../../main/app/dicomViews';
import { openServices, type Services } from '../../main/app/services';
import { decodeDicom } from '../../main/ingest/dicom';
import { IMPORT_JOB_KIND } from '../../main/ingest/importJob';
import { thumbnailPath } from '../../main/ingest/thumbnails';
import { dataRoot, tempDir } from './support/fixtures';

const corpus = path.join(dataRoot(), 'dicom');
const FILES = {
  ct: 'pydicom_test_files/CT_small.dcm',
  multiFrame: 'pydicom_data/emri_small.dcm',
  jpegLs: 'pydicom_test_files/MR_small_jpeg_ls_lossless.dcm',
  uncompressedMr: 'pydicom_test_files/MR_small.dcm',
} as const;

let work: ReturnType<typeof tempDir>;
let services: Services;
let views: DicomViews;
const ids: Record<string, number> = {};

describe.skipIf(!existsSync(corpus))('DICOM import', () => {
  beforeAll(async () => {
    work = tempDir('dicom-import');
    const archive = path.join(work.dir, 'archive');
    mkdirSync(archive);
    for (const [key, rel] of Object.entries(FILES)) copyFileSync(path.join(corpus, rel), path.join(archive, `${key}.bin`)); // names say nothing
    services = openServices({ home: path.join(work.dir, 'home'), env: {}, decodeWorkers: 2 });
    views = createDicomViews(services.catalogue);
    const jobId = services.jobs.enqueue(IMPORT_JOB_KIND, archive, { root: archive });
    const finished = await services.jobs.waitFor(jobId);
    expect(finished.summary).toMatchObject({ imported: 4, failed: 0 });
    for (const key of Object.keys(FILES)) {
      const p = services.catalogue.paths.find(path.join(archive, `${key}.bin`));
      if (!p) throw new Error(`${key} was not catalogued`);
      ids[key] = p.imageId;
    }
  }, 120_000);
  afterAll(async () => {
    await services?.close();
    work?.cleanup();
  });

  it('stores CT_small.dcm header facts and its Hounsfield range, and no patient data', async () => {
    const image = services.catalogue.images.get(ids.ct!)!;
    const reference = await decodeDicom(new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(path.join(corpus, FILES.ct)))));
    if (!reference.ok) throw new Error(reference.message);
    const frame = await reference.image.frame(0);
    if (!frame.ok || frame.frame.kind !== 'mono') throw new Error('CT must decode to modality values');
    expect(image).toMatchObject({ format: 'dicom', width: 128, height: 128 });
    expect(image.meta).toMatchObject({
      modality: 'CT',
      frames: 1,
      transfer_syntax: '1.2.840.10008.1.2.1',
      bits_allocated: 16,
      photometric: 'MONOCHROME2',
      value_min: frame.frame.min,
      value_max: frame.frame.max,
    });
    expect(image.meta.value_min as number).toBeLessThan(0); // air below zero HU after the intercept
    expect(image.meta.study_uid).toMatch(/^[0-9.]+$/);
    expect(JSON.stringify(image.meta)).not.toMatch(/CompressedSamples|Patient/i);
    const thumb = await sharp(thumbnailPath(services.layout.thumbnails, image.hash)).stats();
    expect(thumb.channels[0]!.max).toBeGreaterThan(thumb.channels[0]!.min); // windowed, not flat

    const info = views.info(ids.ct!);
    expect(info).toMatchObject({ frames: 1, rows: 128, columns: 128, monochrome: true, valueRange: { min: frame.frame.min, max: frame.frame.max } });
    expect(info.tags.Modality).toBe('CT');
  });

  it('renders a frame with a given window: a narrower window gives more contrast, invert flips it', async () => {
    const pixels = async (png: string) => sharp(Buffer.from(png.split(',')[1]!, 'base64')).raw().toBuffer();
    const wide = await views.render(ids.ct!, 0, { center: 40, width: 4000, fn: 'LINEAR' });
    const narrow = await views.render(ids.ct!, 0, { center: 40, width: 400, fn: 'LINEAR' });
    const inverted = await views.render(ids.ct!, 0, { center: 40, width: 400, fn: 'LINEAR' }, true);
    expect(wide.png.startsWith('data:image/png;base64,')).toBe(true);
    expect(narrow.window).toEqual({ center: 40, width: 400, fn: 'LINEAR' });
    const [w, n, i] = await Promise.all([pixels(wide.png), pixels(narrow.png), pixels(inverted.png)]);
    const spread = (b: Buffer) => Math.max(...b) - Math.min(...b);
    expect(spread(n)).toBeGreaterThan(spread(w));
    expect(i.every((v, k) => v === 255 - n[k]!)).toBe(true);
    await expect(views.render(ids.ct!, 1)).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('keeps one item per multi-frame file with its frame count, and scrolls frames', async () => {
    const info = views.info(ids.multiFrame!);
    expect(info.frames).toBe(10);
    const first = await views.render(ids.multiFrame!, 0);
    const last = await views.render(ids.multiFrame!, 9);
    expect(first.png).not.toBe(last.png);
    const values = await views.modalityFrame(ids.multiFrame!, 3);
    expect(values.data).toBeInstanceOf(Float32Array);
    expect(values.data.length).toBe(info.rows * info.columns);
  });

  it('decodes JPEG-LS to the same full-range values as the uncompressed twin', async () => {
    expect(services.catalogue.images.get(ids.jpegLs!)!.meta.transfer_syntax).toBe('1.2.840.10008.1.2.4.80');
    const [ls, plain] = await Promise.all([views.modalityFrame(ids.jpegLs!), views.modalityFrame(ids.uncompressedMr!)]);
    expect(ls.max).toBeGreaterThan(255); // 16-bit values kept, not flattened to 8 bits
    expect(Array.from(ls.data)).toEqual(Array.from(plain.data));
  });

  it('refuses non-DICOM ids', () => {
    expect(() => views.info(999_999)).toThrow(/no DICOM image/);
  });
});
