import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { NO_AUGMENTATION, type AugmentationOptions } from '../data/augmentation';
import { createBatchLoader } from '../data/batchLoader';
import { describeDataset } from '../data/datasetRecord';
import { scanImageFolder, type ImageFolder } from '../data/imageFolder';
import { joinImageFolders } from '../data/labelledImages';
import { defaultPreprocessSpec, type PreprocessSpec } from '../data/preprocessSpec';
import { multiSimilarityLoss } from '../losses/multiSimilarityLoss';
import { createEmbeddingNet, type Architecture, type EmbeddingNet } from '../models/embeddingNet';
import { readModelManifest, saveModelPackage, type ManifestInput } from '../package/modelPackage';
import type { ModelManifest } from '../package/manifest';
import { createClassBalancedSampler } from '../samplers/classBalancedSampler';
import { createMetricStepRunner, type MetricStepRunner } from './metricStepRunner';
import { loadCheckpoint, saveCheckpoint } from './trainerCheckpoint';
import { splitByClass, ValidationPool, type ValidationMetrics } from './validationPool';

export interface PretrainOptions {
  /** ImageFolder sets (base classes only); classes of different sets stay distinct. */
  datasets: string[];
  /** The model package written at every checkpoint (complete: false) and at the end. */
  out: string;
  /** Checkpoint folder for --resume (default `<out>.checkpoint`). */
  checkpointDir?: string;
  name?: string;
  arch?: Architecture;
  inputSize?: number;
  channels?: 1 | 3;
  widths?: number[];
  projectionDim?: number;
  /** Stop at this total step count (counted across resumes). */
  steps?: number;
  /** Stop after this many minutes of this run. At least one of steps/minutes is needed. */
  minutes?: number;
  classesPerBatch?: number;
  samplesPerClass?: number;
  learningRate?: number;
  seed?: number;
  /** Random translation in pixels (0 = none; never flips: they change characters). */
  maxShift?: number;
  /** Crop / flip / colour jitter (training batches only). */
  augmentation?: AugmentationOptions;
  /** Give every data set an equal share of each batch's classes, whatever its class count. */
  balanceSets?: boolean;
  /** Worker threads that share each step (data-parallel; default 1: this thread). */
  workers?: number;
  /** Ghost batches per step with their own batch-norm statistics (default: workers). Same shards, same weights. */
  shards?: number;
  resume?: boolean;
  checkpointEverySteps?: number;
  checkpointEveryMinutes?: number;
  validationFraction?: number;
  validationImagesPerClass?: number;
  validateEverySteps?: number;
  /** Loss-curve resolution: one point per this many steps (mean loss). */
  lossEvery?: number;
  /** The backend that runs (recorded in provenance). */
  backend?: string;
  signal?: AbortSignal;
  onProgress?: (progress: PretrainProgress) => void;
}

export interface PretrainProgress {
  phase: 'train' | 'validate' | 'checkpoint' | 'done';
  step: number;
  totalSteps: number | null;
  loss: number;
  imagesPerSecond: number;
  elapsedSeconds: number;
  etaSeconds: number | null;
  validation?: ValidationMetrics;
}

export type StopReason = 'steps' | 'time' | 'cancelled';
export type PretrainResult =
  | { ok: true; manifest: ModelManifest; steps: number; stoppedBy: StopReason; trainingSeconds: number; decodeFailures: number }
  | { ok: false; code: 'bad-options' | 'data-unreadable' | 'too-few-classes' | 'checkpoint-unreadable' | 'cancelled'; message: string };

const now = () => performance.now() / 1000;

/**
 * Stage 1 of the method: metric pre-training with Multi-Similarity loss on P x K class-balanced
 * batches, Adam, validation by retrieval on held-out classes, resumable checkpoints.
 */
