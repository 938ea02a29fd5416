/**
 * Adaptation end to end through the handlers: classes and labels, an 'adapt' job on a small mednist
 * fixture (5-way, 4 support + 2 held-out shots, few steps) with the shipped model as parent, a child
 * model registered with its support set, activation with re-embedding from cached trunk features
 * (equal to a full embedding), revert to the parent, and images added by uploaded bytes.
 */
import { BACKGROUND_NICE } from '../../main/threads/threadPriority';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventOf } from '../../shared/rpc/contract';
import { createApp } from '../../main/app/createApp';
import type { SimilaApp } from '../../main/app/types';
import { openCatalogue } from '../../main/catalogue/catalogue';
import { loadModelPackage } from '../../main/ml/package/modelPackage';
import { normalisePixels, toInputPixels } from '../../main/ml/data/preprocess';
import { copyClasses, importFolder, mednist, openTestServices, repoRoot, tempDir } from '../search/searchFixture';

const ctx = { mode: 'browser' as const };
const CLASSES = ['AbdomenCT', 'BreastMRI', 'CXR', 'Hand', 'HeadCT'];
const PER_CLASS = 6;

describe.skipIf(!existsSync(mednist))('adaptation handlers', () => {
  let work: ReturnType<typeof tempDir>;
  let app: SimilaApp;
  let home: string;
  let archive: string;
  const progress: EventOf<'adapt.progress'>[] = [];

  beforeAll(async () => {
    work = tempDir('adaptation');
    archive = copyClasses(work.dir, CLASSES, PER_CLASS);
    home = path.join(work.dir, 'home');
    const setup = openTestServices(home, { shipped: repoRoot });
    await setup.engine.ready();
    await importFolder(setup, archive);
    await setup.close();
    app = await createApp({ home, mode: 'browser', env: {}, decodeInProcess: true, shippedModelsRoot: repoRoot, preferBackends: ['wasm'], progressThrottleMs: 0, resumeJobs: false });
    app.onEvent((event, payload) => {
      if (event === 'adapt.progress') progress.push(payload as EventOf<'adapt.progress'>);
    });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    work?.cleanup();
  });

  const idsOf = async (folder: string): Promise<number[]> => {
    const folders = await app.handlers['library.folders']({}, ctx);
    const id = folders.find((f) => f.path === path.join(archive, folder))!.id;
    return (await app.handlers['library.page']({ offset: 0, limit: 100, folderId: id }, ctx)).items.map((i) => i.id);
  };
  const waitForJob = async (jobId: number) => {
    for (;;) {
      const job = (await app.handlers['jobs.list']({}, ctx)).find((j) => j.jobId === jobId);
      if (job && ['done', 'failed', 'cancelled'].includes(job.state)) return job;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('keeps classes and labels, refusing bad input as values', async () => {
    const made = await app.handlers['classes.create']({ name: 'Scratch' }, ctx);
    await expect(app.handlers['classes.create']({ name: 'scratch' }, ctx)).rejects.toMatchObject({ code: 'bad_request' });
    const [a, b] = await idsOf('Hand');
    expect(await app.handlers['classes.addImages']({ id: made.id, imageIds: [a!, b!], role: 'support' }, ctx)).toMatchObject({ counts: { support: 2 } });
    expect(await app.handlers['classes.addImages']({ id: made.id, imageIds: [b!], role: 'holdout' }, ctx)).toMatchObject({ counts: { support: 1, holdout: 1 } });
    const images = await app.handlers['classes.images']({ id: made.id }, ctx);
    expect(images.map((i) => [i.image.id, i.role]).sort()).toEqual([[a, 'support'], [b, 'holdout']].sort());
    await expect(app.handlers['classes.addImages']({ id: made.id, imageIds: [99_999], role: 'support' }, ctx)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(app.handlers['classes.images']({ id: 424242 }, ctx)).rejects.toMatchObject({ code: 'not_found' });
    expect(await app.handlers['classes.removeImages']({ id: made.id, imageIds: [a!] }, ctx)).toMatchObject({ counts: { support: 0, holdout: 1 } });
    expect(await app.handlers['classes.rename']({ id: made.id, name: 'Renamed' }, ctx)).toMatchObject({ name: 'Renamed' });
    expect(await app.handlers['classes.delete']({ id: made.id }, ctx)).toEqual({ ok: true });
    expect((await app.handlers['classes.list']({}, ctx)).map((c) => c.name)).not.toContain('Renamed');
  });

  it('adds a dropped file by its bytes into uploads/ and refuses bytes that are no image', async () => {
    const cls = await app.handlers['classes.create']({ name: 'Uploaded' }, ctx);
    const file = readdirSync(path.join(mednist, 'ChestCT')).filter((f) => f.endsWith('.jpeg')).sort()[50]!;
    const bytes = readFileSync(path.join(mednist, 'ChestCT', file));
    const added = await app.handlers['classes.addUpload']({ id: cls.id, name: 'drop.jpeg', data: bytes.toString('base64'), role: 'support' }, ctx);
    expect(added.class.counts.support).toBe(1);
    expect(readdirSync(path.join(home, 'uploads'))).toHaveLength(1);
    expect((await app.handlers['library.image']({ id: added.image.id }, ctx)).paths[0]).toContain(path.join(home, 'uploads'));
    // The same bytes again: the same catalogue item, no second file.
    const again = await app.handlers['classes.addUpload']({ id: cls.id, name: 'again.jpeg', data: bytes.toString('base64'), role: 'support' }, ctx);
    expect(again.image.id).toBe(added.image.id);
    await expect(app.handlers['classes.addUpload']({ id: cls.id, name: 'x.jpeg', data: Buffer.from('not an image').toString('base64'), role: 'support' }, ctx)).rejects.toMatchObject({ code: 'bad_request' });
    await app.handlers['classes.delete']({ id: cls.id }, ctx);
  }, 60_000);

  /** One class per archive class, named `${prefix} NAME`: its first 4 images as support, the rest held out. */
  const createClasses = async (prefix: string) => {
    const classIds: number[] = [];
    const supportByClass: number[][] = [];
    for (const name of CLASSES) {
      const cls = await app.handlers['classes.create']({ name: `${prefix} ${name}` }, ctx);
      const ids = await idsOf(name);
      await app.handlers['classes.addImages']({ id: cls.id, imageIds: ids.slice(0, 4), role: 'support' }, ctx);
      await app.handlers['classes.addImages']({ id: cls.id, imageIds: ids.slice(4), role: 'holdout' }, ctx);
      classIds.push(cls.id);
      supportByClass.push(ids.slice(0, 4));
    }
    return { classIds, supportByClass };
  };

  it('adapts 5-way to a registered child with its support set, re-embeds it from cached trunk features, and reverts', async () => {
    const { classIds, supportByClass } = await createClasses('target');
    const parent = (await app.handlers['profiles.list']({}, ctx)).find((p) => p.active)!;
    // The archive embedding of the parent caches its trunk features in the same pass.
    const embedding = await app.handlers['embeddings.start']({}, ctx);
    expect((await waitForJob(embedding.jobId)).state).toBe('done');
    const trunkRows = () => {
      const reader = openCatalogue(path.join(home, 'catalogue.sqlite'));
      try {
        return reader.db.prepare('SELECT COUNT(DISTINCT trunk_key) AS keys, COUNT(*) AS n FROM trunk_features').get();
      } finally {
        reader.close();
      }
    };
    const imageCount = (await app.handlers['app.info']({}, ctx)).imageCount;
    expect(trunkRows()).toEqual({ keys: 1, n: imageCount });
    const estimate = await app.handlers['adapt.estimate']({ classIds, settings: { steps: 4 } }, ctx);
    expect(estimate).toMatchObject({ supportImages: 20, holdoutImages: 10, steps: 4 });
    // The shipped meta-learnt model's own inner loop (its manifest) under the one setting sent.
    expect(estimate.settings).toEqual({ group: 'last-stage-head', steps: 4, learningRate: 0.5, earlyStop: true });
    expect(estimate.seconds).toBeGreaterThan(0);

    const { jobId } = await app.handlers['adapt.start']({ classIds, name: 'mednist-5way', settings: { steps: 4, earlyStop: false, learningRate: 0.05 } }, ctx);
    expect((await waitForJob(jobId)).state).toBe('done');
    const result = await app.handlers['adapt.result']({ jobId }, ctx);
    expect(result.state).toBe('done');
    expect(result.model).toMatchObject({ name: 'mednist-5way', stage: 'adapted', parentId: parent.id });
    expect(result.curve.map((c) => c.step)).toEqual([1, 2, 3, 4]);
    expect(result.curve.every((c) => Number.isFinite(c.loss) && c.validation !== null)).toBe(true);
    expect(result.before?.queries).toBe(10);
    expect(result.after?.queries).toBe(10);
    // Live events carried the same curve.
    expect(progress.filter((p) => p.jobId === jobId && p.phase === 'adapt').map((p) => p.loss)).toEqual(result.curve.map((c) => c.loss));

    const child = (await app.handlers['profiles.list']({}, ctx)).find((p) => p.id === result.model!.id)!;
    expect(child).toMatchObject({ parentName: parent.name, classes: CLASSES.map((n) => `target ${n}`), supportImages: 20 });
    const catalogue = openCatalogue(path.join(home, 'catalogue.sqlite'));
    const record = catalogue.models.get(child.id)!;
    const classesRecorded = (record.manifest as { provenance: { options: { classes: { support: number[] }[] } } }).provenance.options.classes;
    expect(classesRecorded.map((c) => c.support)).toEqual(supportByClass);

    const activated = await app.handlers['profiles.activate']({ id: child.id }, ctx);
    expect(activated.profile.active).toBe(true);
    expect(activated.jobId).not.toBeNull();
    const reembed = await waitForJob(activated.jobId!);
    expect(reembed).toMatchObject({ kind: 'reembed', state: 'done' });
    // The child shares the parent's trunk: one key, every row reused (none computed again), no second copy.
    expect(trunkRows()).toEqual({ keys: 1, n: imageCount });
    expect((catalogue.jobs.get(activated.jobId!)!.progress as { summary: { fromCache: number } }).summary.fromCache).toBe(imageCount);
    // The head passes ran in a worker thread (the UI's event loop stays free), with the same vectors (below).
    const reembedSummary = (catalogue.jobs.get(activated.jobId!)!.progress as { summary: { headIn: string; headNice: number | null } }).summary;
    expect(reembedSummary.headIn).toBe('worker');
    // ...at a lower priority than the threads that serve pages and searches (where threads have their own).
    if (process.platform === 'linux') expect(reembedSummary.headNice).toBeGreaterThanOrEqual(BACKGROUND_NICE);
    const total = (await app.handlers['app.info']({}, ctx)).imageCount;
    expect(catalogue.embeddings.count(child.id)).toBe(total);

    // The vectors of a full embedding (decode -> whole network) of the child package, up to the 8-bit
    // storage of the cached trunk rows (trunkRowCodec.ts).
    const loaded = await loadModelPackage(path.join(home, 'models', record.dir));
    if (!loaded.ok) throw new Error(loaded.message);
    const spec = loaded.manifest.preprocess;
    const ids = (await idsOf('CXR')).slice(0, 3);
    let worst = 0;
    for (const id of ids) {
      const file = catalogue.paths.listForImage(id)[0]!.path;
      const input = normalisePixels(await toInputPixels(file, spec), spec);
      const full = tf.tidy(() => loaded.net.embed(tf.tensor4d(input, [1, spec.inputSize, spec.inputSize, spec.channels])).dataSync());
      const stored = catalogue.embeddings.get(child.id, id)!;
      full.forEach((v, d) => (worst = Math.max(worst, Math.abs(v - stored[d]!))));
    }
    loaded.net.dispose();
    expect(worst).toBeLessThan(0.02);

    const search = await app.handlers['search.byImage']({ id: ids[0]!, k: 3 }, ctx);
    expect(search.model.id).toBe(child.id);

    const reverted = await app.handlers['profiles.revert']({}, ctx);
    expect(reverted.profile).toMatchObject({ id: parent.id, active: true });
    await expect(app.handlers['profiles.revert']({ id: parent.id }, ctx)).rejects.toMatchObject({ code: 'bad_request' });
    catalogue.close();
  }, 240_000);
  it("'auto' tries each depth on the held-out shots and records them; a deeper child re-embeds from its own earlier stage", async () => {
    const { classIds } = await createClasses('depth');
    const parent = (await app.handlers['profiles.list']({}, ctx)).find((p) => p.stage !== 'adapted' && p.parentId === null && p.active) ?? (await app.handlers['profiles.revert']({}, ctx).catch(() => null))?.profile;
    expect(parent?.active).toBe(true);
    const embedding = await app.handlers['embeddings.start']({}, ctx);
    if (embedding.jobId !== null) expect((await waitForJob(embedding.jobId)).state).toBe('done');
    const imageCount = (await app.handlers['app.info']({}, ctx)).imageCount;
    // The wizard's costs: both depths, the deeper one with no cached rows (stage 3's input is over the cache cap).
    const estimate = await app.handlers['adapt.estimate']({ classIds, settings: { group: 'auto', steps: 3 } }, ctx);
    expect(estimate.depths?.map((d) => [d.group, d.fromStage])).toEqual([['last-stage-head', 4], ['last-two-stages-head', 3], ['rectifiers', 1]]);
    expect(estimate.archiveImages).toBe(imageCount);
    const [shallow, deep] = estimate.depths!;
    expect(shallow).toMatchObject({ cachedImages: imageCount, uncachedImages: 0 });
    expect(deep).toMatchObject({ cachedImages: 0, uncachedImages: imageCount });
    expect(deep!.reembedSeconds).toBeGreaterThan(shallow!.reembedSeconds);
    expect(deep!.adaptSeconds).toBeGreaterThan(shallow!.adaptSeconds);

    const { jobId } = await app.handlers['adapt.start']({ classIds, name: 'depth-auto', settings: { group: 'auto', steps: 3 } }, ctx);
    expect((await waitForJob(jobId)).state).toBe('done');
    const catalogue = openCatalogue(path.join(home, 'catalogue.sqlite'));
    try {
      const summary = (catalogue.jobs.get(jobId)!.progress as { summary: { group: string; candidates: { group: string; validation: number | null; fromStage: number }[] } }).summary;
      expect(summary.candidates.map((c) => c.group)).toEqual(['last-stage-head', 'last-two-stages-head', 'rectifiers']);
      expect(summary.candidates.every((c) => typeof c.validation === 'number')).toBe(true);
      const best = Math.max(...summary.candidates.map((c) => c.validation!));
      // The first candidate reaching the best score (cheapest on ties) is the one kept.
      expect(summary.group).toBe(summary.candidates.find((c) => c.validation! >= best - 1e-6)!.group);
      const result = await app.handlers['adapt.result']({ jobId }, ctx);
      const options = (catalogue.models.get(result.model!.id)!.manifest as { provenance: { options: { adaptation: { group: string }; fromStage: number; trunkKey: string; depth: { requested: string; candidates: unknown[] } } } }).provenance.options;
      expect(options.adaptation.group).toBe(summary.group);
      expect(options.depth).toMatchObject({ requested: 'auto' });
      expect(options.depth.candidates).toHaveLength(3);
      const chosenStage = summary.candidates.find((c) => c.group === summary.group)!.fromStage;
      expect(options.fromStage).toBe(chosenStage);
      expect(options.trunkKey.startsWith(`${chosenStage}-`)).toBe(true);

      // A child adapted on the last two stages: re-embedding computes its stage-3 rows from the files
      // (none cached, none stored) and gives the vectors of a full pass.
      const deeper = await app.handlers['adapt.start']({ classIds, name: 'depth-two', settings: { group: 'last-two-stages-head', steps: 2 } }, ctx);
      expect((await waitForJob(deeper.jobId)).state).toBe('done');
      const deepModel = (await app.handlers['adapt.result']({ jobId: deeper.jobId }, ctx)).model!;
      const keysBefore = catalogue.db.prepare('SELECT COUNT(DISTINCT trunk_key) AS keys FROM trunk_features').get();
      const activated = await app.handlers['profiles.activate']({ id: deepModel.id }, ctx);
      expect((await waitForJob(activated.jobId!)).state).toBe('done');
      const reembedSummary = (catalogue.jobs.get(activated.jobId!)!.progress as { summary: { fromStage: number; fromCache: number; embedded: number } }).summary;
      expect(reembedSummary).toMatchObject({ fromStage: 3, fromCache: 0, embedded: imageCount });
      expect(catalogue.db.prepare('SELECT COUNT(DISTINCT trunk_key) AS keys FROM trunk_features').get()).toEqual(keysBefore);
      const record = catalogue.models.get(deepModel.id)!;
      const loaded = await loadModelPackage(path.join(home, 'models', record.dir));
      if (!loaded.ok) throw new Error(loaded.message);
      const spec = loaded.manifest.preprocess;
      const id = (await idsOf('Hand'))[0]!;
      const input = normalisePixels(await toInputPixels(catalogue.paths.listForImage(id)[0]!.path, spec), spec);
      const full = tf.tidy(() => loaded.net.embed(tf.tensor4d(input, [1, spec.inputSize, spec.inputSize, spec.channels])).dataSync());
      loaded.net.dispose();
      const stored = catalogue.embeddings.get(deepModel.id, id)!;
      expect(Math.max(...Array.from(full, (v, d) => Math.abs(v - stored[d]!)))).toBeLessThan(1e-3);
      await app.handlers['profiles.activate']({ id: parent!.id }, ctx);
    } finally {
      catalogue.close();
    }
  }, 300_000);

  it('adapts one class alone (archive images stand in as the other class), and a cancelled run registers nothing', async () => {
    const cls = await app.handlers['classes.create']({ name: 'lonely' }, ctx);
    const ids = await idsOf('Hand');
    await app.handlers['classes.addImages']({ id: cls.id, imageIds: ids.slice(0, 2), role: 'support' }, ctx);
    const estimate = await app.handlers['adapt.estimate']({ classIds: [cls.id] }, ctx);
    expect(estimate.warnings.join(' ')).toMatch(/2 support images.*at least 3/);
    expect(estimate.warnings.join(' ')).toMatch(/no held-out image/);
    const models = (await app.handlers['profiles.list']({}, ctx)).length;
    const { jobId } = await app.handlers['adapt.start']({ classIds: [cls.id], settings: { steps: 3 } }, ctx);
    expect((await waitForJob(jobId)).state).toBe('done');
    const result = await app.handlers['adapt.result']({ jobId }, ctx);
    expect(result.model?.stage).toBe('adapted');
    expect(result.before).toBeNull(); // no held-out shots: no check, a fixed small budget
    expect(result.curve.map((c) => c.validation)).toEqual([null, null, null]);
    expect(result.curve.some((c) => c.loss > 0)).toBe(true);
    expect((await app.handlers['profiles.list']({}, ctx)).length).toBe(models + 1);

    const second = await app.handlers['adapt.start']({ classIds: [cls.id], settings: { steps: 200 } }, ctx);
    const off = app.onEvent((event, payload) => {
      if (event === 'adapt.progress' && (payload as EventOf<'adapt.progress'>).jobId === second.jobId && (payload as EventOf<'adapt.progress'>).step === 1) {
        void app.handlers['jobs.cancel']({ jobId: second.jobId }, ctx);
      }
    });
    expect((await waitForJob(second.jobId)).state).toBe('cancelled');
    off();
    const cancelled = await app.handlers['adapt.result']({ jobId: second.jobId }, ctx);
    expect(cancelled.model).toBeNull();
    expect(cancelled.curve.length).toBeLessThan(200);
    expect((await app.handlers['profiles.list']({}, ctx)).length).toBe(models + 1);
    await expect(app.handlers['adapt.result']({ jobId: 987654 }, ctx)).rejects.toMatchObject({ code: 'not_found' });
    // Four shots and none held out: the last is held out to choose the step count (so there is a
    // before/after check and early stop), then trained on with the others.
    const four = await app.handlers['classes.create']({ name: 'four' }, ctx);
    await app.handlers['classes.addImages']({ id: four.id, imageIds: ids.slice(2, 6), role: 'support' }, ctx);
    expect((await app.handlers['adapt.estimate']({ classIds: [four.id] }, ctx)).warnings.join(' ')).not.toMatch(/no held-out image/);
    const auto = await app.handlers['adapt.start']({ classIds: [four.id], settings: { steps: 4 } }, ctx);
    expect((await waitForJob(auto.jobId)).state).toBe('done');
    const autoResult = await app.handlers['adapt.result']({ jobId: auto.jobId }, ctx);
    expect(autoResult.before).not.toBeNull();
    expect(autoResult.curve.length).toBeGreaterThan(0);
    expect(autoResult.curve.every((c) => c.validation !== null)).toBe(true);
    const records = openCatalogue(path.join(home, 'catalogue.sqlite'));
    const options = (records.models.get(autoResult.model!.id)!.manifest as { provenance: { options: { autoHoldout: number[]; classes: { support: number[] }[] } } }).provenance.options;
    records.close();
    expect(options.autoHoldout).toEqual([ids[5]]);
    expect(options.classes[0]!.support).toEqual(ids.slice(2, 6));
    const empty = await app.handlers['classes.create']({ name: 'empty' }, ctx);
    await expect(app.handlers['adapt.start']({ classIds: [empty.id] }, ctx)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(app.handlers['adapt.start']({ classIds: [999_999] }, ctx)).rejects.toMatchObject({ code: 'not_found' });
  }, 120_000);
});
