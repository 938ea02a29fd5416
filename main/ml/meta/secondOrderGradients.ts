/**
 * Gradients of gradient kernels, which second-order MAML differentiates through and tfjs 4.22 does
 * not ship: Conv2DBackpropFilter (the filter gradient of every conv) and MaxPoolGrad. Registered in
 * the global gradient registry (kernel names, so every backend's kernels share them) on first use.
 * Checked against finite differences in test/ml/meta/secondOrderGradients.test.ts.
 */
import * as tf from '@tensorflow/tfjs';

type Attrs = Record<string, unknown>;

// dW = conv2DBackpropFilter(x, dy): linear in x and in dy, so for an upstream ddW
//   d/dx = conv2DBackpropInput(x.shape, dy, ddW) and d/ddy = conv2d(x, ddW) (as TensorFlow's nn_grad).
const conv2DBackpropFilterGrad: tf.GradConfig = {
  kernelName: 'Conv2DBackpropFilter',
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dimRoundingMode } = attrs as Attrs as { strides: [number, number] | number; pad: 'same' | 'valid' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
    return {
      x: () => tf.conv2dTranspose(dy, ddw as tf.Tensor4D, x.shape, strides, pad as 'same' | 'valid', dimRoundingMode),
      dy: () => tf.conv2d(x, ddw as tf.Tensor4D, strides, pad as 'same' | 'valid', 'NHWC', 1, dimRoundingMode),
    };
  },
};

// dx = maxPoolGrad(dy, x, y) routes dy to the first maximum of each window; for an upstream ddx the
// gradient w.r.t. dy gathers ddx at those positions (piecewise constant in x and y: zero there).
// Supported for the networks' pooling: 2x2 windows, stride 2, 'valid'.
const maxPoolGradGrad: tf.GradConfig = {
  kernelName: 'MaxPoolGrad',
  inputsToSave: ['input', 'output'],
  gradFunc: (ddx, saved, attrs) => {
    const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { filterSize, strides, pad } = attrs as Attrs as { filterSize: number | [number, number]; strides: number | [number, number]; pad: unknown };
    const two = (v: number | [number, number]) => (Array.isArray(v) ? v[0] === 2 && v[1] === 2 : v === 2);
    if (!two(filterSize) || !two(strides) || pad !== 'valid') throw new Error('second-order gradient of MaxPoolGrad is implemented for 2x2 stride-2 valid pooling only');
    const [b, h2, w2, c] = y.shape;
    const windows = (t: tf.Tensor4D) => tf.reshape(tf.transpose(tf.reshape(tf.slice(t, [0, 0, 0, 0], [b, h2 * 2, w2 * 2, c]), [b, h2, 2, w2, 2, c]), [0, 1, 3, 2, 4, 5]), [b, h2, w2, 4, c]);
    return {
      dy: () => {
        const hits = tf.cast(tf.equal(windows(x), tf.expandDims(y, 3)), 'float32');
        const first = tf.mul(hits, tf.cast(tf.equal(tf.cumsum(hits, 3), 1), 'float32'));
        return tf.sum(tf.mul(windows(ddx as tf.Tensor4D), first), 3);
      },
      input: () => tf.zerosLike(x),
      output: () => tf.zerosLike(y),
    };
  },
};

let registered = false;

/** Registers the missing second-order gradients once (kept if tfjs ever ships its own). */
export function registerSecondOrderGradients(): void {
  if (registered) return;
  registered = true;
  for (const config of [conv2DBackpropFilterGrad, maxPoolGradGrad]) {
    if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
  }
}
