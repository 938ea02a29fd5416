import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../main/app/createApp';
import type { SimilaApp } from '../../main/app/types';
import { IMPORT_JOB_KIND } from '../../main/ingest/importJob';
import { copyClasses, installTinyModel, openTestServices, tempDir } from '../search/searchFixture';

const ctx = { mode: 'browser' as const };

describe('search handlers', () => {
  let work: ReturnType<typeof tempDir>;
  let app: SimilaApp;
  let archive: string;

  beforeAll(async () => {
    work = tempDir('search-handlers');
    archive = copyClasses(work.dir, ['CXR', 'Hand'], 4);
    const home = path.join(work.dir, 'home');
    // A tiny model registered and active before the app starts (no shipped model in this home).
    const setup = openTestServices(home);
    await installTinyModel(setup);
    await setup.close();
    app = await createApp({ home, mode: 'browser', env: { SIMILA_DATA: archive }, decodeInProcess: true, shippedModelsRoot: null, preferBackends: ['wasm'], autoEmbed: true, progressThrottleMs: 0 });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    work?.cleanup();
  });

  it('embeds after an import by itself, then searches by id and by uploaded bytes', async () => {
    expect((await app.handlers['app.info']({}, ctx)).backend).toBeNull();
    const done = new Promise<void>((resolve) => {
      app.onEvent((event, payload) => {
        if (event === 'job.progress' && 'kind' in payload && payload.kind === 'embed' && payload.state === 'done') resolve();
      });
    });
    const roots = await app.handlers['fs.roots']({}, ctx);
    const handle = roots.find((r) => r.display === archive)!.handle;
    await app.handlers['import.start']({ handle }, ctx);
    await done;
    const jobs = await app.handlers['jobs.list']({}, ctx);
    expect(jobs.map((j) => j.kind)).toEqual(['embed', IMPORT_JOB_KIND]);

    const status = await app.handlers['embeddings.status']({}, ctx);
    expect(status).toMatchObject({ embedded: 8, total: 8, jobId: null, backend: 'wasm', model: { name: 'tiny-7', active: true } });
    expect((await app.handlers['app.info']({}, ctx)).backend).toBe('wasm');
    expect(await app.handlers['models.list']({}, ctx)).toHaveLength(1);

    const byImage = await app.handlers['search.byImage']({ id: 2, k: 3 }, ctx);
    expect(byImage.hits).toHaveLength(3);
    const file = path.join(archive, 'Hand', readFileSyncName(archive));
    const upload = await app.handlers['search.byUpload']({ name: 'q.jpeg', data: readFileSync(file).toString('base64'), k: 2 }, ctx);
    expect(upload.hits[0]!.distance).toBeLessThan(1e-3);
    await expect(app.handlers['search.byUpload']({ name: 'q', data: '!!notbase64', k: 2 }, ctx)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(app.handlers['models.activate']({ id: 999 }, ctx)).rejects.toMatchObject({ code: 'not_found' });
  }, 120_000);

  it('a list whose query image had no stored vector (embedded on the spot) can still be re-ranked', async () => {
    const db = new Database(path.join(work.dir, 'home', 'catalogue.sqlite'));
    try {
      expect(db.prepare('DELETE FROM embeddings WHERE image_id = 3').run().changes).toBe(1);
    } finally {
      db.close();
    }
    const list = await app.handlers['search.byImage']({ id: 3, k: 3 }, ctx);
    expect(list.hits.length).toBeGreaterThan(1);
    await app.handlers['feedback.judge']({ listId: list.listId!, imageIds: [list.hits[1]!.image.id], judgement: 'relevant' }, ctx);
    const reranked = await app.handlers['feedback.rerank']({ listId: list.listId!, k: 3 }, ctx);
    expect(reranked.hits.length).toBeGreaterThan(0);
  }, 60_000);
});

function readFileSyncName(archive: string): string {
  return readdirSync(path.join(archive, 'Hand')).sort()[0]!;
}
