/**
 * The fake back end behind classes.*, adapt.* and profiles.* for component tests: classes with
 * labelled images in memory, an adaptation that only starts (the test emits its progress), and two
 * profiles (the base model and, once a run is done, its adapted child).
 */
import type { AdaptResult, ImageSummary, LabelRole, LabelledImage, Profile, RequestOf, ResponseOf, TargetClass } from '@shared/rpc/contract';
import { RpcCallError } from '../../renderer/src/rpc/types';

export interface FakeAdaptation {
  handlers: {
    'classes.list': () => Promise<ResponseOf<'classes.list'>>;
    'classes.create': (r: RequestOf<'classes.create'>) => Promise<ResponseOf<'classes.create'>>;
    'classes.images': (r: RequestOf<'classes.images'>) => Promise<ResponseOf<'classes.images'>>;
    'classes.addImages': (r: RequestOf<'classes.addImages'>) => Promise<ResponseOf<'classes.addImages'>>;
    'classes.removeImages': (r: RequestOf<'classes.removeImages'>) => Promise<ResponseOf<'classes.removeImages'>>;
    'classes.addUpload': (r: RequestOf<'classes.addUpload'>) => Promise<ResponseOf<'classes.addUpload'>>;
    'adapt.estimate': (r: RequestOf<'adapt.estimate'>) => Promise<ResponseOf<'adapt.estimate'>>;
    'adapt.start': (r: RequestOf<'adapt.start'>) => Promise<ResponseOf<'adapt.start'>>;
    'adapt.result': (r: RequestOf<'adapt.result'>) => Promise<ResponseOf<'adapt.result'>>;
    'profiles.list': () => Promise<ResponseOf<'profiles.list'>>;
    'profiles.activate': (r: RequestOf<'profiles.activate'>) => Promise<ResponseOf<'profiles.activate'>>;
    'profiles.revert': (r: RequestOf<'profiles.revert'>) => Promise<ResponseOf<'profiles.revert'>>;
  };
  /** Marks the started run done with this before/after and registers its adapted profile. */
  finish(jobId: number, before: number, after: number): void;
  profiles(): Profile[];
}

const score = (mapAtR: number) => ({ mapAtR, precisionAt5: mapAtR, recallAt1: 1, queries: 2 });

