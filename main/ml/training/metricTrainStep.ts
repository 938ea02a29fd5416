import * as tf from '@tensorflow/tfjs';
import type { MetricLoss } from '../losses/metricLoss';
import type { EmbeddingNet, ParameterGroup } from '../models/embeddingNet';

/**
 * One optimiser step of metric learning on a batch: embed with batch statistics, score with the
 * loss, update the chosen parameter group. Returns the loss value; leaves no tensors behind.
 */
export function metricTrainStep(
  net: EmbeddingNet,
  loss: MetricLoss,
  optimizer: tf.Optimizer,
  images: tf.Tensor4D,
  labels: ArrayLike<number>,
  group: ParameterGroup = 'all',
): number {
  const value = optimizer.minimize(() => loss.compute(net.embed(images, { training: true }), labels), true, net.groupVariables(group));
  if (!value) throw new Error('optimizer returned no loss');
  const result = value.dataSync()[0] as number;
  value.dispose();
  return result;
}
