/**
 * Stage 2 of the method: episodic MAML (DESIGN §1 step 2) from a stage-1 initialisation.
 * Episodes (N-way K-shot support + Q queries per class) come from the training classes of the given
 * ImageFolder sets; whole classes are held out for meta-validation with the same split as stage 1
 * (splitByClass, same seed), so stage 2 never validates on classes stage 1 trained on.
 *
 * Efficiency: only the adaptable group changes, in the inner loop and in the outer update, so the
 * stages before the group's first stage are frozen in stage 2 as well (decision: for
 * 'last-stage-head' stages 1..last-1 keep their stage-1 weights; for 'rectifiers' the first stage
 * holds rectifiers, so nothing is cached and every step runs the whole CNN). Their output is computed
 * once per image (TrunkFeatureCache) and every inner/outer step runs on cached features only.
 *
 * Learnt step sizes (issue 10, Meta-SGD per tensor): with learnStepSizes the outer update also learns
 * one inner step size per tensor of the group (stepSizes.ts); with freezeWeights it learns only them,
 * so the weights stay stage 1's (meta-training the weights washed out stage-1 features on far domains)
 * and "ours" differs from "sft" exactly by the step sizes. They are the model's adaptation
 * (provenance.options.adaptation.stepSizes), meta-validation adapts with the current ones, and the
 * learner's state travels in the checkpoint.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { AdaptationConfig } from '../adaptation/fewShotAdapt';
import { featureLoss } from '../adaptation/adaptationLoss';
import { multiSimilarityLoss } from '../losses/multiSimilarityLoss';
import { describeDataset } from '../data/datasetRecord';
import { scanImageFolder, type ImageFolder } from '../data/imageFolder';
import { joinImageFolders } from '../data/labelledImages';
import { sampleEpisodes, type Episode, type LabelledItem } from '../episodes/episodeSampler';
import { preprocessedInputs } from '../evaluation/inputSource';
import type { EmbeddingNet, ParameterGroup } from '../models/embeddingNet';
import type { ModelManifest } from '../package/manifest';
import { loadModelPackage, readModelManifest, saveModelPackage, type ManifestInput } from '../package/modelPackage';
import { loadCheckpoint, saveCheckpoint } from '../training/trainerCheckpoint';
import { splitByClass, type ValidationMetrics } from '../training/validationPool';
import { metaStep, type MamlOrder } from './maml';
import { metaValidate } from './metaValidation';
import { StepSizeLearner, stepSizeStateSchema } from './stepSizes';
import { TrunkFeatureCache } from './trunkFeatureCache';

export interface MetaTrainOptions {
  /** The stage-1 (or previous stage-2) model package to start from. */
  init: string;
  datasets: string[];
  out: string;
  checkpointDir?: string;
  name?: string;
  group?: ParameterGroup;
  order?: MamlOrder;
  /** T */
  innerSteps?: number;
  /** alpha */
  innerLearningRate?: number;
  /** beta (Adam) */
  outerLearningRate?: number;
  /** Meta-learn one inner step size per tensor of the group, starting at alpha (Meta-SGD). */
  learnStepSizes?: boolean;
  /** Adam learning rate of the log step sizes (default 0.01). */
  stepSizeLearningRate?: number;
  /** The outer update changes only the step sizes; the weights stay the init's (needs learnStepSizes). */
  freezeWeights?: boolean;
  way?: number;
  shot?: number;
  queries?: number;
  /** Episodes per outer update. */
  metaBatch?: number;
  steps?: number;
  minutes?: number;
  seed?: number;
  /** Must match stage 1's split to keep validation classes unseen (pretrain's default 0.05). */
  validationFraction?: number;
  validationEpisodes?: number;
  validateEverySteps?: number;
  checkpointEveryMinutes?: number;
  resume?: boolean;
  backend?: string;
  /** Extra provenance (the alternation's record). */
  extraOptions?: Record<string, unknown>;
  signal?: AbortSignal;
  onProgress?: (progress: MetaTrainProgress) => void;
}