export function createFakeAdaptation(imageOf: (id: number) => ImageSummary): FakeAdaptation {
  const classes = new Map<number, { cls: Omit<TargetClass, 'counts'>; labels: Map<number, LabelRole> }>();
  const results = new Map<number, AdaptResult>();
  const base: Profile = {
    id: 3, name: 'stage1-conv4', stage: 'pretrain', embeddingDim: 64, inputSize: 48, active: true, parentId: null,
    createdAt: '2026-01-01T00:00:00Z', version: 1, parentName: null, classes: [], supportImages: 0, before: null, after: null,
  };
  let profiles: Profile[] = [base];
  let nextClass = 1;
  let nextJob = 40;
  let nextUpload = 90_000;

  function summary(id: number): TargetClass {
    const entry = classes.get(id);
    if (!entry) throw new RpcCallError('not_found', 'That class does not exist.');
    const counts = { support: 0, holdout: 0, negative: 0 };
    for (const role of entry.labels.values()) counts[role]++;
    return { ...entry.cls, counts };
  }
  function entryOf(id: number) {
    const entry = classes.get(id);
    if (!entry) throw new RpcCallError('not_found', 'That class does not exist.');
    return entry;
  }
  function activate(id: number): ResponseOf<'profiles.activate'> {
    const target = profiles.find((p) => p.id === id);
    if (!target) throw new RpcCallError('not_found', 'That profile does not exist.');
    profiles = profiles.map((p) => ({ ...p, active: p.id === id }));
    return { profile: { ...target, active: true }, jobId: target.parentId === null ? null : 77 };
  }

  return {
    handlers: {
      'classes.list': async () => [...classes.keys()].map(summary),
      'classes.create': async ({ name }) => {
        const id = nextClass++;
        classes.set(id, { cls: { id, name, createdAt: '2026-02-01T00:00:00Z' }, labels: new Map() });
        return summary(id);
      },
      'classes.images': async ({ id, role }) =>
        [...entryOf(id).labels].filter(([, r]) => !role || r === role).map(([imageId, r]): LabelledImage => ({ image: imageOf(imageId), classId: id, role: r })),
      'classes.addImages': async ({ id, imageIds, role }) => {
        for (const imageId of imageIds) entryOf(id).labels.set(imageId, role ?? 'support');
        return summary(id);
      },
      'classes.removeImages': async ({ id, imageIds }) => {
        for (const imageId of imageIds) entryOf(id).labels.delete(imageId);
        return summary(id);
      },
      'classes.addUpload': async ({ id, name, role }) => {
        const imageId = nextUpload++;
        entryOf(id).labels.set(imageId, role ?? 'support');
        return { image: { ...imageOf(imageId), name }, class: summary(id) };
      },
      'adapt.estimate': async ({ classIds, settings }) => {
        const counts = classIds.map(summary);
        const support = counts.reduce((s, c) => s + c.counts.support, 0);
        const steps = settings?.steps ?? 10;
        // The fake parent model's own settings, as a meta-learnt model records them, under the ones sent.
        const effective = { group: settings?.group ?? 'last-stage-head', steps, learningRate: settings?.learningRate ?? 0.5, earlyStop: settings?.earlyStop ?? true };
        // Cost per depth: 100 archive images, 60 with cached last-stage rows; deeper depths re-embed from the files.
        const depth = (group: 'last-stage-head' | 'last-two-stages-head' | 'rectifiers', fromStage: number, perStep: number, cached: number) => ({
          group,
          fromStage,
          adaptSeconds: support * steps * perStep,
          reembedSeconds: cached * 0.001 + (100 - cached) * 0.02,
          cachedImages: cached,
          uncachedImages: 100 - cached,
          measured: true,
        });
        const all = [depth('last-stage-head', 4, 0.01, 60), depth('last-two-stages-head', 3, 0.03, 0), depth('rectifiers', 1, 0.2, 0)];
        const depths = effective.group === 'auto' ? all : all.filter((d) => d.group === effective.group);
        const seconds = effective.group === 'auto' ? depths.reduce((s, d) => s + d.adaptSeconds, 0) : support * steps * 0.01;
        return { supportImages: support, holdoutImages: counts.reduce((s, c) => s + c.counts.holdout, 0), steps, settings: effective, seconds, warnings: [], archiveImages: 100, depths };
      },
      'adapt.start': async ({ classIds }) => {
        const jobId = nextJob++;
        results.set(jobId, { jobId, state: 'running', model: null, classIds, before: null, after: null, curve: [], steps: 0, stoppedEarly: false, seconds: 0, message: null });
        return { jobId };
      },
      'adapt.result': async ({ jobId }) => {
        const result = results.get(jobId);
        if (!result) throw new RpcCallError('not_found', 'No such adaptation job.');
        return result;
      },
      'profiles.list': async () => profiles,
      'profiles.activate': async ({ id }) => activate(id),
      'profiles.revert': async ({ id }) => {
        const from = profiles.find((p) => p.id === (id ?? profiles.find((q) => q.active)?.id));
        if (!from || from.parentId === null) throw new RpcCallError('bad_request', 'That profile has no parent.');
        return activate(from.parentId);
      },
    },
    finish(jobId, before, after) {
      const result = results.get(jobId);
      if (!result) throw new Error(`no job ${jobId}`);
      const child: Profile = {
        ...base, id: 50 + jobId, name: `stage1-conv4-adapted-${jobId}`, stage: 'adapted', active: false, parentId: base.id, parentName: base.name,
        classes: result.classIds.map((c) => summary(c).name), supportImages: 5, before: score(before), after: score(after), version: 2,
      };
      profiles = [...profiles, child];
      const { version: _v, parentName: _pn, classes: _c, supportImages: _s, before: _b, after: _a, ...model } = child;
      results.set(jobId, { ...result, state: 'done', model, before: score(before), after: score(after), steps: 12, seconds: 1.5 });
    },
    profiles: () => profiles,
  };
}
