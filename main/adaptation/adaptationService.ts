/**
 * The app-level adaptation service (issue 5): target classes and their labelled images (catalogue
 * ids, or uploaded bytes imported into <home>/uploads so they become catalogue items), estimates and
 * 'adapt' jobs, their results, and search profiles (models with lineage) with activate and revert.
 * Activating an adapted profile queues a 'reembed' job that runs only the stages after the cached trunk.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AdaptEstimate, AdaptResult, AdaptSettings, ImageSummary, LabelledImage, LabelRole, Profile, TargetClass } from '../../shared/rpc/contract';
import type { Catalogue } from '../catalogue/catalogue';
import type { ClassResult } from '../catalogue/repositories/classes';
import type { ModelRecord } from '../catalogue/repositories/models';
import type { ContentReader } from '../ingest/contentReader';
import { importFolder } from '../ingest/importer';
import { IMPORT_JOB_KIND } from '../ingest/importJob';
import type { JobQueue } from '../jobs/jobQueue';
import { adaptationConfigSchema, AUTO_CANDIDATES } from '../ml/adaptation/fewShotAdapt';
import type { ParameterGroup } from '../ml/models/embeddingNet';
import { EMBED_JOB_KIND } from '../search/embedJob';
import type { InputPreparer } from '../search/inputPreparer';
import type { SearchEngine } from '../search/searchEngine';
import { modelSummary } from '../search/searchService';
import { AdaptationError, adaptationConfigOf, loadAdaptableModel } from './adaptableModel';
import { ADAPT_JOB_KIND, AUTO_HOLDOUT_MIN_SHOTS, type AdaptCurvePoint, type AdaptJobParams, type AdaptJobSummary } from './adaptJob';
import { depthCosts, estimateDepths, type DepthInfo, type MeasuredRates } from './depthEstimate';
import { REEMBED_JOB_KIND, type ReembedJobParams } from './reembedJob';

export interface AdaptationServiceDeps {
  catalogue: Catalogue;
  engine: SearchEngine;
  jobs: JobQueue;
  /** Reads and decodes files for import (the sandboxed pool in the app). */
  reader: ContentReader;
  /** Decodes uploaded bytes for the network (the same pool). */
  preparer: InputPreparer;
  homeDir: string;
  thumbnailsDir: string;
  /** Live curves of running adapt jobs (filled by the runner). */
  curves: ReadonlyMap<number, AdaptCurvePoint[]>;
  /** Queues the ordinary embedding job (models that share no cached trunk). */
  startEmbedding(modelId: number): Promise<number | null>;
  /** Where model packages live (default <home>/models). */
  modelsDir?: string;
  /** The parent's depths (stage, trunk key, cost); default: load the package once per model (tests substitute). */
  depthInfo?(model: ModelRecord): Promise<DepthInfo[]>;
}

/**
 * Until a run here measured its own: one step per support image and decode + trunk + check per image,
 * measured on 2 busy cores with wasm and the shipped Conv-4 (5-way 5-shot took 0.46 s, 0.11 s cached).
 */
const DEFAULT_SECONDS_PER_IMAGE_STEP = 0.001;
const SECONDS_PER_IMAGE = 0.002;
const ARCHIVE_SAMPLE = 100;
const MIN_SHOTS = 3;

function value(result: ClassResult): ClassResult & { ok: true } {
  if (result.ok) return result;
  throw new AdaptationError(result.code === 'not_found' ? 'not_found' : 'bad_request', result.message);
}

const toTargetClass = (c: { id: number; name: string; createdAt: string; counts: TargetClass['counts'] }): TargetClass => ({ id: c.id, name: c.name, createdAt: c.createdAt, counts: { ...c.counts } });

