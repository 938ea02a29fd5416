/**
 * "Refine model" end to end through the handlers on a small mednist fixture with the shipped model:
 * the query and the images judged relevant become the support set of the query's target class, the
 * rejected become its negatives, an 'adapt' job registers a child profile that is then activated and
 * re-embedded, and the next search of that query ranks with it (rejected still left out).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../main/app/createApp';
import type { SimilaApp } from '../../main/app/types';
import { openCatalogue } from '../../main/catalogue/catalogue';
import { refineClassName } from '../../main/feedback/feedbackService';
import { copyClasses, importFolder, mednist, openTestServices, repoRoot, tempDir } from '../search/searchFixture';

const ctx = { mode: 'browser' as const };
const CLASSES = ['Hand', 'CXR', 'HeadCT'];
const PER_CLASS = 5;

describe.skipIf(!existsSync(mednist))('feedback.refineModel', () => {
  let work: ReturnType<typeof tempDir>;
  let app: SimilaApp;
  let home: string;
  let archive: string;

  beforeAll(async () => {
    work = tempDir('refine');
    archive = copyClasses(work.dir, CLASSES, PER_CLASS);
    home = path.join(work.dir, 'home');
    const setup = openTestServices(home, { shipped: repoRoot });
    await setup.engine.ready();
    await importFolder(setup, archive);
    await setup.close();
    app = await createApp({ home, mode: 'browser', env: {}, decodeInProcess: true, shippedModelsRoot: repoRoot, preferBackends: ['wasm'], progressThrottleMs: 0, resumeJobs: false });
    const { jobId } = await app.handlers['embeddings.start']({}, ctx);
    await waitForJob(jobId);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    work?.cleanup();
  });

  async function waitForJob(jobId: number) {
    for (;;) {
      const job = (await app.handlers['jobs.list']({}, ctx)).find((j) => j.jobId === jobId);
      if (job && ['done', 'failed', 'cancelled'].includes(job.state)) return job;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 1200; i++) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('timed out');
  }
  const idsOf = async (folder: string): Promise<number[]> => {
    const folders = await app.handlers['library.folders']({}, ctx);
    const id = folders.find((f) => f.path === path.join(archive, folder))!.id;
    return (await app.handlers['library.page']({ offset: 0, limit: 100, folderId: id }, ctx)).items.map((i) => i.id);
  };

  it('refuses unknown lists and lists without a relevant mark as values', async () => {
    await expect(app.handlers['feedback.refineModel']({ listId: 424242 }, ctx)).rejects.toMatchObject({ code: 'not_found' });
    // The query itself counts as relevant unless rejected; with it rejected and no relevant mark there is nothing to adapt to.
    const [other] = await idsOf('CXR');
    const list = await app.handlers['search.byImage']({ id: other!, k: 5 }, ctx);
    const profiles = (await app.handlers['profiles.list']({}, ctx)).length;
    await app.handlers['feedback.judge']({ listId: list.listId!, imageIds: [other!], judgement: 'not_relevant' }, ctx);
    await expect(app.handlers['feedback.refineModel']({ listId: list.listId! }, ctx)).rejects.toMatchObject({ code: 'bad_request' });
    expect((await app.handlers['profiles.list']({}, ctx)).length).toBe(profiles);
  });

  it('adapts the active profile to the judgements, activates the child and re-embeds, and the next round ranks with it', async () => {
    const hands = await idsOf('Hand');
    const heads = await idsOf('HeadCT');
    const query = hands[0]!;
    const parent = (await app.handlers['profiles.list']({}, ctx)).find((p) => p.active)!;
    const first = await app.handlers['search.byImage']({ id: query, k: 10 }, ctx);
    const relevant = hands.slice(1, 4);
    const rejected = heads.slice(0, 2);
    await app.handlers['feedback.judge']({ listId: first.listId!, imageIds: relevant, judgement: 'relevant' }, ctx);
    await app.handlers['feedback.judge']({ listId: first.listId!, imageIds: rejected, judgement: 'not_relevant' }, ctx);

    const { jobId } = await app.handlers['feedback.refineModel']({ listId: first.listId! }, ctx);
    expect((await waitForJob(jobId)).state).toBe('done');
    const result = await app.handlers['adapt.result']({ jobId }, ctx);
    expect(result.model).toMatchObject({ stage: 'adapted', parentId: parent.id });
    const childId = result.model!.id;

    // The query's class: the query and the relevant as support, the rejected as negatives.
    const cls = (await app.handlers['classes.list']({}, ctx)).find((c) => c.name === refineClassName(`image:${query}`))!;
    expect(cls.counts).toEqual({ support: 4, holdout: 0, negative: 2 });
    const labels = await app.handlers['classes.images']({ id: cls.id }, ctx);
    expect(labels.filter((l) => l.role === 'support').map((l) => l.image.id).sort()).toEqual([query, ...relevant].sort());
    expect(labels.filter((l) => l.role === 'negative').map((l) => l.image.id).sort()).toEqual([...rejected].sort());

    // The child profile records that support set and the negatives it pushed away from.
    const child = (await app.handlers['profiles.list']({}, ctx)).find((p) => p.id === childId)!;
    expect(child).toMatchObject({ parentName: parent.name, classes: [cls.name], supportImages: 4 });
    const reader = openCatalogue(path.join(home, 'catalogue.sqlite'));
    try {
      const options = (reader.models.get(childId)!.manifest as { provenance: { options: { classes: { support: number[] }[]; negatives: number[] } } }).provenance.options;
      expect([...options.classes[0]!.support].sort()).toEqual([query, ...relevant].sort());
      expect([...options.negatives].sort()).toEqual([...rejected].sort());
    } finally {
      reader.close();
    }

    // Once the job ended the child is active; its re-embedding runs from the cached trunk features.
    const active = await waitFor(async () => (await app.handlers['profiles.list']({}, ctx)).find((p) => p.active && p.id === childId));
    expect(active.id).toBe(childId);
    const reembed = await waitFor(async () => (await app.handlers['jobs.list']({}, ctx)).find((j) => j.kind === 'reembed' && j.jobId > jobId));
    expect((await waitForJob(reembed.jobId)).state).toBe('done');

    // The next round of the query ranks with the child, keeps the marks and leaves the rejected out.
    const next = await app.handlers['search.byImage']({ id: query, k: 10 }, ctx);
    expect(next.model.id).toBe(childId);
    expect(next.hits.some((h) => rejected.includes(h.image.id))).toBe(false);
    const state = await app.handlers['feedback.state']({ listId: next.listId! }, ctx);
    expect(state.judgements.filter((j) => j.judgement === 'relevant').map((j) => j.imageId).sort()).toEqual([...relevant].sort());
    expect(state.judgements.filter((j) => j.judgement === 'not_relevant').map((j) => j.imageId).sort()).toEqual([...rejected].sort());

    // A second refinement of the same query reuses its class, whose labels follow the current marks.
    await app.handlers['feedback.clear']({ listId: next.listId!, imageIds: [relevant[2]!] }, ctx);
    const again = await app.handlers['feedback.refineModel']({ listId: next.listId! }, ctx);
    expect((await waitForJob(again.jobId)).state).toBe('done');
    const classes = (await app.handlers['classes.list']({}, ctx)).filter((c) => c.name === cls.name);
    expect(classes).toHaveLength(1);
    expect(classes[0]!.counts).toEqual({ support: 3, holdout: 0, negative: 2 });
    const grandchild = (await app.handlers['adapt.result']({ jobId: again.jobId }, ctx)).model!;
    expect(grandchild.parentId).toBe(childId);
    await waitFor(async () => (await app.handlers['profiles.list']({}, ctx)).find((p) => p.active && p.id === grandchild.id));
  }, 240_000);
});
