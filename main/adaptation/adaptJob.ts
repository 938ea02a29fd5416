/**
 * The 'adapt' job kind (DESIGN §1 step 4): from the parent profile's initialisation, a few gradient
 * steps of the metric loss on the chosen classes' support shots (MAML's inner loop on cached trunk
 * features), one step at a time so the wizard charts the loss and the held-out validation live and
 * cancel stops between steps. With held-out shots the best step on them is kept (early stop) and the
 * before/after comparison is measured on them. The result is a child model package under
 * <home>/models, registered with its parent and with its support set recorded in the manifest.
 * Group 'auto' (issue 10 item 6): every candidate depth runs the same steps on the same shots, from rows
 * of the shallowest trunk computed once (deeper rows derived by the frozen stages in between), and the
 * best held-out score wins, ties going to the cheaper re-embedding; the candidates' scores are recorded.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { EventName, EventOf } from '../../shared/rpc/contract';
import type { Catalogue } from '../catalogue/catalogue';
import type { JobRunner } from '../jobs/jobQueue';
import { featureLoss } from '../ml/adaptation/adaptationLoss';
import { candidatesByCost, pickDepth, type AdaptationConfig } from '../ml/adaptation/fewShotAdapt';
import type { ParameterGroup } from '../ml/models/embeddingNet';
import { innerLoop } from '../ml/meta/maml';
import { saveModelPackage } from '../ml/package/modelPackage';
import { registerModelPackage } from '../ml/package/registerModel';
import type { SearchEngine } from '../search/searchEngine';
import { AdaptationError, loadAdaptableModel, type AdaptableModel } from './adaptableModel';
import { heldOutScore, type GalleryLabel, type HeldOutScore } from './heldOutScore';
import { likelyPositives } from './likelyPositives';
import { trunkFeaturesOf, trunkShape } from './trunkFeatureStore';
import { trunkKey } from './trunkKey';
import { yieldToEventLoop } from '../threads/cooperative';

export const ADAPT_JOB_KIND = 'adapt';
/** Shots a class needs before one is held out automatically (the rest still train the selection run). */
export const AUTO_HOLDOUT_MIN_SHOTS = 3;

export interface AdaptJobParams {
  parentId: number;
  classIds: number[];
  name: string;
  settings: Partial<AdaptationConfig>;
}

export interface AdaptCurvePoint {
  step: number;
  loss: number;
  validation: number | null;
}

/** One depth an adaptation tried (all of them under 'auto'; the one configured otherwise). */
export interface DepthTried {
  group: ParameterGroup;
  /** The stage its re-embedding starts at (rows of the stage before are what it needs cached). */
  fromStage: number;
  /** Best held-out MAP@R over its steps (step 0 = the parent's, so every depth starts level); null without held-out shots. */
  validation: number | null;
  steps: number;
  stoppedEarly: boolean;
  seconds: number;
  secondsPerImageStep: number;
}

export interface AdaptJobSummary {
  modelId: number | null;
  /** The group adapted (the one 'auto' chose). */
  group?: ParameterGroup;
  /** The group asked for ('auto' or a fixed one). */
  requestedGroup?: string;
  /** Depths tried, cheapest re-embedding first. */
  candidates?: DepthTried[];
  parentId: number;
  classIds: number[];
  before: HeldOutScore | null;
  after: HeldOutScore | null;
  curve: AdaptCurvePoint[];
  steps: number;
  stoppedEarly: boolean;
  seconds: number;
  /** Seconds per (support image x step), for estimates of later runs. */
  secondsPerImageStep: number;
  supportImages: number;
  cancelled: boolean;
}

export interface AdaptRunnerOptions {
  catalogue: Catalogue;
  engine: SearchEngine;
  modelsDir: string;
  preferBackends?: string[];
  emit<E extends EventName>(event: E, payload: EventOf<E>): void;
  /** Live curve of a running job (adapt.result reads it before the job ends). */
  onCurve?(jobId: number, curve: AdaptCurvePoint[]): void;
  /** Archive images sampled as distractors for the held-out check (default 100). */
  archiveSample?: number;
}

interface LabelledSet {
  support: { id: number; label: number }[];
  holdout: { id: number; label: number }[];
  distractors: number[];
  classNames: string[];
}

