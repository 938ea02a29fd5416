/**
 * The method's claim 3: repeat stage 1 (metric pre-training) and stage 2 (MAML) until their
 * validation results agree within a tolerance, or the budget ends. Each round continues stage 1 from
 * its checkpoint (Adam state kept) with the weights stage 2 produced, then runs stage 2 from that.
 * Both stages are measured on the same meta-validation episodes (held-out classes): stage 1 without
 * adaptation, stage 2 after its inner-loop adaptation; "agree" = |difference in MAP@R| <= tolerance.
 * Both curves (stage 1's in provenance.options.stage1, stage 2's as the package's metrics) and the
 * per-round record (provenance.options.alternation) are stored with the output model.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { metaTrain, type MetaTrainOptions, type MetaTrainProgress } from '../meta/metaTrain';
import { loadModelPackage, readModelManifest, saveModelPackage, type ManifestInput } from '../package/modelPackage';
import type { ModelManifest } from '../package/manifest';
import type { Architecture } from '../models/architectures';
import { pretrain, type PretrainOptions } from './pretrain';
import { loadCheckpoint, saveCheckpoint } from './trainerCheckpoint';

export interface AlternationOptions {
  datasets: string[];
  out: string;
  /** Stage-1 model to continue from; without it stage 1 starts from random weights. */
  init?: string;
  workDir?: string;
  arch?: Architecture;
  inputSize?: number;
  channels?: 1 | 3;
  rounds: number;
  stage1Steps: number;
  stage2Minutes: number;
  minutes?: number;
  tolerance: number;
  stage1?: Pick<PretrainOptions, 'classesPerBatch' | 'samplesPerClass' | 'learningRate' | 'maxShift' | 'augmentation' | 'balanceSets' | 'workers' | 'shards'>;
  meta?: Omit<MetaTrainOptions, 'init' | 'datasets' | 'out' | 'steps' | 'minutes' | 'resume' | 'seed' | 'backend' | 'signal' | 'onProgress' | 'checkpointDir'>;
  seed?: number;
  backend?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
  onMetaProgress?: (progress: MetaTrainProgress) => void;
}

export interface AlternationRound {
  round: number;
  stage1Steps: number;
  /** Stage-1 model on the meta-validation episodes, no adaptation. */
  stage1MapAtR: number;
  /** Stage-2 model after adaptation, same episodes. */
  stage2MapAtR: number;
  stage2Steps: number;
}

export type AlternationResult =
  | { ok: true; rounds: AlternationRound[]; agreed: boolean; stoppedBy: 'agreed' | 'rounds' | 'time' | 'cancelled' }
  | { ok: false; code: string; message: string };

function inputOf(manifest: ModelManifest): ManifestInput {
  const { format: _f, formatVersion: _v, architecture: _a, embeddingDim: _e, parameterGroups: _g, weights: _w, ...input } = manifest;
  return input;
}

/** Makes a stage-1 checkpoint (weights, fresh Adam) from a model package, so pretrain can resume it. */
async function checkpointFromPackage(dir: string, checkpointDir: string): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
  const loaded = await loadModelPackage(dir);
  if (!loaded.ok) return loaded;
  const optimizer = tf.train.adam();
  try {
    await saveCheckpoint(checkpointDir, loaded.net, inputOf(loaded.manifest), { step: loaded.manifest.provenance.steps, trainingSeconds: loaded.manifest.provenance.trainingSeconds }, optimizer);
    return { ok: true };
  } finally {
    optimizer.dispose();
    loaded.net.dispose();
  }
}

/** Puts stage 2's weights into stage 1's checkpoint, keeping its step count and Adam state. */
async function handBack(metaDir: string, checkpointDir: string): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
  const meta = await loadModelPackage(metaDir);
  if (!meta.ok) return meta;
  const resumed = await loadCheckpoint(checkpointDir);
  if (!resumed.ok) {
    meta.net.dispose();
    return resumed;
  }
  const optimizer = tf.train.adam();
  try {
    await resumed.restoreOptimizer(optimizer);
    resumed.net.setWeights(meta.net.variables);
    await saveCheckpoint(checkpointDir, resumed.net, resumed.manifest, resumed.state, optimizer);
    return { ok: true };
  } finally {
    optimizer.dispose();
    meta.net.dispose();
    resumed.net.dispose();
  }
}