export function createAdaptationService(deps: AdaptationServiceDeps) {
  const { catalogue, engine, jobs } = deps;
  const uploadsDir = path.join(deps.homeDir, 'uploads');

  const summaryOf = (id: number): ImageSummary | null => {
    const image = catalogue.images.get(id);
    const first = image ? catalogue.paths.listForImage(id)[0] : undefined;
    if (!image || !first) return null;
    return { id, name: path.basename(first.path), folderId: first.folderId, width: image.width, height: image.height, format: image.format };
  };
  const requireClass = (id: number) => {
    const cls = catalogue.classes.get(id);
    if (!cls) throw new AdaptationError('not_found', `There is no class ${id}.`);
    return cls;
  };

  const adaptOptions = (manifest: unknown): Record<string, unknown> => {
    const options = (manifest as { provenance?: { options?: unknown } } | null)?.provenance?.options;
    return options && typeof options === 'object' ? (options as Record<string, unknown>) : {};
  };
  const profileOf = (model: ModelRecord): Profile => {
    const options = adaptOptions(model.manifest);
    const classes = Array.isArray(options.classes) ? (options.classes as { name?: unknown; support?: unknown }[]) : [];
    const parent = model.parentId === null ? undefined : catalogue.models.get(model.parentId);
    const score = (v: unknown) => (v && typeof v === 'object' && typeof (v as { mapAtR?: unknown }).mapAtR === 'number' ? (v as Profile['before']) : null);
    return {
      ...modelSummary(model),
      version: model.version,
      parentName: parent?.name ?? null,
      classes: classes.map((c) => String(c.name ?? '')),
      supportImages: classes.reduce((n, c) => n + (Array.isArray(c.support) ? c.support.length : 0), 0),
      before: score(options.before),
      after: score(options.after),
    };
  };

  const runningJob = (kind: string, modelId: number): number | null => {
    for (const progress of jobs.list(200)) {
      if (progress.kind !== kind || (progress.state !== 'queued' && progress.state !== 'running')) continue;
      if ((catalogue.jobs.get(progress.jobId)?.params as { modelId?: unknown } | undefined)?.modelId === modelId) return progress.jobId;
    }
    return null;
  };

  /** Vectors for the model's missing images: from cached trunk features for an adapted model, else the embed job. */
  const queueEmbedding = async (model: ModelRecord): Promise<number | null> => {
    if (catalogue.embeddings.countMissing(model.id) === 0) return null;
    if (model.stage !== 'adapted') return deps.startEmbedding(model.id);
    const existing = runningJob(REEMBED_JOB_KIND, model.id);
    if (existing !== null) return existing;
    const params: ReembedJobParams = { modelId: model.id };
    return jobs.enqueue(REEMBED_JOB_KIND, `Re-embedding with ${model.name}`, params);
  };

  const activate = async (id: number) => {
    await engine.ready();
    if (!catalogue.models.setActive(id)) throw new AdaptationError('not_found', `There is no profile ${id}.`);
    const model = catalogue.models.get(id)!;
    return { profile: profileOf(model), jobId: await queueEmbedding(model) };
  };

  const lastSecondsPerImageStep = (): number => {
    for (const job of catalogue.jobs.listRecent(50)) {
      if (job.kind !== ADAPT_JOB_KIND || job.state !== 'done') continue;
      const v = ((job.progress as { summary?: { secondsPerImageStep?: unknown } } | null)?.summary)?.secondsPerImageStep;
      if (typeof v === 'number' && v > 0) return v;
    }
    return DEFAULT_SECONDS_PER_IMAGE_STEP;
  };

  /** Rates measured by earlier jobs on this machine: adapt steps per depth, the last re-embedding, the last embedding. */
  const measuredRates = (): MeasuredRates => {
    const rates: MeasuredRates = { stepByGroup: {} };
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    for (const job of catalogue.jobs.listRecent(50)) {
      if (job.state !== 'done') continue;
      const summary = (job.progress as { summary?: Record<string, unknown> } | null)?.summary ?? {};
      if (job.kind === ADAPT_JOB_KIND) {
        const tried = Array.isArray(summary.candidates) ? (summary.candidates as { group?: unknown; secondsPerImageStep?: unknown }[]) : [];
        // Older summaries name no group: theirs was the requested one, else the parent's (last stage + head by default).
        const group = typeof summary.group === 'string' ? summary.group : ((job.params as Partial<AdaptJobParams> | null)?.settings?.group ?? 'last-stage-head');
        const entries = tried.length > 0 ? tried.map((t) => [String(t.group), num(t.secondsPerImageStep)] as const) : [[group, num(summary.secondsPerImageStep)] as const];
        for (const [g, v] of entries) if (v !== undefined && v > 0 && rates.stepByGroup[g] === undefined) rates.stepByGroup[g] = v;
      } else if (job.kind === REEMBED_JOB_KIND && !rates.reembed) {
        const phases = (summary.phases ?? {}) as Record<string, unknown>;
        const embedded = num(summary.embedded) ?? 0;
        if (embedded > 0)
          rates.reembed = {
            fromStage: num(summary.fromStage),
            perImage: ((num(phases.read) ?? 0) + (num(phases.write) ?? 0) + (num(phases.index) ?? 0)) / embedded,
            headPerImage: (num(phases.head) ?? 0) / embedded,
            computedPerImage: embedded > (num(summary.fromCache) ?? 0) ? (num(phases.trunk) ?? 0) / (embedded - (num(summary.fromCache) ?? 0)) : undefined,
          };
      } else if (job.kind === EMBED_JOB_KIND && rates.embedPerImage === undefined && job.startedAt && job.finishedAt) {
        const embedded = num(summary.embedded) ?? 0;
        const seconds = (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000;
        if (embedded > 0 && seconds > 0) rates.embedPerImage = seconds / embedded;
      }
    }
    return rates;
  };

  const depthInfoCache = new Map<string, Promise<DepthInfo[]>>();
  const depthInfoOf = (model: ModelRecord): Promise<DepthInfo[]> => {
    if (deps.depthInfo) return deps.depthInfo(model);
    const cacheKey = `${model.id}:${model.dir}`;
    let info = depthInfoCache.get(cacheKey);
    if (!info) {
      info = loadAdaptableModel(deps.modelsDir ?? path.join(deps.homeDir, 'models'), model).then((loaded) => {
        try {
          return depthCosts(loaded.net, loaded.manifest);
        } finally {
          loaded.dispose();
        }
      });
      info.catch(() => depthInfoCache.delete(cacheKey));
      depthInfoCache.set(cacheKey, info);
    }
    return info;
  };

  const parentModel = async (): Promise<ModelRecord> => {
    const model = await engine.activeModel();
    if (!model) throw new AdaptationError('unsupported', 'No trained model is installed, so there is nothing to adapt yet.');
    return model;
  };

  return {
    listClasses: (): TargetClass[] => catalogue.classes.list().map(toTargetClass),
    createClass: (name: string): TargetClass => toTargetClass(value(catalogue.classes.create(name)).value),
    renameClass: (id: number, name: string): TargetClass => toTargetClass(value(catalogue.classes.rename(id, name)).value),
    deleteClass: (id: number) => ({ ok: catalogue.classes.remove(id) }),
    classImages(id: number, role?: LabelRole): LabelledImage[] {
      requireClass(id);
      return catalogue.classes.labels(id, role).flatMap((l) => {
        const image = summaryOf(l.imageId);
        return image ? [{ image, classId: id, role: l.role }] : [];
      });
    },
    addImages: (id: number, imageIds: readonly number[], role: LabelRole): TargetClass => toTargetClass(value(catalogue.classes.label(id, imageIds, role)).value),
    removeImages: (id: number, imageIds: readonly number[]): TargetClass => toTargetClass(value(catalogue.classes.unlabel(id, imageIds)).value),

    /** Decodes the bytes (refusing what is no image), stores them under uploads/, catalogues and labels them. */
    async addUpload(id: number, name: string, bytes: Buffer, role: LabelRole): Promise<{ image: ImageSummary; class: TargetClass }> {
      requireClass(id);
      // Decoded in the sandbox first: what no decoder reads (or what crashes one) is refused with its reason.
      const decoded = await deps.preparer.prepare(bytes, engine.manifestOf(await parentModel()).preprocess);
      if (!decoded.ok) throw new AdaptationError('bad_request', `${name}: ${decoded.message}`);
      const hash = createHash('sha256').update(bytes).digest('hex');
      let imageId = catalogue.images.findByHash(hash)?.id;
      if (imageId === undefined || !summaryOf(imageId)) {
        const ext = (path.extname(name).toLowerCase().match(/^\.[a-z0-9]{1,8}$/) ?? [''])[0];
        await fs.mkdir(uploadsDir, { recursive: true });
        const file = path.join(uploadsDir, `${hash.slice(0, 32)}${ext}`);
        await fs.writeFile(file, bytes);
        const jobId = catalogue.jobs.create(IMPORT_JOB_KIND, uploadsDir, { root: uploadsDir });
        await importFolder({ root: uploadsDir, jobId, catalogue, reader: deps.reader, thumbnailsDir: deps.thumbnailsDir });
        catalogue.jobs.setState(jobId, 'done');
        imageId = catalogue.images.findByHash(hash)?.id;
      }
      const image = imageId === undefined ? null : summaryOf(imageId);
      if (!image) throw new AdaptationError('bad_request', `${name} could not be added to the library.`);
      return { image, class: toTargetClass(value(catalogue.classes.label(id, [image.id], role)).value) };
    },

    async estimate(classIds: readonly number[], settings: AdaptSettings = {}): Promise<AdaptEstimate> {
      const parent = await parentModel();
      const config = { ...adaptationConfigOf(engine.manifestOf(parent)), ...settings };
      const warnings: string[] = [];
      let supportImages = 0;
      let holdoutImages = 0;
      for (const id of classIds) {
        const cls = requireClass(id);
        supportImages += cls.counts.support;
        holdoutImages += cls.counts.holdout;
        if (cls.counts.support < MIN_SHOTS) warnings.push(`"${cls.name}" has ${cls.counts.support} support image${cls.counts.support === 1 ? '' : 's'}; at least ${MIN_SHOTS} give a more reliable adaptation.`);
        if (cls.counts.holdout === 0 && !(config.earlyStop && cls.counts.support >= AUTO_HOLDOUT_MIN_SHOTS)) warnings.push(`"${cls.name}" has no held-out image, so the before/after check and the early stop cannot use it.`);
      }
      const perStep = lastSecondsPerImageStep();
      const featureSeconds = (supportImages + holdoutImages + ARCHIVE_SAMPLE) * SECONDS_PER_IMAGE;
      let seconds = supportImages * config.steps * perStep + featureSeconds;
      const effective = { group: config.group, steps: config.steps, learningRate: config.learningRate, earlyStop: config.earlyStop };
      const archiveImages = catalogue.embeddings.countMissing(0); // no model has id 0: every visible image
      let depths: AdaptEstimate['depths'];
      try {
        const groups: ParameterGroup[] = config.group === 'auto' ? [...AUTO_CANDIDATES] : [config.group];
        depths = estimateDepths({
          infos: await depthInfoOf(parent),
          groups,
          supportImages,
          steps: config.steps,
          archiveImages,
          cachedRows: (key) => Math.min(archiveImages, catalogue.trunkFeatures.count(key)),
          rates: measuredRates(),
          defaultSecondsPerImageStep: DEFAULT_SECONDS_PER_IMAGE_STEP,
        });
        // The steps are what differ by depth; 'auto' runs every candidate's, the features once.
        seconds = featureSeconds + depths.reduce((sum, d) => sum + d.adaptSeconds, 0);
      } catch {
        depths = undefined; // the parent cannot be loaded here: the plain estimate stands
      }
      return { supportImages, holdoutImages, steps: config.steps, settings: effective, seconds: Math.round(seconds * 100) / 100, warnings, archiveImages, ...(depths ? { depths } : {}) };
    },

    async start(classIds: readonly number[], name: string | undefined, settings: AdaptSettings = {}): Promise<number> {
      const parent = await parentModel();
      const classes = classIds.map(requireClass);
      if (classes.every((c) => c.counts.support === 0)) throw new AdaptationError('bad_request', 'Pick at least one support image before adapting.');
      const merged = adaptationConfigSchema.partial().safeParse(settings);
      if (!merged.success) throw new AdaptationError('bad_request', 'The adaptation settings are not valid.');
      const params: AdaptJobParams = {
        parentId: parent.id,
        classIds: [...new Set(classIds)],
        name: name ?? `${parent.name} + ${classes.map((c) => c.name).join(', ')}`,
        settings: merged.data,
      };
      return jobs.enqueue(ADAPT_JOB_KIND, `Adapting to ${classes.map((c) => c.name).join(', ')}`, params);
    },

    result(jobId: number): AdaptResult {
      const job = catalogue.jobs.get(jobId);
      if (!job || job.kind !== ADAPT_JOB_KIND) throw new AdaptationError('not_found', `There is no adaptation job ${jobId}.`);
      const params = job.params as Partial<AdaptJobParams>;
      const summary = (job.progress as { summary?: Partial<AdaptJobSummary> } | null)?.summary;
      const model = summary?.modelId ? catalogue.models.get(summary.modelId) : undefined;
      const state = jobs.get(jobId)?.state ?? job.state;
      return {
        jobId,
        state,
        model: model ? modelSummary(model) : null,
        classIds: params.classIds ?? [],
        before: summary?.before ?? null,
        after: summary?.after ?? null,
        curve: summary?.curve ?? deps.curves.get(jobId) ?? [],
        steps: summary?.steps ?? 0,
        stoppedEarly: summary?.stoppedEarly ?? false,
        seconds: summary?.seconds ?? 0,
        message: job.error ?? jobs.get(jobId)?.message ?? null,
      };
    },

    async listProfiles(): Promise<Profile[]> {
      await engine.ready();
      return catalogue.models.list().map(profileOf);
    },
    activate,
    /** Activates the parent of `id` (default: the active profile). */
    async revert(id?: number) {
      await engine.ready();
      const model = id === undefined ? catalogue.models.active() : catalogue.models.get(id);
      if (!model) throw new AdaptationError('not_found', id === undefined ? 'No profile is active.' : `There is no profile ${id}.`);
      if (model.parentId === null || !catalogue.models.get(model.parentId)) throw new AdaptationError('bad_request', `${model.name} has no parent profile to revert to.`);
      return activate(model.parentId);
    },
  };
}

export type AdaptationService = ReturnType<typeof createAdaptationService>;