/**
 * Support shots per class index (negatives form a class of their own; a background class when only one would exist).
 * `parentModelId`: the model being adapted; its stored vectors screen likely members of the classes out of the
 * archive sample (likelyPositives.ts).
 */
function gatherLabels(catalogue: Catalogue, classIds: readonly number[], sampleSize: number, parentModelId: number): LabelledSet {
  const support: LabelledSet['support'] = [];
  const holdout: LabelledSet['holdout'] = [];
  const negatives = new Set<number>();
  const labelled = new Set<number>();
  const classNames: string[] = [];
  classIds.forEach((classId, label) => {
    const cls = catalogue.classes.get(classId);
    if (!cls) throw new AdaptationError('not_found', `There is no class ${classId}.`);
    classNames.push(cls.name);
    for (const l of catalogue.classes.labels(classId)) {
      labelled.add(l.imageId);
      if (l.role === 'support') support.push({ id: l.imageId, label });
      else if (l.role === 'holdout') holdout.push({ id: l.imageId, label });
      else negatives.add(l.imageId);
    }
  });
  // Sorted by path so the same archive gives the same sample whatever order its files were imported in.
  const unscreened = catalogue.images
    .page(0, Math.max(400, sampleSize * 4))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((item) => item.id)
    .filter((id) => !labelled.has(id));
  const screened = screenLikelyPositives(catalogue, parentModelId, classIds.length, support, unscreened);
  const archive = unscreened.filter((id) => !screened.has(id));
  const step = Math.max(1, Math.floor(archive.length / Math.max(1, sampleSize)));
  const distractors = archive.filter((_, i) => i % step === 0).slice(0, sampleSize);
  const extraLabel = classIds.length;
  if (negatives.size >= 2) for (const id of negatives) support.push({ id, label: extraLabel });
  else if (classIds.length === 1) {
    // One class alone has no negatives to push away from: a few archive images stand in as "other".
    const shots = Math.max(2, support.length);
    for (const id of distractors.slice(0, shots)) support.push({ id, label: extraLabel });
  }
  return { support, holdout, distractors: [...new Set([...distractors, ...negatives])], classNames };
}

/** likelyPositives over the parent model's stored vectors (images it has not embedded are not screened). */
function screenLikelyPositives(catalogue: Catalogue, modelId: number, classCount: number, support: LabelledSet['support'], candidates: number[]): Set<number> {
  const shotVectors = catalogue.embeddings.getMany(modelId, support.map((s) => s.id));
  const byClass = Array.from({ length: classCount }, (_, label) => support.filter((s) => s.label === label).flatMap((s) => shotVectors.get(s.id) ?? []));
  return likelyPositives(byClass, catalogue.embeddings.getMany(modelId, candidates));
}

/** The last support shot of each target class that has none held out and at least 3 (early stop needs one). */
function lastShotPerClass(set: LabelledSet, classCount: number): LabelledSet['support'] {
  const out: LabelledSet['support'] = [];
  for (let label = 0; label < classCount; label++) {
    const shots = set.support.filter((s) => s.label === label);
    if (shots.length >= AUTO_HOLDOUT_MIN_SHOTS && !set.holdout.some((h) => h.label === label)) out.push(shots[shots.length - 1]!);
  }
  return out;
}

function embedRows(model: AdaptableModel, shape: [number, number, number], features: Float32Array, count: number, weights?: ReadonlyMap<string, tf.Tensor>): Float32Array {
  if (count === 0) return new Float32Array(0);
  const out = tf.tidy(() => model.net.embedFromStage(tf.tensor4d(features, [count, ...shape]), model.fromStage, weights ? { overrides: weights } : {}));
  const values = new Float32Array(out.dataSync());
  out.dispose();
  return values;
}

