/**
 * `simila eval --feedback-rounds R`: the ImageFolder set becomes the archive (every image embedded once
 * with the model), then the simulated analyst runs R rounds of relevance feedback over seeded queries.
 * With the "refine" method the trunk features of every image are computed once per run too, so each
 * round's adapted model re-embeds the archive from them (only the adaptable stages run).
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ImageFolder } from '../data/imageFolder';
import { adaptationFromStage } from '../adaptation/fewShotAdapt';
import type { EmbeddingNet } from '../models/embeddingNet';
import type { RocchioWeights } from '../../feedback/rocchio';
import { nearestRelevantScorer, rocchioScorer, type FeedbackMethod, type FeedbackScorer } from '../../feedback/feedbackScorers';
import { classifierScorer } from '../../feedback/neighbourhoodScorer';
import { DEFAULT_REFINE, embedFeatures, refineScorer } from '../../feedback/refineModel';
import type { InputSource } from './inputSource';
import { embedWithNet } from './method';
import { simulateFeedback, type FeedbackSimulationResult } from './feedbackSimulation';

/**
 * Default of `simila eval --feedback-rounds`: of rocchio, nearest-relevant, classifier and refine (same settings
 * for both sets, 50 queries, seed 1, stage-1 conv4) the classifier saw the most relevant images by round 3 on
 * omniglot/evaluation (14.5 of 19 vs rocchio 13.5, refine 13.9, no feedback 10.2) and kept mednist >= round 0.
 */
export const DEFAULT_FEEDBACK_METHOD: FeedbackMethod = 'classifier';

/** Several ImageFolder sets as one archive: classes named "<set>/<class>", and the set of each class. */
export function joinImageFolders(sets: readonly { name: string; folder: ImageFolder }[]): { folder: ImageFolder; setOfClass: string[] } {
  const classes = sets.flatMap((set) => set.folder.classes.map((c) => ({ name: `${set.name}/${c.name}`, images: c.images })));
  const setOfClass = sets.flatMap((set) => set.folder.classes.map(() => set.name));
  return { folder: { root: sets.map((s) => s.folder.root).join(path.delimiter), classes }, setOfClass };
}

export interface FeedbackEvaluationOptions {
  folder: ImageFolder;
  /** The data set of each class of `folder` when several sets form the archive (reports cross_set_at_10). */
  setOfClass?: readonly string[];
  net: EmbeddingNet;
  inputs: InputSource<string>;
  rounds: number;
  queries: number;
  seed: number;
  method?: FeedbackMethod;
  batchSize?: number;
  weights?: RocchioWeights;
  onEmbedded?: (done: number, total: number) => void;
  onQuery?: (done: number, total: number) => void;
}

export interface FeedbackEvaluationReport extends FeedbackSimulationResult {
  archive_images: number;
  archive_classes: number;
  /** Mean seconds per refine round (adapting, re-embedding the archive); refine only. */
  refine_seconds?: { adapt: number; reembed: number };
}

/** Archive embeddings (and, when asked, the trunk features they came from, as one tensor the caller disposes). */
async function embedArchive(options: FeedbackEvaluationOptions, files: readonly string[], withFeatures: boolean): Promise<{ vectors: Float32Array[]; features?: tf.Tensor4D; fromStage: number }> {
  const { net, inputs } = options;
  const fromStage = adaptationFromStage(net, DEFAULT_REFINE.group);
  const chunk = 1024;
  const vectors: Float32Array[] = [];
  if (!withFeatures) {
    for (let start = 0; start < files.length; start += chunk) {
      vectors.push(...(await embedWithNet(net, inputs, files.slice(start, start + chunk), options.batchSize)));
      options.onEmbedded?.(vectors.length, files.length);
    }
    return { vectors, fromStage };
  }
  const { inputSize: side, channels } = net.config;
  const batch = options.batchSize ?? 64;
  const parts: tf.Tensor4D[] = [];
  try {
    for (let start = 0; start < files.length; start += batch) {
      const ids = files.slice(start, start + batch);
      const pixels = await inputs.load(ids);
      parts.push(tf.tidy(() => net.trunkFeatures(tf.tensor4d(pixels, [ids.length, side, side, channels]), fromStage - 1)));
      if ((start / batch) % 16 === 15 || start + batch >= files.length) options.onEmbedded?.(Math.min(start + batch, files.length), files.length);
    }
    const features = tf.concat(parts, 0) as tf.Tensor4D;
    vectors.push(...(await embedFeatures(net, features, fromStage)));
    return { vectors, features, fromStage };
  } finally {
    for (const part of parts) part.dispose();
  }
}

export async function evaluateFeedback(options: FeedbackEvaluationOptions): Promise<FeedbackEvaluationReport> {
  const files = options.folder.classes.flatMap((c) => c.images);
  const labels = options.folder.classes.flatMap((c) => c.images.map(() => c.name));
  const setOfClass = options.setOfClass;
  const sets = setOfClass ? options.folder.classes.flatMap((c, i) => c.images.map(() => setOfClass[i]!)) : undefined;
  const method = options.method ?? DEFAULT_FEEDBACK_METHOD;
  const { vectors, features, fromStage } = await embedArchive(options, files, method === 'refine');
  const timed = { adapt: 0, reembed: 0, calls: 0 };
  let scorer: FeedbackScorer;
  if (method === 'refine' && features) {
    scorer = refineScorer(options.net, features, fromStage, {
      onTimed: (adapt, reembed) => {
        timed.adapt += adapt;
        timed.reembed += reembed;
        timed.calls++;
      },
    });
  } else if (method === 'nearest-relevant') scorer = nearestRelevantScorer(vectors);
  else if (method === 'classifier') scorer = classifierScorer(vectors, { weights: options.weights });
  else scorer = rocchioScorer(vectors, options.weights);
  try {
    const result = await simulateFeedback({ vectors, labels, sets, rounds: options.rounds, queries: options.queries, seed: options.seed, weights: options.weights, scorer, onQuery: options.onQuery });
    const report: FeedbackEvaluationReport = { ...result, archive_images: files.length, archive_classes: options.folder.classes.length };
    if (timed.calls > 0) report.refine_seconds = { adapt: timed.adapt / timed.calls, reembed: timed.reembed / timed.calls };
    return report;
  } finally {
    features?.dispose();
  }
}
