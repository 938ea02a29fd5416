/**
 * State of the "Teach a class" wizard: target classes and their shots, settings with the back end's
 * estimate, the running adaptation (curve from adapt.progress, cancel), its before/after result, and the
 * search profiles (activate / revert, with the re-embedding job that activation queues).
 * One store per window (App provides it), so a run and its chart survive switching to the Library to
 * pick shots; it talks to the back end only through the typed client.
 */
import type { ComputedRef, InjectionKey, Ref } from 'vue';
import { computed, inject, shallowRef } from 'vue';
import type { AdaptCurvePoint, AdaptEstimate, AdaptResult, AdaptSettings, EventOf, JobProgress, LabelledImage, LabelRole, Profile, TargetClass } from '@shared/rpc/contract';
import type { SimilaClient } from '../rpc/types';
import { isActive } from './jobs';
import { readUpload } from './upload';
import { errorMessage } from './useClient';

/** Fewer support shots than this per class earn a warning (the back end says the same in its estimate). */
export const MIN_SHOTS = 3;

/**
 * The back end's fallback settings; the wizard shows them only as a last resort: it asks for the parent
 * model's own (modelSettings) as soon as a class exists, and marks the settings unknown until then.
 */
export const DEFAULT_SETTINGS: Required<AdaptSettings> = { group: 'last-stage-head', steps: 10, learningRate: 0.05, earlyStop: true };

export const groupLabels: Record<Required<AdaptSettings>['group'], string> = {
  'last-stage-head': 'Last stage and head (fast re-embedding)',
  'last-two-stages-head': 'Last two stages and head (re-embeds from an earlier stage)',
  rectifiers: 'Channel rectifiers (re-embeds from the images)',
  auto: 'Choose on the held-out shots (tries each depth)',
  all: 'Whole network (slow re-embedding)',
};

export type AdaptProgress = EventOf<'adapt.progress'>;

export interface AdaptationStore {
  classes: Ref<TargetClass[]>;
  /** Classes the run adapts to (ids). */
  chosen: Ref<ReadonlySet<number>>;
  /** Labelled images of each chosen class, by class id. */
  images: Ref<ReadonlyMap<number, LabelledImage[]>>;
  /**
   * The settings a run will use, as shown: the parent model's own (from the estimate: a meta-learnt model
   * records the inner loop it was trained for) under what the analyst changed.
   */
  settings: ComputedRef<Required<AdaptSettings>>;
  /** Only what the analyst changed: this is what estimate and start send. */
  overrides: Ref<AdaptSettings>;
  patchSettings(patch: AdaptSettings): void;
  /** Back to the model's own settings. */
  resetSettings(): void;
  estimate: Ref<AdaptEstimate | null>;
  /**
   * The parent model's own settings (a meta-learnt model records its inner loop, e.g. learning rate 0.5),
   * read when the wizard opens: from an estimate for no classes and no overrides. Null until then.
   */
  modelSettings: Ref<Required<AdaptSettings> | null>;
  /** True once the settings shown are the model's (or the analyst's), not the fallback. */
  settingsKnown: ComputedRef<boolean>;
  jobId: Ref<number | null>;
  job: Ref<JobProgress | null>;
  /** One point per adapt.progress event with a loss (the live chart). */
  curve: Ref<AdaptCurvePoint[]>;
  lastProgress: Ref<AdaptProgress | null>;
  result: Ref<AdaptResult | null>;
  profiles: Ref<Profile[]>;
  /** The re-embedding job an activation or revert queued. */
  reembedJobId: Ref<number | null>;
  reembedJob: Ref<JobProgress | null>;
  error: Ref<string | null>;
  training: ComputedRef<boolean>;
  /** Classes among the chosen ones with fewer than MIN_SHOTS support images. */
  fewShotClasses: ComputedRef<TargetClass[]>;
  loadClasses(): Promise<void>;
  createClass(name: string): Promise<TargetClass | null>;
  toggleChosen(id: number): void;
  addImages(classId: number, imageIds: number[], role?: LabelRole): Promise<void>;
  addFile(classId: number, file: File, role?: LabelRole): Promise<void>;
  removeImage(classId: number, imageId: number): Promise<void>;
  setRole(classId: number, imageId: number, role: LabelRole): Promise<void>;
  /** Marks the newest support shot of each chosen class held out where it has none and enough shots. */
  holdOutOnePerClass(): Promise<void>;
  loadImages(classId: number): Promise<void>;
  refreshEstimate(): Promise<void>;
  start(name?: string): Promise<void>;
  cancel(): Promise<void>;
  loadProfiles(): Promise<void>;
  activate(profileId: number): Promise<void>;
  revert(profileId?: number): Promise<void>;
  dispose(): void;
}