export interface MetaTrainProgress {
  phase: 'train' | 'validate' | 'checkpoint' | 'done';
  step: number;
  totalSteps: number | null;
  queryLoss: number;
  episodesPerSecond: number;
  elapsedSeconds: number;
  cachedImages: number;
  validation?: ValidationMetrics;
}

export type MetaTrainResult =
  | {
      ok: true;
      manifest: ModelManifest;
      steps: number;
      stoppedBy: 'steps' | 'time' | 'cancelled';
      trainingSeconds: number;
      /** The init on the meta-validation episodes without adaptation (stage 1's own use). */
      initUnadapted: ValidationMetrics;
      /** The init after the inner loop's adaptation. */
      initValidation: ValidationMetrics;
      finalValidation: ValidationMetrics;
      /** With learnStepSizes: the package's step sizes (those of the selected step). */
      stepSizes?: Record<string, number>;
    }
  | { ok: false; code: 'bad-options' | 'data-unreadable' | 'too-few-classes' | 'model-unreadable' | 'checkpoint-unreadable' | 'second-order-unsupported'; message: string };

const now = () => performance.now() / 1000;

export async function metaTrain(options: MetaTrainOptions): Promise<MetaTrainResult> {
  if (options.steps === undefined && options.minutes === undefined) return { ok: false, code: 'bad-options', message: 'give a step budget (steps) or a time budget (minutes)' };
  if (options.datasets.length === 0) return { ok: false, code: 'bad-options', message: 'give at least one data folder' };
  const group = options.group ?? 'last-stage-head';
  const order = options.order ?? 1;
  const innerSteps = options.innerSteps ?? 5;
  const innerLearningRate = options.innerLearningRate ?? 0.2;
  const outerLearningRate = options.outerLearningRate ?? 5e-4;
  const way = options.way ?? 5;
  const shot = options.shot ?? 5;
  const queries = options.queries ?? 10;
  const metaBatch = options.metaBatch ?? 4;
  const seed = options.seed ?? 1;
  const learnStepSizes = options.learnStepSizes === true;
  const stepSizeLearningRate = options.stepSizeLearningRate ?? 0.01;
  const freezeWeights = options.freezeWeights === true;
  if (freezeWeights && !learnStepSizes) return { ok: false, code: 'bad-options', message: 'freezing the weights needs learnt step sizes (nothing else would change)' };
  if (!(stepSizeLearningRate > 0)) return { ok: false, code: 'bad-options', message: 'the step-size learning rate must be positive' };
  const checkpointDir = options.checkpointDir ?? `${path.resolve(options.out)}.checkpoint`;

  const initManifest = await readModelManifest(options.init);
  if (!initManifest.ok) return { ok: false, code: 'model-unreadable', message: `init model ${options.init}: ${initManifest.message}` };
  const folders: ImageFolder[] = [];
  for (const dir of options.datasets) {
    const scanned = await scanImageFolder(dir);
    if (!scanned.ok) return { ok: false, code: 'data-unreadable', message: scanned.message };
    folders.push(scanned.folder);
  }
  const joined = joinImageFolders(folders, folders.map((f) => path.basename(f.root)));
  const datasetRecords = await Promise.all(folders.map(describeDataset));
  const classSets = folders.flatMap((folder, set) => folder.classes.map(() => set));
  const split = splitByClass(joined.images, classSets, { fraction: options.validationFraction ?? 0.05, imagesPerClass: 10, seed });
  const trainPool: LabelledItem<string>[] = split.train.map((image) => ({ itemId: image.path, classKey: String(image.label) }));
  const validationPool: LabelledItem<string>[] = split.validation.map((image) => ({ itemId: image.path, classKey: String(image.label) }));
  const validationShot = Math.min(shot, 5);
  const validationPlan = sampleEpisodes(validationPool, { way, shot: validationShot, queries: 10 - validationShot, episodes: options.validationEpisodes ?? 30, seed: seed + 101 });
  if (!validationPlan.ok) return { ok: false, code: 'too-few-classes', message: `meta-validation: ${validationPlan.message}` };
  const probe = sampleEpisodes(trainPool, { way, shot, queries, episodes: 1, seed });
  if (!probe.ok) return { ok: false, code: 'too-few-classes', message: probe.message };

  let net: EmbeddingNet;
  let step = 0;
  let previousSeconds = 0;
  let lossCurve: ModelManifest['metrics']['loss'] = [];
  let validationCurve: ModelManifest['metrics']['validation'] = [];
  let restoreOptimizer: ((o: tf.Optimizer) => Promise<void>) | undefined;
  let bestStep: number | undefined;
  let initValidation: ValidationMetrics | undefined;
  let initUnadapted: ValidationMetrics | undefined;
  let resumedStepSizes: unknown;
  if (options.resume) {
    const resumed = await loadCheckpoint(checkpointDir);
    if (!resumed.ok) return { ok: false, code: 'checkpoint-unreadable', message: resumed.message };
    net = resumed.net;
    step = resumed.state.step;
    previousSeconds = resumed.state.trainingSeconds;
    lossCurve = resumed.manifest.metrics.loss;
    validationCurve = resumed.manifest.metrics.validation;
    restoreOptimizer = resumed.restoreOptimizer;
    const recorded = resumed.manifest.provenance.options?.initValidation as ValidationMetrics | undefined;
    initValidation = recorded;
    initUnadapted = resumed.manifest.provenance.options?.initUnadapted as ValidationMetrics | undefined;
    resumedStepSizes = resumed.state.extra?.stepSizes;
  } else {
    const loaded = await loadModelPackage(options.init);
    if (!loaded.ok) return { ok: false, code: 'model-unreadable', message: `init model ${options.init}: ${loaded.message}` };
    net = loaded.net;
  }

  const spec = initManifest.manifest.preprocess;
  const inputs = preprocessedInputs<string>(spec, (file) => file, { cacheImages: 0 });
  const fromStage = net.firstStageOf(group);
  const cache = new TrunkFeatureCache(net, fromStage, inputs);
  const variables = new Map(net.parameterNames(group).map((name) => [name, net.variables.get(name) as tf.Variable]));
  let learner: StepSizeLearner | undefined;
  if (learnStepSizes) {
    // A resumed run continues the checkpoint's step sizes and Adam moments; a fresh one starts at alpha.
    const state = resumedStepSizes === undefined ? undefined : stepSizeStateSchema.safeParse(resumedStepSizes);
    if (state && !state.success) {
      net.dispose();
      return { ok: false, code: 'checkpoint-unreadable', message: `cannot resume: the checkpoint's step sizes are invalid (${state.error.issues[0]?.message ?? 'invalid'})` };
    }
    learner = new StepSizeLearner([...variables.keys()], innerLearningRate, stepSizeLearningRate, { state: state?.data });
  }
  const optimizer = tf.train.adam(outerLearningRate);
  if (restoreOptimizer) await restoreOptimizer(optimizer);
  const queryLoss = multiSimilarityLoss();
  const adaptationWith = (stepSizes: Record<string, number> | undefined): AdaptationConfig => ({ group, steps: innerSteps, learningRate: innerLearningRate, earlyStop: true, ...(stepSizes ? { stepSizes } : {}) });
  // Validation adapts exactly like the inner loop (no early stop, the current step sizes), so the curve measures what MAML optimises.
  const validationConfig = (): AdaptationConfig => ({ ...adaptationWith(learner?.stepSizes), earlyStop: false });

  const started = now();
  const elapsed = () => now() - started;
  const budgetSeconds = options.minutes !== undefined ? options.minutes * 60 : Infinity;
  const validateEvery = options.validateEverySteps ?? 50;
  const checkpointSeconds = (options.checkpointEveryMinutes ?? 5) * 60;
  let lastCheckpoint = elapsed();
  let lastLoss = NaN;
  let pendingLoss = 0;
  let episodesDone = 0;
  let stoppedBy: 'steps' | 'time' | 'cancelled' = 'steps';
  const initStage1 = initManifest.manifest.metrics;

  const finalPoint = () => {
    const point = validationCurve.find((p) => p.step === bestStep) ?? validationCurve.at(-1);
    return point ? { recallAt1: point.recallAt1, mapAtR: point.mapAtR } : null;
  };
  // The package's step sizes: the current ones while training, the selected step's at the end.
  let recordedStepSizes = () => learner?.stepSizes;
  const manifestInput = (complete: boolean): ManifestInput => ({
    name: options.name ?? path.basename(path.resolve(options.out)),
    preprocess: spec,
    provenance: {
      stage: 'meta',
      datasets: datasetRecords,
      parent: { id: null, name: initManifest.manifest.name },
      created: new Date().toISOString(),
      backend: options.backend ?? tf.getBackend(),
      trainingSeconds: previousSeconds + elapsed(),
      steps: step,
      complete,
      options: {
        init: path.resolve(options.init),
        group,
        order,
        innerSteps,
        innerLearningRate,
        outerLearningRate,
        ...(learner ? { learnStepSizes, stepSizeLearningRate, freezeWeights } : {}),
        way,
        shot,
        queries,
        metaBatch,
        seed,
        frozenStages: fromStage - 1,
        // The step whose weights the package holds (best meta-validation MAP@R); set when the run ends.
        selectedStep: bestStep ?? null,
        validationClasses: split.validationClasses,
        validationEpisodes: validationPlan.episodes.length,
        // The model's configured adaptation ("ours" and the wizard use it; "sft" leaves out its step sizes).
        adaptation: adaptationWith(recordedStepSizes()),
        initValidation,
        initUnadapted,
        // Stage 1's curves travel with the model (the method's two curves).
        stage1: { name: initManifest.manifest.name, steps: initManifest.manifest.provenance.steps, loss: initStage1.loss, validation: initStage1.validation },
        ...options.extraOptions,
      },
    },
    metrics: { loss: lossCurve, validation: validationCurve, final: complete ? finalPoint() : null },
  });
  const report = (phase: MetaTrainProgress['phase'], validation?: ValidationMetrics) =>
    options.onProgress?.({ phase, step, totalSteps: options.steps ?? null, queryLoss: lastLoss, episodesPerSecond: episodesDone / Math.max(elapsed(), 1e-9), elapsedSeconds: previousSeconds + elapsed(), cachedImages: cache.size, validation });
  // The best initialisation by meta-validation is what the run returns (early stopping on held-out
  // classes): a noisy outer update can never leave stage 2 worse than its best point.
  let best: { step: number; mapAtR: number; weights: Map<string, tf.Tensor>; stepSizes?: Record<string, number> } | undefined;
  const keepIfBest = (metrics: ValidationMetrics) => {
    if (best && metrics.mapAtR <= best.mapAtR) return;
    for (const t of best?.weights.values() ?? []) t.dispose();
    best = { step, mapAtR: metrics.mapAtR, weights: new Map([...variables].map(([name, v]) => [name, tf.clone(v)])), stepSizes: learner?.stepSizes };
  };
  const validate = async () => {
    report('validate');
    const metrics = await metaValidate(net, cache, validationPlan.episodes, validationConfig());
    validationCurve.push({ step, ...metrics });
    keepIfBest(metrics);
    report('validate', metrics);
    return metrics;
  };
  const trainerState = () => ({ step, trainingSeconds: previousSeconds + elapsed(), ...(learner ? { extra: { stepSizes: learner.state() } } : {}) });
  const checkpoint = async (complete: boolean) => {
    report('checkpoint');
    const input = manifestInput(complete);
    await saveCheckpoint(checkpointDir, net, input, trainerState(), optimizer);
    await saveModelPackage(options.out, net, input);
    lastCheckpoint = elapsed();
  };

  try {
    initUnadapted ??= await metaValidate(net, cache, validationPlan.episodes, { ...validationConfig(), steps: 0 });
    if (!initValidation) initValidation = await validate();
    while (true) {
      if (options.steps !== undefined && step >= options.steps) break;
      if (elapsed() >= budgetSeconds) {
        stoppedBy = 'time';
        break;
      }
      if (options.signal?.aborted) {
        stoppedBy = 'cancelled';
        break;
      }
      // Seeded by the step, so a resumed run draws the episodes an uninterrupted run would.
      const plan = sampleEpisodes(trainPool, { way, shot, queries, episodes: metaBatch, seed: seed * 7919 + step + 1 });
      if (!plan.ok) throw new Error(plan.message);
      const tensors: tf.Tensor[] = [];
      try {
        const tasks = [];
        for (const episode of plan.episodes as Episode<string>[]) {
          const labelOf = (item: LabelledItem<string>) => episode.classes.indexOf(item.classKey);
          const support = await cache.tensor(episode.support.map((s) => s.itemId));
          const query = await cache.tensor(episode.query.map((q) => q.itemId));
          tensors.push(support, query);
          // The outer loss is stage 1's loss (Multi-Similarity with its miner), so stage 2 optimises what
          // stage 1 did, measured after adaptation; the inner loop uses every pair (few shots, few pairs).
          tasks.push({ support: featureLoss(net, fromStage, support, episode.support.map(labelOf)), query: featureLoss(net, fromStage, query, episode.query.map(labelOf), queryLoss) });
        }
        // Frozen weights: no optimiser, so only the step sizes change.
        const result = metaStep(variables, tasks, { steps: innerSteps, learningRate: innerLearningRate, stepSizes: learner?.stepSizes, order, stepSizeGradients: learner !== undefined }, freezeWeights ? null : optimizer);
        lastLoss = result.queryLoss;
        if (learner && result.logStepSizeGrads) learner.update(result.logStepSizeGrads);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (order === 2 && /gradient function not found/i.test(message)) {
          return { ok: false, code: 'second-order-unsupported', message: `second-order MAML needs the gradient of a gradient kernel this backend lacks (${message}); use --order 1` };
        }
        throw error;
      } finally {
        for (const t of tensors) t.dispose();
      }
      step++;
      episodesDone += metaBatch;
      pendingLoss += lastLoss;
      if (step % 5 === 0) {
        lossCurve.push({ step, value: pendingLoss / 5 });
        pendingLoss = 0;
      }
      report('train');
      if (step % validateEvery === 0) await validate();
      if (elapsed() - lastCheckpoint >= checkpointSeconds) await checkpoint(false);
    }
    if (validationCurve.at(-1)?.step !== step) await validate();
    // Resume continues from the last state; the package holds the best one (a resumed run's earlier
    // best is only known from the curve, so after a resume the best of this run is used).
    await saveCheckpoint(checkpointDir, net, manifestInput(false), trainerState(), optimizer);
    if (best && best.step !== step) for (const [name, value] of best.weights) (variables.get(name) as tf.Variable).assign(value);
    bestStep = best?.step ?? step;
    const selectedStepSizes = best ? best.stepSizes : learner?.stepSizes;
    recordedStepSizes = () => selectedStepSizes;
    await saveModelPackage(options.out, net, manifestInput(stoppedBy !== 'cancelled'));
    const manifest = await readModelManifest(options.out);
    report('done');
    if (!manifest.ok) throw new Error(manifest.message);
    const last = validationCurve.find((point) => point.step === bestStep) ?? (validationCurve.at(-1) as ModelManifest['metrics']['validation'][number]);
    return { ok: true, manifest: manifest.manifest, steps: step, stoppedBy, trainingSeconds: previousSeconds + elapsed(), initUnadapted, initValidation: initValidation as ValidationMetrics, finalValidation: { recallAt1: last.recallAt1, mapAtR: last.mapAtR }, ...(selectedStepSizes ? { stepSizes: selectedStepSizes } : {}) };
  } finally {
    for (const t of best?.weights.values() ?? []) t.dispose();
    optimizer.dispose();
    cache.clear();
    net.dispose();
  }
}
