import type * as tf from '@tensorflow/tfjs';

/**
 * A metric-learning loss over a batch of embeddings (pytorch-metric-learning's roles: losses score
 * pairs, miners choose which pairs count, samplers choose which images form a batch).
 */
export interface MetricLoss {
  readonly name: string;
  /** embeddings [B, D] (L2-normalised), labels of length B -> scalar loss, differentiable. */
  compute(embeddings: tf.Tensor2D, labels: ArrayLike<number>): tf.Scalar;
}

/** Which (anchor, other) pairs of a B x B similarity matrix take part, as 0/1 row-major masks. */
export interface PairMasks {
  size: number;
  positive: Float32Array;
  negative: Float32Array;
}

/** Chooses informative pairs from the (already computed, non-differentiated) similarities. */
export interface PairMiner {
  readonly name: string;
  mine(similarity: Float32Array, labels: ArrayLike<number>): PairMasks;
}

/** Every same-label pair (except self-pairs) is positive, every other pair negative. */
export const allPairsMiner: PairMiner = {
  name: 'all-pairs',
  mine(similarity, labels) {
    const size = labels.length;
    if (similarity.length !== size * size) throw new Error(`similarity has ${similarity.length} entries, expected ${size}x${size}`);
    const positive = new Float32Array(size * size);
    const negative = new Float32Array(size * size);
    for (let i = 0; i < size; i++) {
      for (let k = 0; k < size; k++) {
        if (i === k) continue;
        if (labels[i] === labels[k]) positive[i * size + k] = 1;
        else negative[i * size + k] = 1;
      }
    }
    return { size, positive, negative };
  },
};