export interface AdaptationOptions {
  /** Called when a profile change finished re-embedding (or needed none): the search view re-reads its status. */
  onProfileChanged?: () => void;
}

export function createAdaptationStore(client: SimilaClient, options: AdaptationOptions = {}): AdaptationStore {
  const classes = shallowRef<TargetClass[]>([]);
  const chosen = shallowRef<ReadonlySet<number>>(new Set());
  const images = shallowRef<ReadonlyMap<number, LabelledImage[]>>(new Map());
  const overrides = shallowRef<AdaptSettings>({});
  const estimate = shallowRef<AdaptEstimate | null>(null);
  const modelSettings = shallowRef<Required<AdaptSettings> | null>(null);
  const settings = computed<Required<AdaptSettings>>(() => ({ ...DEFAULT_SETTINGS, ...modelSettings.value, ...estimate.value?.settings, ...overrides.value }));
  const jobId = shallowRef<number | null>(null);
  const job = shallowRef<JobProgress | null>(null);
  const curve = shallowRef<AdaptCurvePoint[]>([]);
  const lastProgress = shallowRef<AdaptProgress | null>(null);
  const result = shallowRef<AdaptResult | null>(null);
  const profiles = shallowRef<Profile[]>([]);
  const reembedJobId = shallowRef<number | null>(null);
  const reembedJob = shallowRef<JobProgress | null>(null);
  const error = shallowRef<string | null>(null);

  async function guarded<T>(work: () => Promise<T>): Promise<T | null> {
    error.value = null;
    try {
      return await work();
    } catch (e) {
      error.value = errorMessage(e);
      return null;
    }
  }

  function replaceClass(updated: TargetClass): void {
    const known = classes.value.some((c) => c.id === updated.id);
    classes.value = known ? classes.value.map((c) => (c.id === updated.id ? updated : c)) : [...classes.value, updated];
  }

  async function loadImages(classId: number): Promise<void> {
    const listed = await guarded(() => client.call('classes.images', { id: classId }));
    if (!listed) return;
    const next = new Map(images.value);
    next.set(classId, listed);
    images.value = next;
  }

  async function afterLabelChange(updated: TargetClass | null): Promise<void> {
    if (!updated) return;
    replaceClass(updated);
    await loadImages(updated.id);
    await refreshEstimate();
  }

  async function refreshEstimate(): Promise<void> {
    const ids = [...chosen.value];
    if (ids.length === 0) {
      estimate.value = null;
      return;
    }
    const sent = overrides.value;
    const answer = await guarded(() => client.call('adapt.estimate', { classIds: ids, settings: sent }));
    if (answer) {
      estimate.value = answer;
      if (Object.keys(sent).length === 0) modelSettings.value = answer.settings;
    }
  }

  /** Reads the model's own settings once (an estimate for no classes: the settings do not depend on them). */
  async function loadModelSettings(): Promise<void> {
    if (modelSettings.value) return;
    try {
      const answer = await client.call('adapt.estimate', { classIds: [] });
      modelSettings.value ??= answer.settings;
    } catch {
      // Not worth an error line: the first estimate of a chosen class says the same.
    }
  }

  async function loadResult(id: number): Promise<void> {
    const answer = await guarded(() => client.call('adapt.result', { jobId: id }));
    if (answer && jobId.value === id) {
      result.value = answer;
      // The stored curve is the whole run; events may have been missed while the view was closed.
      if (answer.curve.length > curve.value.length) curve.value = answer.curve;
      if (answer.model) await loadProfiles();
    }
  }

  const offProgress = client.on('adapt.progress', (progress) => {
    if (progress.jobId !== jobId.value) return;
    lastProgress.value = progress;
    if (progress.loss !== null) curve.value = [...curve.value, { step: progress.step, loss: progress.loss, validation: progress.validation }];
  });
  const offJobs = client.on('job.progress', (progress) => {
    if (progress.jobId === jobId.value) {
      job.value = progress;
      if (!isActive(progress.state)) void loadResult(progress.jobId);
    } else if (progress.jobId === reembedJobId.value) {
      reembedJob.value = progress;
      if (progress.state === 'done') options.onProfileChanged?.();
    }
  });

  async function loadProfiles(): Promise<void> {
    const listed = await guarded(() => client.call('profiles.list', {}));
    if (listed) profiles.value = listed;
  }

  async function changeProfile(call: () => Promise<{ profile: Profile; jobId: number | null }>): Promise<void> {
    const answer = await guarded(call);
    if (!answer) return;
    reembedJobId.value = answer.jobId;
    reembedJob.value = null;
    await loadProfiles();
    if (answer.jobId === null) options.onProfileChanged?.();
  }

  return {
    classes,
    chosen,
    images,
    settings,
    overrides,
    patchSettings(patch: AdaptSettings) {
      overrides.value = { ...overrides.value, ...patch };
    },
    resetSettings() {
      overrides.value = {};
    },
    estimate,
    modelSettings,
    settingsKnown: computed(() => modelSettings.value !== null || estimate.value !== null),
    jobId,
    job,
    curve,
    lastProgress,
    result,
    profiles,
    reembedJobId,
    reembedJob,
    error,
    training: computed(() => jobId.value !== null && (job.value === null || isActive(job.value.state)) && result.value === null),
    fewShotClasses: computed(() => classes.value.filter((c) => chosen.value.has(c.id) && c.counts.support < MIN_SHOTS)),
    async loadClasses() {
      const listed = await guarded(() => client.call('classes.list', {}));
      if (listed) classes.value = listed;
      await loadModelSettings();
    },
    async createClass(name) {
      const trimmed = name.trim();
      if (!trimmed) {
        error.value = 'Give the class a name.';
        return null;
      }
      const created = await guarded(() => client.call('classes.create', { name: trimmed }));
      if (!created) return null;
      replaceClass(created);
      chosen.value = new Set([...chosen.value, created.id]);
      await loadImages(created.id);
      await refreshEstimate();
      return created;
    },
    toggleChosen(id) {
      const next = new Set(chosen.value);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      chosen.value = next;
      if (next.has(id) && !images.value.has(id)) void loadImages(id);
      void refreshEstimate();
    },
    async addImages(classId, imageIds, role = 'support') {
      if (imageIds.length === 0) return;
      // The channel takes at most 1000 ids a call.
      let updated: TargetClass | null = null;
      for (let i = 0; i < imageIds.length; i += 1000) {
        const batch = imageIds.slice(i, i + 1000);
        updated = await guarded(() => client.call('classes.addImages', { id: classId, imageIds: batch, role }));
        if (!updated) return;
      }
      await afterLabelChange(updated);
    },
    async addFile(classId, file, role = 'support') {
      const read = await readUpload(file);
      if (!read.ok) {
        error.value = read.message;
        return;
      }
      const answer = await guarded(() => client.call('classes.addUpload', { id: classId, name: read.name, data: read.data, role }));
      await afterLabelChange(answer?.class ?? null);
    },
    async removeImage(classId, imageId) {
      await afterLabelChange(await guarded(() => client.call('classes.removeImages', { id: classId, imageIds: [imageId] })));
    },
    async setRole(classId, imageId, role) {
      await afterLabelChange(await guarded(() => client.call('classes.addImages', { id: classId, imageIds: [imageId], role })));
    },
    async holdOutOnePerClass() {
      for (const cls of classes.value) {
        if (!chosen.value.has(cls.id) || cls.counts.holdout > 0 || cls.counts.support <= MIN_SHOTS) continue;
        const support = (images.value.get(cls.id) ?? []).filter((l) => l.role === 'support');
        const last = support[support.length - 1];
        if (last) await afterLabelChange(await guarded(() => client.call('classes.addImages', { id: cls.id, imageIds: [last.image.id], role: 'holdout' })));
      }
    },
    loadImages,
    refreshEstimate,
    async start(name) {
      const ids = [...chosen.value];
      if (ids.length === 0) {
        error.value = 'Choose at least one class.';
        return;
      }
      const trimmed = name?.trim();
      const answer = await guarded(() =>
        client.call('adapt.start', { classIds: ids, settings: overrides.value, ...(trimmed ? { name: trimmed } : {}) }),
      );
      if (!answer) return;
      curve.value = [];
      lastProgress.value = null;
      result.value = null;
      job.value = null;
      jobId.value = answer.jobId;
    },
    async cancel() {
      const id = jobId.value;
      if (id === null) return;
      const answer = await guarded(() => client.call('jobs.cancel', { jobId: id }));
      if (answer && !answer.ok) error.value = 'The training had already finished.';
    },
    loadProfiles,
    activate: (profileId) => changeProfile(() => client.call('profiles.activate', { id: profileId })),
    revert: (profileId) => changeProfile(() => client.call('profiles.revert', profileId === undefined ? {} : { id: profileId })),
    dispose() {
      offProgress();
      offJobs();
    },
  };
}

export const adaptationKey: InjectionKey<AdaptationStore> = Symbol('simila.adaptation');

export function useAdaptation(): AdaptationStore {
  const store = inject(adaptationKey, null);
  if (!store) throw new Error('Adaptation store missing: App provides it.');
  return store;
}
