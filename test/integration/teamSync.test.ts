/**
 * Team store on a real PostgreSQL (issue 13): two data homes share images, vectors, a class, its labels
 * and marks through one team store; an incremental sync moves nothing when nothing changed; a conflicting
 * mark is resolved by the later edit on both homes. Skips with a sentence where PostgreSQL is missing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../main/app/services';
import { createLibraryHandlers } from '../../main/app/libraryHandlers';
import { thumbnailPath } from '../../main/ingest/thumbnails';
import { describePath, isRemotePath } from '../../shared/teamPaths';
import { openTeamStore, type TeamStore } from '../../main/team/teamStore';
import { syncWithTeam, lastSync } from '../../main/team/teamSync';
import { localModelKey } from '../../main/team/teamModels';
import { redactUrl, describeTeamError } from '../../main/team/teamUrl';
import { importFolder, installTinyModel, openTestServices, tempDir } from '../search/searchFixture';
import { makeImage } from '../ingest/support/fixtures';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres';

const skip = postgresUnavailable();
if (skip) console.warn(`[teamSync] skipped: ${skip}`);

describe.skipIf(skip)('team store sync between two data homes', () => {
  let server: TestPostgres;
  let store: TeamStore;
  const temp = tempDir('team-sync');
  let a: Services;
  let b: Services;

  beforeAll(async () => {
    server = (await startPostgres())!;
    store = await openTeamStore(await server.createDatabase('team_sync'));
    a = openTestServices(path.join(temp.dir, 'home-a'));
    b = openTestServices(path.join(temp.dir, 'home-b'));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await store?.close();
    server?.stop();
    temp.cleanup();
  });

  const sync = (s: Services) => syncWithTeam({ store, catalogue: s.catalogue, modelsDir: s.layout.models, thumbnailsDir: s.layout.thumbnails, workstation: s === a ? 'a' : 'b', pageSize: 4 });

  it('pushes images, vectors, a class with labels and marks from one home and pulls them into the other', async () => {
    const folder = path.join(temp.dir, 'archive');
    mkdirSync(folder, { recursive: true });
    for (let i = 0; i < 6; i++) writeFileSync(path.join(folder, `img${i}.png`), await makeImage('png', 40, 32, i + 1));
    const modelId = await installTinyModel(a);
    await importFolder(a, folder);
    const job = await a.startEmbedding();
    expect((await a.jobs.waitFor(job!)).state).toBe('done');
    const ids = a.catalogue.embeddings.ids(modelId);
    expect(ids).toHaveLength(6);
    const cls = a.catalogue.classes.create('Nodule');
    if (!cls.ok) throw new Error(cls.message);
    a.catalogue.classes.label(cls.value.id, ids.slice(0, 2), 'support');
    a.catalogue.judgements.set(`image:${ids[0]}`, modelId, [ids[1]!, ids[2]!], 'relevant', '2026-01-01T00:00:00.000Z');

    const first = await sync(a);
    expect(first.pushed.images).toBe(6);
    expect(first.pushed.vectors).toBe(6);
    expect(first.pushed.marks).toBe(2);

    const pulled = await sync(b);
    expect(pulled.pulled.images).toBe(6);
    expect(pulled.pulled.vectors).toBe(6);
    expect(pulled.pulled.models).toBeGreaterThanOrEqual(1);
    const key = localModelKey(a.catalogue, modelId)!;
    const bModel = b.catalogue.models.list().find((m) => localModelKey(b.catalogue, m.id) === key);
    expect(bModel).toBeDefined();
    expect(b.catalogue.embeddings.count(bModel!.id)).toBe(6);
    for (const id of ids) {
      const hash = a.catalogue.images.get(id)!.hash;
      const bId = b.catalogue.images.findByHash(hash)!.id;
      expect(Array.from(b.catalogue.embeddings.get(bModel!.id, bId)!)).toEqual(Array.from(a.catalogue.embeddings.get(modelId, id)!));
    }
    const bClass = b.catalogue.classes.list().find((c) => c.name === 'Nodule');
    expect(bClass?.counts.support).toBe(2);
    const q = b.catalogue.images.findByHash(a.catalogue.images.get(ids[0]!)!.hash)!.id;
    const marks = b.catalogue.judgements.list(`image:${q}`, bModel!.id);
    expect(marks.map((m) => m.judgement)).toEqual(['relevant', 'relevant']);
    expect(lastSync(b.catalogue)?.at).toBeTruthy();

    // The pulled images are listed in B's library (no file here: under their remote path) with A's thumbnails.
    const page = await createLibraryHandlers(b)['library.page']({ offset: 0, limit: 50 }, { mode: 'browser' });
    expect(page.total).toBe(6);
    expect(page.items.map((item) => item.name).sort()).toEqual(['img0.png', 'img1.png', 'img2.png', 'img3.png', 'img4.png', 'img5.png']);
    for (const item of page.items) {
      const image = b.catalogue.images.get(item.id)!;
      const thumb = thumbnailPath(b.layout.thumbnails, image.hash);
      expect(existsSync(thumb)).toBe(true);
      expect(readFileSync(thumb).equals(readFileSync(thumbnailPath(a.layout.thumbnails, image.hash)))).toBe(true);
      const [where] = b.catalogue.paths.listForImage(item.id);
      expect(isRemotePath(where!.path)).toBe(true);
      expect(describePath(where!.path)).toBe(`${path.join(folder, item.name)} (on another workstation: a)`);
    }

    // Nothing changed: the second sync moves nothing either way.
    const again = await sync(b);
    expect(again.pushed).toEqual({ images: 0, vectors: 0, classes: 0, labels: 0, marks: 0, models: 0 });
    expect(again.pulled).toEqual({ images: 0, vectors: 0, classes: 0, labels: 0, marks: 0, models: 0 });
    const againA = await sync(a);
    expect(againA.pushed.images + againA.pushed.vectors + againA.pushed.marks).toBe(0);
  });

  it('resolves a conflicting mark by the later edit on both homes, and shares a cleared mark', async () => {
    const aModel = a.catalogue.models.active()!.id;
    const key = localModelKey(a.catalogue, aModel)!;
    const bModel = b.catalogue.models.list().find((m) => localModelKey(b.catalogue, m.id) === key)!.id;
    const ids = a.catalogue.embeddings.ids(aModel);
    const hashOf = (id: number) => a.catalogue.images.get(id)!.hash;
    const bId = (id: number) => b.catalogue.images.findByHash(hashOf(id))!.id;
    // A marks image 3 relevant (earlier), B marks it not relevant (later); A syncs first.
    a.catalogue.judgements.set(`image:${ids[0]}`, aModel, [ids[3]!], 'relevant', '2026-02-01T10:00:00.000Z');
    b.catalogue.judgements.set(`image:${bId(ids[0]!)}`, bModel, [bId(ids[3]!)], 'not_relevant', '2026-02-01T11:00:00.000Z');
    await sync(a);
    await sync(b);
    await sync(a);
    expect(a.catalogue.judgements.lookup(`image:${ids[0]}`, aModel).get(ids[3]!)).toBe('not_relevant');
    expect(b.catalogue.judgements.lookup(`image:${bId(ids[0]!)}`, bModel).get(bId(ids[3]!))).toBe('not_relevant');
    // B clears a mark A made: after both sync, A no longer has it.
    b.catalogue.judgements.clear(`image:${bId(ids[0]!)}`, bModel, [bId(ids[1]!)]);
    await sync(b);
    await sync(a);
    expect(a.catalogue.judgements.lookup(`image:${ids[0]}`, aModel).has(ids[1]!)).toBe(false);
  });

  it('never prints the password of the team URL', () => {
    const url = 'postgres://analyst:s3cretPass@db.example:5432/team';
    expect(redactUrl(url)).not.toContain('s3cretPass');
    expect(describeTeamError(new Error(`connect failed for ${url}`), url)).not.toContain('s3cretPass');
  });
});