export async function alternate(options: AlternationOptions): Promise<AlternationResult> {
  const log = options.log ?? (() => {});
  const work = options.workDir ?? `${path.resolve(options.out)}.work`;
  const stage1Dir = path.join(work, 'stage1');
  const stage1Checkpoint = path.join(work, 'stage1.checkpoint');
  const seed = options.seed ?? 1;
  const started = performance.now();
  const secondsLeft = () => (options.minutes !== undefined ? options.minutes * 60 - (performance.now() - started) / 1000 : Infinity);
  if (options.init && !existsSync(stage1Checkpoint)) {
    const made = await checkpointFromPackage(options.init, stage1Checkpoint);
    if (!made.ok) return made;
  }
  const rounds: AlternationRound[] = [];
  let stoppedBy: 'agreed' | 'rounds' | 'time' | 'cancelled' = 'rounds';
  let stage1Total = 0;
  for (let round = 1; round <= options.rounds; round++) {
    if (options.signal?.aborted) {
      stoppedBy = 'cancelled';
      break;
    }
    if (secondsLeft() <= 0) {
      stoppedBy = 'time';
      break;
    }
    const resume = existsSync(stage1Checkpoint);
    // A resumed stage 1 keeps its network's input (pretrain builds its preprocessing from these).
    const recorded = resume ? await readModelManifest(stage1Checkpoint) : undefined;
    const inputSize = recorded?.ok ? recorded.manifest.architecture.inputSize : options.inputSize;
    const channels = recorded?.ok ? recorded.manifest.architecture.channels : options.channels;
    const before = resume ? await loadCheckpoint(stage1Checkpoint) : undefined;
    const doneSteps = before?.ok ? before.state.step : 0;
    if (before?.ok) before.net.dispose();
    log(`[full] round ${round}: stage 1 from step ${doneSteps} for ${options.stage1Steps} steps`);
    const stage1 = await pretrain({
      datasets: options.datasets,
      out: stage1Dir,
      checkpointDir: stage1Checkpoint,
      resume,
      arch: options.arch,
      inputSize,
      channels,
      steps: doneSteps + options.stage1Steps,
      seed,
      validationFraction: options.meta?.validationFraction,
      backend: options.backend,
      signal: options.signal,
      ...options.stage1,
    });
    if (!stage1.ok) return stage1;
    stage1Total = stage1.steps;
    log(`[full] round ${round}: stage 2 for ${options.stage2Minutes} min`);
    const stage2 = await metaTrain({
      ...options.meta,
      init: stage1Dir,
      datasets: options.datasets,
      out: options.out,
      checkpointDir: path.join(work, `meta-round${round}.checkpoint`),
      minutes: Math.min(options.stage2Minutes, Math.max(0.1, secondsLeft() / 60)),
      seed,
      backend: options.backend,
      signal: options.signal,
      onProgress: options.onMetaProgress,
      extraOptions: { alternation: rounds },
    });
    if (!stage2.ok) return stage2;
    rounds.push({ round, stage1Steps: stage1Total, stage1MapAtR: stage2.initUnadapted.mapAtR, stage2MapAtR: stage2.finalValidation.mapAtR, stage2Steps: stage2.steps });
    log(`[full] round ${round}: stage 1 MAP@R ${stage2.initUnadapted.mapAtR.toFixed(4)}, stage 2 MAP@R ${stage2.finalValidation.mapAtR.toFixed(4)}`);
    if (Math.abs(stage2.initUnadapted.mapAtR - stage2.finalValidation.mapAtR) <= options.tolerance) {
      stoppedBy = 'agreed';
      break;
    }
    if (round < options.rounds) {
      const handed = await handBack(options.out, stage1Checkpoint);
      if (!handed.ok) return handed;
    }
  }
  // The output's record of every round (the last metaTrain saw the rounds before its own).
  const final = await loadModelPackage(options.out);
  if (final.ok) {
    const input = inputOf(final.manifest);
    // stage1Init: the stage-1 model the alternation started from (sft's baseline in `simila eval`); `init`
    // stays the last round's stage 1, which already carries the earlier rounds' stage-2 updates.
    const stage1Init = options.init ? path.resolve(options.init) : undefined;
    input.provenance.options = { ...input.provenance.options, ...(stage1Init ? { stage1Init } : {}), alternation: { rounds, tolerance: options.tolerance, agreed: stoppedBy === 'agreed', stoppedBy } };
    await saveModelPackage(options.out, final.net, input);
    final.net.dispose();
  }
  return { ok: true, rounds, agreed: stoppedBy === 'agreed', stoppedBy };
}
