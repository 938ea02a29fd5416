/**
 * "Refine model" (issue 6, scope 3b): the analyst's marks adapt the model. The query and the images
 * judged relevant become one support class; every rejected image becomes a class of its own, so the
 * metric loss pushes each one away from the target (hard negatives) without pulling the rejected
 * together. Adaptation always starts from the profile's own weights (no drift across rounds) and runs
 * only the adaptable stages on cached trunk features, so re-embedding the archive is cheap.
 */
import * as tf from '@tensorflow/tfjs';
import { fewShotAdapt, type AdaptationConfig, type AdaptedWeights } from '../ml/adaptation/fewShotAdapt';
import type { EmbeddingNet } from '../ml/models/embeddingNet';
import { moveQuery, type RocchioWeights } from './rocchio';
import type { FeedbackScorer, Judged } from './feedbackScorers';

/** A few small steps: enough to bend the last stage toward the marks, too few to forget the rest. */
export const DEFAULT_REFINE: AdaptationConfig = { group: 'last-stage-head', steps: 10, learningRate: 0.05, earlyStop: false };

export interface JudgedSupport {
  /** Trunk features (output of stage fromStage - 1) of the rows below, [n, h, w, c]. */
  features: tf.Tensor4D;
  fromStage: number;
  /** Rows of `features` that are the query and the images judged relevant. */
  target: readonly number[];
  /** Rows of `features` that were rejected. */
  rejected: readonly number[];
}

/** Adapted weights of the config's group (caller disposes), from the net's current weights. */
export function refineOnJudgements(net: EmbeddingNet, support: JudgedSupport, config: AdaptationConfig = DEFAULT_REFINE): AdaptedWeights<number> {
  const rows = [...support.target, ...support.rejected];
  const labels = [...support.target.map(() => 0), ...support.rejected.map((_, i) => i + 1)];
  const features = tf.tidy(() => tf.gather(support.features, tf.tensor1d(rows, 'int32')) as tf.Tensor4D);
  try {
    return fewShotAdapt(net, { features, fromStage: support.fromStage, labels, ids: rows }, { ...config, earlyStop: false });
  } finally {
    features.dispose();
  }
}

/** Embeddings of trunk features under substitute weights, in batches (rows of embeddingDim values). */
export async function embedFeatures(net: EmbeddingNet, features: tf.Tensor4D, fromStage: number, overrides?: ReadonlyMap<string, tf.Tensor>, batchSize = 512): Promise<Float32Array[]> {
  const rows: Float32Array[] = [];
  const n = features.shape[0];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const out = tf.tidy(() => net.embedFromStage(tf.slice(features, [start, 0, 0, 0], [size, -1, -1, -1]), fromStage, { overrides }));
    const values = (await out.data()) as Float32Array;
    out.dispose();
    for (let i = 0; i < size; i++) rows.push(values.slice(i * net.embeddingDim, (i + 1) * net.embeddingDim));
  }
  return rows;
}

export interface RefineScorerOptions {
  config?: AdaptationConfig;
  /** Rocchio in the adapted space; undefined ranks around the adapted query alone. */
  rocchio?: RocchioWeights;
  batchSize?: number;
  /** Seconds spent adapting and re-embedding, per call (for reports). */
  onTimed?: (adaptSeconds: number, embedSeconds: number) => void;
}

/**
 * The simulated analyst's "Refine model" for a whole archive whose trunk features are computed once:
 * each round adapts on the judgements so far, re-embeds the archive, and ranks around the adapted query.
 */
export function refineScorer(net: EmbeddingNet, archiveFeatures: tf.Tensor4D, fromStage: number, options: RefineScorerOptions = {}): FeedbackScorer {
  const config = options.config ?? DEFAULT_REFINE;
  return {
    method: 'refine',
    async score(j: Judged) {
      const adapted = refineOnJudgements(net, { features: archiveFeatures, fromStage, target: [j.query, ...j.relevant], rejected: j.notRelevant }, config);
      const embedStarted = performance.now();
      let vectors: Float32Array[];
      try {
        vectors = await embedFeatures(net, archiveFeatures, fromStage, adapted.weights, options.batchSize);
      } finally {
        adapted.dispose();
      }
      options.onTimed?.(adapted.seconds, (performance.now() - embedStarted) / 1000);
      const point = options.rocchio
        ? moveQuery(
            vectors[j.query]!,
            j.relevant.map((i) => vectors[i]!),
            j.notRelevant.map((i) => vectors[i]!),
            options.rocchio,
          )
        : vectors[j.query]!;
      const out = new Float32Array(vectors.length);
      vectors.forEach((v, i) => {
        let s = 0;
        for (let d = 0; d < point.length; d++) s += v[d]! * point[d]!;
        out[i] = s;
      });
      return out;
    },
  };
}
