import * as tf from '@tensorflow/tfjs';
import type { MetricLoss, PairMiner } from './metricLoss';
import { multiSimilarityMiner } from './miners/multiSimilarityMiner';

export interface MultiSimilarityOptions {
  alpha?: number;
  beta?: number;
  /** The similarity margin lambda (called "base" in pytorch-metric-learning). */
  lambda?: number;
  /** Mining margin; ignored when a miner is given. */
  epsilon?: number;
  miner?: PairMiner;
}

/**
 * Multi-Similarity loss (Wang et al., CVPR 2019), on cosine similarities S = E E^T of L2-normalised
 * embeddings, averaged over the B anchors:
 *   1/alpha log(1 + sum_{k in P_i} exp(-alpha (S_ik - lambda))) + 1/beta log(1 + sum_{k in N_i} exp(beta (S_ik - lambda)))
 * Anchors without mined pairs contribute 0.
 */
export function multiSimilarityLoss(options: MultiSimilarityOptions = {}): MetricLoss {
  const alpha = options.alpha ?? 2;
  const beta = options.beta ?? 50;
  const lambda = options.lambda ?? 0.5;
  const miner = options.miner ?? multiSimilarityMiner(options.epsilon ?? 0.1);
  return {
    name: 'multi-similarity',
    compute(embeddings, labels) {
      const batch = embeddings.shape[0];
      if (labels.length !== batch) throw new Error(`got ${labels.length} labels for ${batch} embeddings`);
      return tf.tidy(() => {
        const similarity = tf.matMul(embeddings, embeddings, false, true);
        // Mining reads values only: its masks are constants for the gradient.
        const masks = miner.mine(similarity.dataSync() as Float32Array, labels);
        const positive = tf.tensor2d(masks.positive, [batch, batch]);
        const negative = tf.tensor2d(masks.negative, [batch, batch]);
        // With |S| <= 1 the exponents stay within exp(beta * (1 + |lambda|)): finite in float32 for the defaults.
        const shifted = tf.sub(similarity, lambda);
        const positiveSum = tf.sum(tf.mul(tf.exp(tf.mul(shifted, -alpha)), positive), 1);
        const negativeSum = tf.sum(tf.mul(tf.exp(tf.mul(shifted, beta)), negative), 1);
        const perAnchor = tf.add(tf.div(tf.log1p(positiveSum), alpha), tf.div(tf.log1p(negativeSum), beta));
        return tf.mean(perAnchor) as tf.Scalar;
      });
    },
  };
}
