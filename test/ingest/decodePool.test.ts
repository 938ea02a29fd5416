// The decode pool pins a hang (timeout) or a process crash (decoder_crashed) on the one file that
// caused it, and the import goes on with fresh workers.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';
import { importFolder } from '../../main/ingest/importer';
import { createDefaultRegistry } from '../../main/ingest/decoders/defaultRegistry';
import { createDecodePool, defaultWorkerEntry, type DecodePool } from '../../main/ingest/pool/decodePool';
import { defaultPreprocessSpec } from '../../main/ml/data/preprocessSpec';
import { prepareInputs } from '../../main/search/inputPreparer';
import { makeImage, tempDir } from './support/fixtures';

const faultyEntry = fileURLToPath(new URL('./support/faultyWorkerMain.ts', import.meta.url));

async function pngWithText(text: string, seed: number): Promise<Buffer> {
  const base = await makeImage('png', 48, 32, seed);
  // A tEXt chunk is enough for the faulty decoder to see the marker (it does not check the CRC).
  const iend = base.lastIndexOf(Buffer.from('IEND')) - 4;
  const chunk = Buffer.concat([Buffer.alloc(4), Buffer.from('tEXt'), Buffer.from(`Comment\0${text}`), Buffer.alloc(4)]);
  chunk.writeUInt32BE(chunk.length - 12, 0);
  return Buffer.concat([base.subarray(0, iend), chunk, base.subarray(iend)]);
}

let work: ReturnType<typeof tempDir>;
let catalogue: Catalogue;
let pool: DecodePool | null = null;
beforeEach(() => {
  work = tempDir('pool');
  catalogue = openCatalogue(path.join(work.dir, 'catalogue.sqlite'));
});
afterEach(async () => {
  await pool?.close();
  pool = null;
  catalogue.close();
  work.cleanup();
});

