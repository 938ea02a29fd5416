/**
 * The metric loss of adaptation and of MAML's inner and outer loops, as a function of the adaptable
 * parameters: re-embed cached trunk features with substitute weights and score them.
 */
import type * as tf from '@tensorflow/tfjs';
import { allPairsMiner, type MetricLoss } from '../losses/metricLoss';
import { multiSimilarityLoss } from '../losses/multiSimilarityLoss';
import type { LossOfParameters } from '../meta/maml';
import type { EmbeddingNet } from '../models/embeddingNet';

/**
 * Multi-Similarity with every pair counted: a 5-way support set has only K-1 positives per anchor,
 * too few to mine, and with one shot there are no positives at all (the negatives still pull).
 */
export function episodeMetricLoss(): MetricLoss {
  return multiSimilarityLoss({ miner: allPairsMiner });
}

/**
 * Loss of the embeddings of `features` (the output of stage fromStage - 1, or images when fromStage
 * is 1) under the given parameters. Batch norm runs on running statistics (inference mode), so an
 * image's embedding never depends on the rest of its batch: adapted and archive embeddings agree.
 */
export function featureLoss(net: EmbeddingNet, fromStage: number, features: tf.Tensor4D, labels: readonly number[], loss: MetricLoss = episodeMetricLoss()): LossOfParameters {
  return (parameters) => loss.compute(net.embedFromStage(features, fromStage, { overrides: parameters }), labels);
}
