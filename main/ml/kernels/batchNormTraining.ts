import * as tf from '@tensorflow/tfjs';

/**
 * Batch norm with batch statistics as ONE kernel, forward and backward, for backends that register it
 * (the project's wasm kernels do: kernels/wasm/batchNormTraining.ts). Composed of tf ops (moments ->
 * batchNorm) it costs ~15 passes over the feature map per layer and step between forward and gradient;
 * fused it costs 4. Backends without the kernel keep the composed form (see `normaliseWithBatchStatistics` in models/layers.ts).
 *
 *   inputs  x [..., C], scale [C], offset [C]; attrs { epsilon }
 *   outputs y = (x - mean) / sqrt(variance + epsilon) * scale + offset, mean [C], variance [C] (biased)
 *
 * mean and variance carry no gradient: they only feed the running averages.
 */
export const BATCH_NORM_TRAINING = 'SimilaBatchNormTraining';
/** inputs dy, x, scale, mean, variance; attrs { epsilon }; outputs dx, dscale, doffset. */
export const BATCH_NORM_TRAINING_GRAD = 'SimilaBatchNormTrainingGrad';

export interface BatchNormTrainingResult {
  y: tf.Tensor4D;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** Whether the active backend has the fused kernel. */
export function hasFusedBatchNormTraining(): boolean {
  return tf.getKernel(BATCH_NORM_TRAINING, tf.getBackend()) !== undefined;
}

export function batchNormTraining(x: tf.Tensor4D, scale: tf.Tensor1D, offset: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAINING, { x, scale, offset }, { epsilon }) as tf.Tensor[];
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

tf.registerGradient({
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dy, saved, attrs) => {
    const dyOfY = Array.isArray(dy) ? dy[0] : dy;
    const [x, scale, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    // One kernel yields all three gradients; run it here, not in each thunk: the tape runs every thunk
    // in its own tidy, which would dispose the other two. Unrequested ones go with the backward scope.
    const [dx, dscale, doffset] = tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, { dy: dyOfY as tf.Tensor, x, scale, mean, variance }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return { x: () => dx as tf.Tensor, scale: () => dscale as tf.Tensor, offset: () => doffset as tf.Tensor };
  },
});
