/**
 * `simila check` on a small real home (mednist images, a tiny model, embedded): it finds a deleted image
 * file, a truncated index, a tampered weights file, an index with fewer vectors than the catalogue, a
 * missing thumbnail and orphan thumbnails/renditions; `repair` fixes what can be rebuilt and says which it cannot.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalogue } from '../../main/catalogue/catalogue';
import { HnswIndex } from '../../main/index/hnswIndex';
import { indexPaths } from '../../main/index/indexFiles';
import { catalogueVectorSource, openModelIndex, saveModelIndex } from '../../main/index/modelIndex';
import { thumbnailPath } from '../../main/ingest/thumbnails';
import { checkHome, type CheckReport } from '../../main/maintenance/check';
import { remotePath } from '../../shared/teamPaths';
import { copyClasses, importFolder, installTinyModel, openTestServices, repoRoot, tempDir } from '../search/searchFixture';

const kinds = (report: CheckReport) => [...new Set(report.problems.map((p) => p.kind))].sort();

describe('simila check', () => {
  let work: ReturnType<typeof tempDir>;
  let home: string;
  let archive: string;
  let modelId: number;
  let modelDir: string;

  beforeAll(async () => {
    work = tempDir('check');
    archive = copyClasses(work.dir, ['Hand', 'HeadCT'], 5);
    home = path.join(work.dir, 'home');
    const services = openTestServices(home);
    try {
      await importFolder(services, archive);
      modelId = await installTinyModel(services);
      modelDir = path.join(services.layout.models, services.catalogue.models.get(modelId)!.dir);
      const job = (await services.startEmbedding())!;
      expect((await services.jobs.waitFor(job)).state).toBe('done');
    } finally {
      await services.close();
    }
  }, 120_000);
  afterAll(() => work?.cleanup());

  it('passes a sound home', async () => {
    const report = await checkHome({ home, env: {} });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checked.models).toEqual([{ id: modelId, name: 'tiny-7', vectors: 10, indexVectors: 10, weightsVerified: true }]);
    expect(report.checked.paths).toBe(10);
  });

  it("does not report a team image's remote path (its file is on another workstation) as missing", async () => {
    const catalogue = openCatalogue(path.join(home, 'catalogue.sqlite'));
    const first = catalogue.db.prepare('SELECT image_id, folder_id, size FROM image_paths ORDER BY image_id LIMIT 1').get() as { image_id: number; folder_id: number; size: number };
    const remote = remotePath('ws-2', '/archive/elsewhere/x.png', 'ab', 'png');
    catalogue.db.prepare('INSERT INTO image_paths (path, image_id, folder_id, size, mtime_ms) VALUES (?, ?, ?, ?, 0)').run(remote, first.image_id, first.folder_id, first.size);
    catalogue.close();
    try {
      const report = await checkHome({ home, env: {} });
      expect(report.checked.paths).toBe(11);
      expect(report.problems).toEqual([]);
    } finally {
      const again = openCatalogue(path.join(home, 'catalogue.sqlite'));
      again.db.prepare('DELETE FROM image_paths WHERE path = ?').run(remote);
      again.close();
    }
  });

  it('finds an index with fewer vectors than the catalogue; opening it rebuilds it and logs why; repair rebuilds the file', async () => {
    const catalogue = openCatalogue(path.join(home, 'catalogue.sqlite'));
    try {
      const source = catalogueVectorSource(catalogue, modelId)!;
      const ids = source.ids().slice(0, 6);
      const short = HnswIndex.create(source.dim);
      const found = source.get(ids);
      const vectors = new Float32Array(ids.length * source.dim);
      ids.forEach((id, i) => vectors.set(found.get(id)!, i * source.dim));
      short.add(ids, vectors);
      // Saved as if it reflected the catalogue's current revision (what a lost write would leave).
      await saveModelIndex({ dir: path.join(home, 'indexes'), modelId }, short, source.revision());

      const report = await checkHome({ home, env: {} });
      expect(kinds(report)).toEqual(['index-count']);
      expect(report.problems[0]).toMatchObject({ repairable: true, modelId, detail: expect.stringContaining('holds 6 vectors, the catalogue 10') });
      expect(report.ok).toBe(false);

      const logged: string[] = [];
      const opened = await openModelIndex({ dir: path.join(home, 'indexes'), modelId }, source, undefined, {}, (m) => logged.push(m));
      expect(opened.origin).toEqual({ kind: 'rebuilt', reason: 'count' });
      expect(opened.index.size).toBe(10);
      expect(logged.join('\n')).toMatch(/rebuilt from the 10 stored vectors \(the index holds another number of vectors/);
    } finally {
      catalogue.close();
    }
    const repaired = await checkHome({ home, env: {}, repair: true });
    expect(repaired.problems[0]).toMatchObject({ kind: 'index-count', repaired: true });
    expect(repaired.ok).toBe(true);
    expect((await checkHome({ home, env: {} })).problems).toEqual([]);
  });

  it('finds a deleted image file, a truncated index, tampered weights, a lost thumbnail and orphans; repair fixes what it can', async () => {
    const catalogue = openCatalogue(path.join(home, 'catalogue.sqlite'));
    const images = catalogue.db.prepare('SELECT i.id, i.hash, p.path FROM images i JOIN image_paths p ON p.image_id = i.id ORDER BY i.id').all() as { id: number; hash: string; path: string }[];
    catalogue.close();
    const [gone, thumbless] = images as [(typeof images)[0], (typeof images)[0]];
    rmSync(gone.path);
    rmSync(thumbnailPath(path.join(home, 'thumbnails'), thumbless.hash));
    const index = indexPaths(path.join(home, 'indexes'), modelId).index;
    truncateSync(index, Math.floor(statSync(index).size / 2));
    const weights = path.join(modelDir, 'weights.bin');
    const bytes = readFileSync(weights);
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    writeFileSync(weights, bytes);
    const orphanHash = 'ab'.padEnd(64, '0');
    const orphanThumb = thumbnailPath(path.join(home, 'thumbnails'), orphanHash);
    const orphanRendition = path.join(home, 'renditions', 'ab', `${orphanHash}.png`);
    mkdirSync(path.dirname(orphanThumb), { recursive: true });
    mkdirSync(path.dirname(orphanRendition), { recursive: true });
    writeFileSync(orphanThumb, 'x');
    writeFileSync(orphanRendition, 'x');

    const report = await checkHome({ home, env: {} });
    expect(kinds(report)).toEqual(['image-file-missing', 'index-corrupt', 'model-weights-checksum', 'orphan-rendition', 'orphan-thumbnail', 'thumbnail-missing']);
    const byKind = (kind: string) => report.problems.find((p) => p.kind === kind)!;
    expect(byKind('image-file-missing')).toMatchObject({ repairable: false, path: gone.path, imageId: gone.id });
    expect(byKind('model-weights-checksum')).toMatchObject({ repairable: false, path: weights, detail: expect.stringContaining('re-install') });
    expect(byKind('index-corrupt').repairable).toBe(true);

    const repaired = await checkHome({ home, env: {}, repair: true });
    expect(repaired.ok).toBe(false);
    const status = Object.fromEntries(repaired.problems.map((p) => [p.kind, p.repaired]));
    expect(status).toEqual({
      'image-file-missing': false,
      'index-corrupt': true,
      'model-weights-checksum': false,
      'orphan-rendition': true,
      'orphan-thumbnail': true,
      'thumbnail-missing': true,
    });
    expect(existsSync(gone.path)).toBe(false); // listed, never touched
    expect(existsSync(orphanThumb) || existsSync(orphanRendition)).toBe(false);
    expect(existsSync(thumbnailPath(path.join(home, 'thumbnails'), thumbless.hash))).toBe(true);

    const after = await checkHome({ home, env: {} });
    expect(kinds(after)).toEqual(['image-file-missing', 'model-weights-checksum']);
  }, 60_000);

  it('the CLI prints the JSON report and exits 1 while problems remain; a sample scan says so', () => {
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'bin/simila.js'), 'check', '--json', '--sample', '3', '--home', home], { encoding: 'utf8', env: { ...process.env, SIMILA_HOME: '' } });
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as CheckReport;
    expect(report.ok).toBe(false);
    expect(report.checked).toMatchObject({ sampled: true, paths: 3, pathsTotal: 10 });
    for (const p of report.problems) expect(Object.keys(p)).toEqual(expect.arrayContaining(['kind', 'detail', 'repairable']));
    expect(report.problems.map((p) => p.kind)).toContain('model-weights-checksum');
  }, 60_000);
});
