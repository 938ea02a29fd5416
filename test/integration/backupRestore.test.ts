/**
 * Backup and restore round trip: a small home (mednist images, a tiny model, embedded, a judgement) is
 * backed up while it is open, restored into a new home, and the restored home answers the same searches
 * with the same ids and distances. Restore refuses a non-empty home without --force and refuses a damaged
 * backup without touching the target.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../main/app/services';
import { readArchiveManifest } from '../../main/maintenance/archive';
import { backupHome, MaintenanceError, restoreHome } from '../../main/maintenance/backup';
import { checkHome } from '../../main/maintenance/check';
import { copyClasses, importFolder, installTinyModel, openTestServices, repoRoot, tempDir } from '../search/searchFixture';

const QUERIES = [1, 4, 9, 12];

async function answers(services: Services): Promise<{ id: number; distance: number }[][]> {
  const out: { id: number; distance: number }[][] = [];
  for (const q of QUERIES) out.push((await services.search.byImage(q, 8)).hits.map((h) => ({ id: h.image.id, distance: h.distance })));
  return out;
}

describe('backup and restore', () => {
  let work: ReturnType<typeof tempDir>;
  let home: string;
  let before: { id: number; distance: number }[][];
  let judgements: unknown[];
  let backupFile: string;

  beforeAll(async () => {
    work = tempDir('backup');
    const archive = copyClasses(work.dir, ['CXR', 'Hand', 'HeadCT'], 5);
    home = path.join(work.dir, 'home');
    const services = openTestServices(home);
    try {
      await importFolder(services, archive);
      await installTinyModel(services);
      const job = (await services.startEmbedding())!;
      expect((await services.jobs.waitFor(job)).state).toBe('done');
      before = await answers(services);
      expect(before[0]).toHaveLength(8);
      // A mark of the analyst's, which the backup must carry.
      services.catalogue.judgements.set('image:1', 1, [2, 3], 'relevant', '2025-01-01T00:00:00.000Z');
      judgements = services.catalogue.db.prepare('SELECT * FROM feedback_judgements ORDER BY image_id').all();
      expect(judgements).toHaveLength(2);
      // Backed up while the home is open (the app may be running): the online backup API takes a consistent copy.
      backupFile = path.join(work.dir, 'home.similabackup');
      const result = await backupHome({ home, env: {}, out: backupFile });
      expect(result.includes).toEqual({ models: true, uploads: true, thumbnails: true, indexes: true });
    } finally {
      await services.close();
    }
  }, 180_000);
  afterAll(() => work?.cleanup());

  it('writes one checksummed file holding the catalogue, the model package, thumbnails and the index', async () => {
    const { manifest } = await readArchiveManifest(backupFile);
    const paths = manifest.entries.map((e) => e.path);
    expect(paths[0]).toBe('catalogue.sqlite');
    expect(paths).toEqual(expect.arrayContaining(['models/tiny-7/manifest.json', 'models/tiny-7/weights.bin', 'indexes/1.hnsw', 'indexes/1.hnsw.json']));
    expect(paths.filter((p) => p.startsWith('thumbnails/'))).toHaveLength(15);
    expect(paths.some((p) => p.endsWith('.tmp') || p.includes('-wal'))).toBe(false);
    await expect(backupHome({ home, env: {}, out: backupFile })).rejects.toMatchObject({ code: 'out-exists' });
  });

  it('restores into a new home that answers the same searches with the same ids and distances, marks included', async () => {
    const restored = path.join(work.dir, 'restored');
    const result = await restoreHome({ file: backupFile, home: restored, env: {} });
    expect(result).toMatchObject({ images: 15, replaced: false });
    const services = openTestServices(restored);
    try {
      expect(await answers(services)).toEqual(before);
      expect(services.catalogue.db.prepare('SELECT * FROM feedback_judgements ORDER BY image_id').all()).toEqual(judgements);
    } finally {
      await services.close();
    }
    expect((await checkHome({ home: restored, env: {} })).problems).toEqual([]);
  }, 120_000);

  it('without the index, the restored home rebuilds it from the stored vectors and answers the same', async () => {
    const out = path.join(work.dir, 'no-index.similabackup');
    await backupHome({ home, env: {}, out, index: false });
    expect((await readArchiveManifest(out)).manifest.entries.some((e) => e.path.startsWith('indexes/'))).toBe(false);
    const restored = path.join(work.dir, 'restored-no-index');
    await restoreHome({ file: out, home: restored, env: {} });
    expect(readdirSync(path.join(restored, 'indexes'))).toEqual([]);
    const services = openTestServices(restored);
    try {
      const got = await answers(services);
      expect(got.map((hits) => hits.map((h) => h.id))).toEqual(before.map((hits) => hits.map((h) => h.id)));
      got.forEach((hits, q) => hits.forEach((h, i) => expect(h.distance).toBeCloseTo(before[q]![i]!.distance, 6)));
    } finally {
      await services.close();
    }
  }, 120_000);

  it('refuses a non-empty home without --force, replaces it with --force', async () => {
    const target = path.join(work.dir, 'occupied');
    mkdirSync(target, { recursive: true });
    writeFileSync(path.join(target, 'something.txt'), 'keep me');
    await expect(restoreHome({ file: backupFile, home: target, env: {} })).rejects.toMatchObject({ code: 'home-not-empty' });
    expect(readFileSync(path.join(target, 'something.txt'), 'utf8')).toBe('keep me');

    const cli = spawnSync(process.execPath, [path.join(repoRoot, 'bin/simila.js'), 'restore', backupFile, '--home', target, '--json'], { encoding: 'utf8' });
    expect(cli.status).toBe(2);
    expect(JSON.parse(cli.stdout)).toMatchObject({ error: { code: 'home-not-empty' } });

    const forced = await restoreHome({ file: backupFile, home: target, env: {}, force: true });
    expect(forced.replaced).toBe(true);
    expect(existsSync(path.join(target, 'something.txt'))).toBe(false);
    expect(existsSync(path.join(target, 'catalogue.sqlite'))).toBe(true);
    expect(readdirSync(work.dir).filter((n) => n.includes('.restore-') || n.includes('.replaced-'))).toEqual([]);
  }, 60_000);

  it('refuses a damaged backup and leaves the target as it was', async () => {
    const damaged = path.join(work.dir, 'damaged.similabackup');
    const bytes = readFileSync(backupFile);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    writeFileSync(damaged, bytes);
    const target = path.join(work.dir, 'from-damaged');
    const error = await restoreHome({ file: damaged, home: target, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MaintenanceError);
    expect(error).toMatchObject({ code: 'bad-archive', message: expect.stringContaining('does not match its checksum') });
    expect(existsSync(target)).toBe(false);
    writeFileSync(damaged, bytes.subarray(0, bytes.length - 100));
    await expect(restoreHome({ file: damaged, home: target, env: {} })).rejects.toMatchObject({ code: 'bad-archive', message: expect.stringContaining('truncated') });
    expect(readdirSync(work.dir).filter((n) => n.includes('.restore-'))).toEqual([]);
  });
});