export function createAdaptRunner(options: AdaptRunnerOptions): JobRunner {
  const { catalogue, engine } = options;
  return async ({ jobId, params, signal, report }) => {
    const p = params as AdaptJobParams;
    const parent = catalogue.models.get(p.parentId);
    if (!parent) throw new Error(`The model to adapt (${p.parentId}) is no longer in the catalogue.`);
    const started = performance.now();
    const model = await loadAdaptableModel(options.modelsDir, parent, p.settings, options.preferBackends);
    const emitProgress = (step: number, steps: number, phase: EventOf<'adapt.progress'>['phase'], loss: number | null, validation: number | null) =>
      options.emit('adapt.progress', { jobId, step, steps, phase, loss, validation });
    const curve: AdaptCurvePoint[] = [];
    const owned: tf.Tensor[] = [];
    try {
      const { config } = model;
      const set = gatherLabels(catalogue, p.classIds, options.archiveSample ?? 100, p.parentId);
      if (set.support.filter((s) => s.label < p.classIds.length).length === 0) throw new Error('The chosen classes have no support images.');
      const shape = trunkShape(model.net, model.fromStage);
      const rowLength = shape[0] * shape[1] * shape[2];
      const order: ParameterGroup[] = config.group === 'auto' ? candidatesByCost(model.net) : [config.group];
      const total = config.steps * order.length;
      report({ total, done: 0, imported: 0, skipped: 0, failed: 0 }, 'computing trunk features');
      emitProgress(0, total, 'features', null, null);
      const source = { catalogue, net: model.net, spec: model.manifest.preprocess, fromStage: model.fromStage, key: model.key, prepareImage: engine.prepareImage.bind(engine) };
      // A class without held-out shots: as eval's "ours" does (fewShotAdapt), its last shot is held out to
      // choose the step count when it has at least 3, then every shot trains for that many steps.
      const autoHoldout = config.earlyStop ? lastShotPerClass(set, p.classIds.length) : [];
      const selection = { support: set.support.filter((s) => !autoHoldout.includes(s)), holdout: [...set.holdout, ...autoHoldout] };
      const supportFeatures = await trunkFeaturesOf(source, selection.support.map((s) => s.id));
      const holdoutFeatures = await trunkFeaturesOf(source, selection.holdout.map((s) => s.id));
      const distractorFeatures = await trunkFeaturesOf(source, set.distractors);
      const labelOf = new Map(selection.support.map((s) => [s.id, s.label]));
      const holdLabelOf = new Map(selection.holdout.map((s) => [s.id, s.label]));
      const supportLabels = supportFeatures.ids.map((id) => labelOf.get(id)!);
      const holdLabels = holdoutFeatures.ids.map((id) => holdLabelOf.get(id)!);
      // Gallery of the check: support shots of the target classes (relevant) + distractors.
      const galleryLabels: GalleryLabel[] = [...supportLabels.map((l) => (l < p.classIds.length ? l : null)), ...distractorFeatures.ids.map(() => null)];
      const galleryFeatures = new Float32Array((supportFeatures.ids.length + distractorFeatures.ids.length) * rowLength);
      galleryFeatures.set(supportFeatures.features, 0);
      galleryFeatures.set(distractorFeatures.features, supportFeatures.features.length);
      const galleryCount = galleryLabels.length;
      const dim = model.net.embeddingDim;
      const score = (weights?: ReadonlyMap<string, tf.Tensor>): HeldOutScore | null =>
        holdLabels.length === 0
          ? null
          : heldOutScore(embedRows(model, shape, holdoutFeatures.features, holdLabels.length, weights), holdLabels, embedRows(model, shape, galleryFeatures, galleryCount, weights), galleryLabels, dim);
      const before = score();

      const supportX = tf.tensor4d(supportFeatures.features, [supportLabels.length, ...shape]);
      owned.push(supportX);
      // Rows of the shallowest trunk needed, decoded once; each depth's rows come from them through the frozen stages.
      const holdX = holdLabels.length > 0 ? tf.tensor4d(holdoutFeatures.features, [holdLabels.length, ...shape]) : null;
      const galleryX = tf.tensor4d(galleryFeatures, [galleryCount, ...shape]);
      if (holdX) owned.push(holdX);
      owned.push(galleryX);
      const runDepth = async (group: ParameterGroup, offset: number) => {
        const fromStage = model.net.firstStageOf(group);
        const depthStarted = performance.now();
        const derive = (x: tf.Tensor4D) => model.net.advanceTrunk(x, model.fromStage, fromStage);
        const x = derive(supportX);
        const rows = { support: x, hold: holdX ? derive(holdX) : null, gallery: derive(galleryX) };
        const embed = (input: tf.Tensor4D, weights?: ReadonlyMap<string, tf.Tensor>) => {
          const out = tf.tidy(() => model.net.embedFromStage(input, fromStage, weights ? { overrides: weights } : {}));
          const values = new Float32Array(out.dataSync());
          out.dispose();
          return values;
        };
        const depthScore = (weights?: ReadonlyMap<string, tf.Tensor>): HeldOutScore | null =>
          rows.hold === null ? null : heldOutScore(embed(rows.hold, weights), holdLabels, embed(rows.gallery, weights), galleryLabels, dim);
        const loss = featureLoss(model.net, fromStage, x, supportLabels);
        const names = model.net.parameterNames(group);
        let current = new Map(names.map((name) => [name, tf.clone(model.net.variables.get(name) as tf.Tensor)]));
        let best = { step: 0, weights: current, validation: before?.mapAtR ?? null };
        const depthCurve: AdaptCurvePoint[] = [];
        let stoppedEarly = false;
        let cancelled = false;
        const loopStarted = performance.now();
        let after: HeldOutScore | null = null;
        try {
          for (let step = 1; step <= config.steps; step++) {
            if (signal.aborted) {
              cancelled = true;
              break;
            }
            const { fast, losses } = innerLoop(current, loss, { steps: 1, learningRate: config.learningRate, stepSizes: config.stepSizes });
            if (current !== best.weights) for (const t of current.values()) t.dispose();
            current = fast;
            const validation = depthScore(current)?.mapAtR ?? null;
            depthCurve.push({ step, loss: losses[0] ?? Number.NaN, validation });
            options.onCurve?.(jobId, depthCurve);
            emitProgress(offset + step, total, 'adapt', losses[0] ?? null, validation);
            report({ total, done: offset + step, imported: 0, skipped: 0, failed: 0 }, order.length > 1 ? `${group}: step ${step} of ${config.steps}` : `step ${step} of ${config.steps}`);
            // Ties go forward: one held-out shot scores coarsely, and a flat score is no sign of over-fitting.
            const improved = validation === null || best.validation === null || validation >= best.validation;
            if (improved) {
              if (best.weights !== current) for (const t of best.weights.values()) t.dispose();
              best = { step, weights: current, validation };
            } else if (config.earlyStop && step - best.step >= 2) {
              stoppedEarly = true; // two steps without a better held-out score: keep the best one
              break;
            }
            await yieldToEventLoop();
          }
          // The comparison on the held-out shots, at this depth's best step (before the auto-held-out shots train too).
          after = cancelled ? null : depthScore(best.weights);
        } finally {
          if (current !== best.weights) for (const t of current.values()) t.dispose();
          x.dispose();
          rows.hold?.dispose();
          rows.gallery.dispose();
        }
        const tried: DepthTried = {
          group,
          fromStage,
          validation: best.validation,
          steps: best.step,
          stoppedEarly,
          seconds: (performance.now() - depthStarted) / 1000,
          // Step time alone (features and checks excluded): what estimates of later runs scale by support size.
          secondsPerImageStep: (performance.now() - loopStarted) / 1000 / Math.max(1, depthCurve.length * supportLabels.length),
        };
        return { tried, best, curve: depthCurve, cancelled, after };
      };
      const runs: Awaited<ReturnType<typeof runDepth>>[] = [];
      let cancelled = false;
      for (const [i, group] of order.entries()) {
        const run = await runDepth(group, i * config.steps);
        runs.push(run);
        if (run.cancelled) {
          cancelled = true;
          break;
        }
        // Without held-out shots nothing tells the depths apart: the cheapest one is kept, the rest not run.
        if (run.tried.validation === null) break;
      }
      const chosenIndex = pickDepth(runs.map((r) => r.tried.validation));
      const chosen = runs[chosenIndex]!;
      runs.forEach((r, i) => {
        if (i !== chosenIndex) for (const t of r.best.weights.values()) t.dispose();
      });
      owned.push(...chosen.best.weights.values());
      let best = chosen.best;
      const group = chosen.tried.group;
      const fromStage = chosen.tried.fromStage;
      curve.push(...chosen.curve);
      options.onCurve?.(jobId, curve);
      const stoppedEarly = chosen.tried.stoppedEarly;
      const candidates = runs.map((r) => r.tried);
      const trainingSeconds = (performance.now() - started) / 1000;
      const secondsPerImageStep = chosen.tried.secondsPerImageStep;
      const summaryBase = {
        parentId: parent.id,
        classIds: p.classIds,
        group,
        requestedGroup: config.group,
        candidates,
        before,
        curve,
        steps: best.step,
        stoppedEarly,
        secondsPerImageStep,
        supportImages: supportLabels.length,
      };
      if (cancelled) {
        const summary: AdaptJobSummary = { ...summaryBase, modelId: null, after: null, seconds: trainingSeconds, cancelled: true };
        return { summary: { ...summary }, counts: { total, done: runs.reduce((n, r) => n + r.curve.length, 0), imported: 0, skipped: 0, failed: 0 }, message: 'stopped', cancelled: true };
      }
      emitProgress(total, total, 'compare', null, null);
      const after = chosen.after;
      if (autoHoldout.length > 0 && best.step > 0) {
        // The held-out shots chose the step count (and `after` was measured on them); now every shot trains.
        const autoIds = new Set(autoHoldout.map((s) => s.id));
        const autoRows = holdoutFeatures.ids.flatMap((id, row) => (autoIds.has(id) ? [row] : []));
        const autoX = tf.tensor4d(Float32Array.from(autoRows.flatMap((row) => Array.from(holdoutFeatures.features.subarray(row * rowLength, (row + 1) * rowLength)))), [autoRows.length, ...shape]);
        const allShallow = tf.concat([supportX, autoX]);
        autoX.dispose();
        const allX = model.net.advanceTrunk(allShallow, model.fromStage, fromStage);
        allShallow.dispose();
        owned.push(allX);
        const init = new Map(model.net.parameterNames(group).map((name) => [name, model.net.variables.get(name) as tf.Tensor]));
        const { fast } = innerLoop(init, featureLoss(model.net, fromStage, allX, [...supportLabels, ...autoRows.map((row) => holdLabels[row]!)]), { steps: best.step, learningRate: config.learningRate, stepSizes: config.stepSizes });
        owned.push(...fast.values());
        best = { ...best, weights: fast };
      }
      emitProgress(total, total, 'save', null, null);
      model.net.setWeights(best.weights);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const dirName = `${p.name.replace(/[^\w.-]+/g, '-').slice(0, 60) || 'adapted'}-${stamp}`;
      const packageDir = path.join(options.modelsDir, dirName);
      const manifest = await saveModelPackage(packageDir, model.net, {
        name: p.name,
        preprocess: model.manifest.preprocess,
        provenance: {
          stage: 'adapted',
          datasets: [],
          parent: { id: parent.id, name: parent.name },
          created: new Date().toISOString(),
          backend: tf.getBackend(),
          trainingSeconds,
          steps: best.step,
          complete: true,
          options: {
            // The group adapted ('auto' resolved): the child re-embeds from its own first stage, under that trunk's key.
            adaptation: { ...config, group },
            fromStage,
            trunkKey: trunkKey(model.net, model.manifest, fromStage),
            depth: { requested: config.group, chosen: group, candidates },
            classes: p.classIds.map((id, i) => ({
              id,
              name: set.classNames[i],
              support: set.support.filter((s) => s.label === i).map((s) => s.id),
              holdout: set.holdout.filter((s) => s.label === i).map((s) => s.id),
            })),
            negatives: set.support.filter((s) => s.label >= p.classIds.length).map((s) => s.id),
            // Shots held out automatically to choose the step count (then trained on as well).
            autoHoldout: autoHoldout.map((s) => s.id),
            before,
            after,
            stoppedEarly,
          },
        },
        metrics: {
          loss: curve.map((c) => ({ step: c.step, value: c.loss })),
          validation: [],
          final: after ? { recallAt1: after.recallAt1, mapAtR: after.mapAtR } : null,
        },
      });
      const registered = registerModelPackage(catalogue.models, options.modelsDir, packageDir, manifest);
      if (!registered.ok) throw new Error(registered.message);
      const seconds = (performance.now() - started) / 1000;
      const summary: AdaptJobSummary = { ...summaryBase, modelId: registered.model.id, after, seconds, cancelled: false };
      return {
        summary: { ...summary },
        counts: { total, done: total, imported: 1, skipped: 0, failed: supportFeatures.failures.length + holdoutFeatures.failures.length },
        message: `adapted ${p.name} in ${best.step} steps${stoppedEarly ? ' (early stop)' : ''}${order.length > 1 ? `, depth ${group} (held-out ${candidates.map((c) => `${c.group} ${c.validation === null ? 'n/a' : c.validation.toFixed(3)}`).join(', ')})` : ''}`,
      };
    } finally {
      for (const t of owned) t.dispose();
      model.dispose();
    }
  };
}