describe('decode pool', () => {
  it('fails a hanging file with timeout and a crashing one with decoder_crashed; the others import', async () => {
    const archive = path.join(work.dir, 'archive');
    mkdirSync(archive);
    for (let i = 0; i < 6; i++) writeFileSync(path.join(archive, `good-${i}.jpg`), await makeImage('jpeg', 40 + i, 30, i + 1));
    writeFileSync(path.join(archive, 'good-png.png'), await pngWithText('fine', 50));
    writeFileSync(path.join(archive, 'hang.png'), await pngWithText('simila-hang', 51));
    writeFileSync(path.join(archive, 'crash.png'), await pngWithText('simila-crash', 52));
    pool = createDecodePool({ size: 2, worker: { ...defaultWorkerEntry(), entry: faultyEntry } });
    const jobId = catalogue.jobs.create('import', archive, { root: archive });
    const started = performance.now();
    const summary = await importFolder({
      root: archive, jobId, catalogue, reader: pool, thumbnailsDir: path.join(work.dir, 'thumbs'),
      concurrency: 4, limits: { timeoutSeconds: 2 },
    });
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(summary).toMatchObject({ imported: 7, failed: 2 });
    const failures = Object.fromEntries(catalogue.failures.listForJob(jobId, 10).map((f) => [path.basename(f.path), f]));
    expect(failures['hang.png']?.code).toBe('timeout');
    expect(failures['crash.png']?.code).toBe('decoder_crashed');
    expect(failures['crash.png']?.message).toMatch(/SIGABRT/);
    // Both slots still serve files afterwards: killed workers were replaced.
    const good = path.join(archive, 'good-0.jpg');
    const leases = await Promise.all([pool.open({ path: good, size: 0, mtimeMs: 0 }, 1e9), pool.open({ path: good, size: 0, mtimeMs: 0 }, 1e9)]);
    const hashes = await Promise.all(leases.map((l) => l.hash()));
    leases.forEach((l) => l.release());
    expect(hashes.every((h) => h.ok)).toBe(true);
    expect(pool.started).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('with several files in flight on one worker, a crash or a hang is pinned on its own file by running each again alone', async () => {
    const archive = path.join(work.dir, 'archive');
    mkdirSync(archive);
    for (let i = 0; i < 3; i++) writeFileSync(path.join(archive, `a-good-${i}.png`), await pngWithText(`fine ${i}`, 60 + i));
    writeFileSync(path.join(archive, 'b-crash.png'), await pngWithText('simila-crash', 70));
    for (let i = 3; i < 6; i++) writeFileSync(path.join(archive, `c-good-${i}.png`), await pngWithText(`fine ${i}`, 60 + i));
    writeFileSync(path.join(archive, 'd-hang.png'), await pngWithText('simila-hang', 71));
    for (let i = 6; i < 9; i++) writeFileSync(path.join(archive, `e-good-${i}.png`), await pngWithText(`fine ${i}`, 60 + i));
    // One worker and as many files open on it as the import has in flight: every failure shares its worker.
    pool = createDecodePool({ size: 1, filesPerWorker: 4, worker: { ...defaultWorkerEntry(), entry: faultyEntry } });
    const jobId = catalogue.jobs.create('import', archive, { root: archive });
    const summary = await importFolder({
      root: archive, jobId, catalogue, reader: pool, thumbnailsDir: path.join(work.dir, 'thumbs'),
      concurrency: 4, limits: { timeoutSeconds: 2 },
    });
    const failures = catalogue.failures.listForJob(jobId, 10).map((f) => [path.basename(f.path), f.code]);
    expect(failures.sort()).toEqual([['b-crash.png', 'decoder_crashed'], ['d-hang.png', 'timeout']]);
    expect(summary).toMatchObject({ imported: 9, failed: 2 });
  }, 60_000);

  it('a worker asked to store the thumbnail writes it itself and sends no bytes', async () => {
    pool = createDecodePool({ size: 1 });
    const file = path.join(work.dir, 'b.png');
    writeFileSync(file, await makeImage('png', 64, 48, 5));
    const content = await pool.open({ path: file, size: 0, mtimeMs: 0 }, 1e9);
    expect((await content.hash()).ok).toBe(true);
    const thumbnailFile = path.join(work.dir, 'thumbs', 'ab', 'b.webp');
    const decoded = await content.decode({ maxPixels: 1e6, thumbnailSize: 32, timeoutSeconds: 10 }, thumbnailFile);
    content.release();
    expect(decoded.ok && decoded.image.thumbnailFile).toBe(thumbnailFile);
    expect(decoded.ok && decoded.image.thumbnail.length).toBe(0);
    expect(existsSync(thumbnailFile)).toBe(true);
    expect(readFileSync(thumbnailFile).subarray(8, 12).toString('latin1')).toBe('WEBP');
  }, 30_000);

  it('worker processes go away when the pool closes', async () => {
    pool = createDecodePool({ size: 2 });
    const file = path.join(work.dir, 'a.jpg');
    writeFileSync(file, await makeImage('jpeg', 20, 20, 3));
    const content = await pool.open({ path: file, size: 0, mtimeMs: 0 }, 1e9);
    const hashed = await content.hash();
    expect(hashed.ok && hashed.hash).toMatch(/^[0-9a-f]{64}$/);
    const decoded = await content.decode({ maxPixels: 1e6, thumbnailSize: 16, timeoutSeconds: 10 });
    expect(decoded.ok && decoded.image.width).toBe(20);
    expect(decoded.ok && Buffer.isBuffer(decoded.image.thumbnail)).toBe(true);
    content.release();
    await pool.close();
    const again = await pool.open({ path: file, size: 0, mtimeMs: 0 }, 1e9);
    expect(await again.hash()).toMatchObject({ ok: false, code: 'internal' });
  }, 30_000);

  it('prepares a 16-bit DICOM frame in a worker exactly as in this process (its pixels cross as floats, not 8 bits)', async () => {
    pool = createDecodePool({ size: 1 });
    const dataRoot = process.env.SIMILA_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
    const ct = readFileSync(path.join(dataRoot, 'dicom/pydicom_test_files/CT_small.dcm'));
    const spec = defaultPreprocessSpec(32, 1);
    const there = await pool.prepare(ct, spec);
    const here = await prepareInputs(createDefaultRegistry(), ct, spec);
    expect(there.ok && here.ok).toBe(true);
    if (!there.ok || !here.ok) return;
    expect(Array.from(there.inputs)).toEqual(Array.from(here.inputs));
    // Not 8-bit levels: a frame windowed in float keeps values between the 256 steps.
    const steps = new Set(Array.from(here.inputs, (v) => Math.round(((v * spec.std[0]! + spec.mean[0]!) * 255) % 1 * 1e3)));
    expect(steps.size).toBeGreaterThan(1);
  }, 30_000);

  it('prepares uploaded bytes for the network in a worker: the same input as in this process, and a crash or a hang fails only that upload', async () => {
    pool = createDecodePool({ size: 1, filesPerWorker: 2, prepareTimeoutSeconds: 2, worker: { ...defaultWorkerEntry(), entry: faultyEntry } });
    const spec = defaultPreprocessSpec(32, 3);
    const good = await pngWithText('fine', 80);
    const there = await pool.prepare(good, spec);
    const here = await prepareInputs(createDefaultRegistry(), good, spec);
    expect(there.ok && here.ok).toBe(true);
    if (!there.ok || !here.ok) return;
    expect(there.inputs).toBeInstanceOf(Float32Array);
    expect(there.inputs.length).toBe(32 * 32 * 3);
    expect(Array.from(there.inputs)).toEqual(Array.from(here.inputs));

    const startedBefore = pool.started;
    const [crashed, fine] = await Promise.all([pool.prepare(await pngWithText('simila-crash', 81), spec), pool.prepare(await pngWithText('fine too', 82), spec)]);
    expect(crashed).toMatchObject({ ok: false, code: 'decoder_crashed' });
    expect(fine.ok).toBe(true);
    expect(await pool.prepare(await pngWithText('simila-hang', 83), spec)).toMatchObject({ ok: false, code: 'timeout' });
    expect(await pool.prepare(Buffer.from('not an image at all'), spec)).toMatchObject({ ok: false, code: 'unsupported_format' });
    // Killed workers were replaced and the pool still prepares.
    expect(pool.started).toBeGreaterThan(startedBefore);
    expect((await pool.prepare(good, spec)).ok).toBe(true);
  }, 60_000);
});