export async function pretrain(options: PretrainOptions): Promise<PretrainResult> {
  if (options.steps === undefined && options.minutes === undefined) return { ok: false, code: 'bad-options', message: 'give a step budget (steps) or a time budget (minutes)' };
  if (options.datasets.length === 0) return { ok: false, code: 'bad-options', message: 'give at least one data folder' };
  const seed = options.seed ?? 1;
  const spec: PreprocessSpec = defaultPreprocessSpec(options.inputSize ?? 84, options.channels ?? 1);
  const checkpointDir = options.checkpointDir ?? `${path.resolve(options.out)}.checkpoint`;

  const folders: ImageFolder[] = [];
  for (const dir of options.datasets) {
    const scanned = await scanImageFolder(dir);
    if (!scanned.ok) return { ok: false, code: 'data-unreadable', message: scanned.message };
    folders.push(scanned.folder);
  }
  const joined = joinImageFolders(folders, folders.map((f) => path.basename(f.root)));
  const datasetRecords = await Promise.all(folders.map(describeDataset));
  const classSets = folders.flatMap((folder, set) => folder.classes.map(() => set));
  const split = splitByClass(joined.images, classSets, { fraction: options.validationFraction ?? 0.05, imagesPerClass: options.validationImagesPerClass ?? 10, seed });
  const validation = split.validation.length > 1 ? new ValidationPool(split.validation, spec) : undefined;

  let net: EmbeddingNet;
  let step = 0;
  let previousSeconds = 0;
  let lossCurve: ModelManifest['metrics']['loss'] = [];
  let validationCurve: ModelManifest['metrics']['validation'] = [];
  let restoreOptimizer: ((o: tf.Optimizer) => Promise<void>) | undefined;
  if (options.resume) {
    const resumed = await loadCheckpoint(checkpointDir);
    if (!resumed.ok) return { ok: false, code: 'checkpoint-unreadable', message: resumed.message };
    net = resumed.net;
    step = resumed.state.step;
    previousSeconds = resumed.state.trainingSeconds;
    lossCurve = resumed.manifest.metrics.loss;
    validationCurve = resumed.manifest.metrics.validation;
    restoreOptimizer = resumed.restoreOptimizer;
  } else {
    net = createEmbeddingNet({ arch: options.arch ?? 'conv4', inputSize: spec.inputSize, channels: spec.channels, widths: options.widths, projectionDim: options.projectionDim, seed });
  }

  const p = options.classesPerBatch ?? 8;
  const k = options.samplesPerClass ?? 4;
  // Reseeded from the step so a resumed run draws fresh batches, reproducibly.
  const classGroups = options.balanceSets ? new Map(classSets.map((set, label) => [label, set])) : undefined;
  const sampled = createClassBalancedSampler(split.train.map((image) => image.label), { classesPerBatch: p, samplesPerClass: k, seed: seed + step * 31, classGroups });
  if (!sampled.ok) {
    net.dispose();
    return { ok: false, code: sampled.code === 'too-few-classes' ? 'too-few-classes' : 'bad-options', message: sampled.message };
  }
  const loader = createBatchLoader({ images: split.train, spec, sampler: sampled.sampler, maxShift: options.maxShift ?? 0, augmentation: options.augmentation, seed: seed + step, prefetch: 2 });
  const loss = multiSimilarityLoss();
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  if (restoreOptimizer) await restoreOptimizer(optimizer);

  const started = now();
  const elapsed = () => now() - started;
  const budgetSeconds = options.minutes !== undefined ? options.minutes * 60 : Infinity;
  const lossEvery = options.lossEvery ?? 10;
  const validateEvery = options.validateEverySteps ?? 200;
  const checkpointSteps = options.checkpointEverySteps ?? Infinity;
  const checkpointSeconds = (options.checkpointEveryMinutes ?? 5) * 60;
  let lastCheckpoint = elapsed();
  let pendingLoss = 0;
  let pendingCount = 0;
  let lastLoss = NaN;
  let trainedImages = 0;
  let trainSeconds = 0;
  let stoppedBy: StopReason = 'steps';

  const manifestInput = (complete: boolean): ManifestInput => {
    const final = complete ? (validationCurve.at(-1) ?? null) : null;
    return {
      name: options.name ?? path.basename(path.resolve(options.out)),
      preprocess: spec,
      provenance: {
        stage: 'pretrain',
        datasets: datasetRecords,
        parent: null,
        created: new Date().toISOString(),
        backend: options.backend ?? tf.getBackend(),
        trainingSeconds: previousSeconds + elapsed(),
        steps: step,
        complete,
        options: { loss: loss.name, classesPerBatch: p, samplesPerClass: k, learningRate: options.learningRate ?? 1e-3, seed, maxShift: options.maxShift ?? 0, augmentation: options.augmentation ?? NO_AUGMENTATION, balanceSets: options.balanceSets ?? false, workers: runner?.workers ?? 1, shards: runner?.shards ?? 1, validationClasses: split.validationClasses, validationImages: split.validation.length },
      },
      metrics: { loss: lossCurve, validation: validationCurve, final: final && { recallAt1: final.recallAt1, mapAtR: final.mapAtR } },
    };
  };
  const report = (phase: PretrainProgress['phase'], extra: Partial<PretrainProgress> = {}) => {
    const rate = trainSeconds > 0 ? trainedImages / trainSeconds : 0;
    const stepsLeft = options.steps !== undefined ? Math.max(0, options.steps - step) : Infinity;
    const secondsPerStep = trainSeconds > 0 && trainedImages > 0 ? trainSeconds / (trainedImages / sampled.sampler.batchSize) : NaN;
    const eta = Math.min(stepsLeft * secondsPerStep, budgetSeconds - elapsed());
    options.onProgress?.({ phase, step, totalSteps: options.steps ?? null, loss: lastLoss, imagesPerSecond: rate, elapsedSeconds: previousSeconds + elapsed(), etaSeconds: Number.isFinite(eta) ? Math.max(0, eta) : null, ...extra });
  };
  let runner: MetricStepRunner | undefined;
  const runValidation = async () => {
    if (!validation) return;
    await runner?.sync();
    report('validate');
    const metrics = await validation.evaluate(net);
    validationCurve.push({ step, ...metrics });
    report('validate', { validation: metrics });
  };
  const checkpoint = async (complete: boolean) => {
    await runner?.sync();
    report('checkpoint');
    const input = manifestInput(complete);
    await saveCheckpoint(checkpointDir, net, input, { step, trainingSeconds: previousSeconds + elapsed() }, optimizer);
    await saveModelPackage(options.out, net, input);
    lastCheckpoint = elapsed();
  };

  try {
    if (step === 0 && validationCurve.length === 0) await runValidation(); // the random-weights baseline
    runner = await createMetricStepRunner({ net, loss, optimizer, learningRate: options.learningRate ?? 1e-3, batchSize: sampled.sampler.batchSize, workers: options.workers ?? 1, shards: options.shards });
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
      const batch = await loader.next();
      const stepStart = now();
      lastLoss = await runner.step(batch.images, batch.labels);
      trainSeconds += now() - stepStart;
      trainedImages += batch.size;
      step++;
      pendingLoss += lastLoss;
      pendingCount++;
      if (pendingCount >= lossEvery) {
        lossCurve.push({ step, value: pendingLoss / pendingCount });
        pendingLoss = 0;
        pendingCount = 0;
      }
      report('train');
      if (step % validateEvery === 0) await runValidation();
      if (step % checkpointSteps === 0 || elapsed() - lastCheckpoint >= checkpointSeconds) await checkpoint(false);
    }
    if (pendingCount > 0) lossCurve.push({ step, value: pendingLoss / pendingCount });
    if (validationCurve.at(-1)?.step !== step) await runValidation();
    await checkpoint(stoppedBy !== 'cancelled');
    const manifest = await readModelManifest(options.out);
    report('done');
    if (!manifest.ok) throw new Error(manifest.message);
    return { ok: true, manifest: manifest.manifest, steps: step, stoppedBy, trainingSeconds: previousSeconds + elapsed(), decodeFailures: loader.failures.size };
  } finally {
    await runner?.close();
    optimizer.dispose();
    net.dispose();
  }
}
