import type * as tf from '@tensorflow/tfjs';
import { allocateThenView, type WasmHeapBackend } from './wasmHeap';

// The two kernels of ../batchNormTraining.ts on the wasm heap, and the per-channel arithmetic they share
// with batchNormReluPool.ts. Per-channel sums are kept in float64, so statistics over millions of values
// lose nothing to rounding.

export interface ChannelStatistics {
  mean: Float64Array;
  /** Biased (divided by the row count), as tf.moments. */
  variance: Float64Array;
}

/** Mean and variance of each channel of a [rows, channels] array, in one pass (sums shifted by the first row). */
export function channelStatistics(xs: Float32Array, channels: number): ChannelStatistics {
  const c = channels;
  const rows = xs.length / c;
  const shift = Float64Array.from(xs.subarray(0, c));
  const sum = new Float64Array(c);
  const sumSquares = new Float64Array(c);
  for (let p = 0; p < xs.length; p += c) {
    for (let k = 0; k < c; k++) {
      const d = (xs[p + k] as number) - (shift[k] as number);
      sum[k] = (sum[k] as number) + d;
      sumSquares[k] = (sumSquares[k] as number) + d * d;
    }
  }
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    const meanShifted = (sum[k] as number) / rows;
    mean[k] = (shift[k] as number) + meanShifted;
    variance[k] = Math.max(0, (sumSquares[k] as number) / rows - meanShifted * meanShifted);
  }
  return { mean, variance };
}

/** y = x * a + b per channel: a = scale / sqrt(variance + epsilon), b = offset - mean * a. */
export function batchNormCoefficients(stats: ChannelStatistics, scales: Float32Array, offsets: Float32Array, epsilon: number): { a: Float64Array; b: Float64Array } {
  const c = stats.mean.length;
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    a[k] = (scales[k] as number) / Math.sqrt((stats.variance[k] as number) + epsilon);
    b[k] = (offsets[k] as number) - (stats.mean[k] as number) * (a[k] as number);
  }
  return { a, b };
}

/**
 * From the sums of g (the gradient at the batch-norm output) and of g * (x - mean) over n rows, with
 * s = 1 / sqrt(variance + epsilon): writes doffset = sum g and dscale = s * sum(g * xc), and returns the
 * coefficients of dx = k1 * (g - k2 - xc * k3): k1 = scale * s, k2 = sum(g) / n, k3 = s^2 * sum(g * xc) / n.
 */
export function batchNormGradCoefficients(
  sumG: Float64Array,
  sumGXc: Float64Array,
  scales: Float32Array,
  variances: Float32Array,
  rows: number,
  epsilon: number,
  dscales: Float32Array,
  doffsets: Float32Array,
): { k1: Float64Array; k2: Float64Array; k3: Float64Array } {
  const c = sumG.length;
  const k1 = new Float64Array(c);
  const k2 = new Float64Array(c);
  const k3 = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    const s = 1 / Math.sqrt((variances[k] as number) + epsilon);
    doffsets[k] = sumG[k] as number;
    dscales[k] = s * (sumGXc[k] as number);
    k1[k] = (scales[k] as number) * s;
    k2[k] = (sumG[k] as number) / rows;
    k3[k] = (s * s * (sumGXc[k] as number)) / rows;
  }
  return { k1, k2, k3 };
}

/** Forward: statistics in one pass, y = x * a + b in a second. */
export function batchNormTrainingInHeap(
  backend: WasmHeapBackend,
  x: tf.TensorInfo,
  scale: tf.TensorInfo,
  offset: tf.TensorInfo,
  epsilon: number,
): tf.TensorInfo[] {
  const c = x.shape[x.shape.length - 1] as number;
  const { outputs, inputViews, outputViews } = allocateThenView(backend, [x, scale, offset], [x.shape, [c], [c]]);
  const [xs, scales, offsets] = inputViews as [Float32Array, Float32Array, Float32Array];
  const [ys, means, variances] = outputViews as [Float32Array, Float32Array, Float32Array];
  const stats = channelStatistics(xs, c);
  means.set(stats.mean);
  variances.set(stats.variance);
  const { a, b } = batchNormCoefficients(stats, scales, offsets, epsilon);
  for (let p = 0; p < xs.length; p += c) {
    for (let k = 0; k < c; k++) ys[p + k] = (xs[p + k] as number) * (a[k] as number) + (b[k] as number);
  }
  return outputs;
}

/** Backward: the two sums in one pass, dx in a second (see batchNormGradCoefficients). */
export function batchNormTrainingGradInHeap(
  backend: WasmHeapBackend,
  dy: tf.TensorInfo,
  x: tf.TensorInfo,
  scale: tf.TensorInfo,
  mean: tf.TensorInfo,
  variance: tf.TensorInfo,
  epsilon: number,
): tf.TensorInfo[] {
  const c = x.shape[x.shape.length - 1] as number;
  const { outputs, inputViews, outputViews } = allocateThenView(backend, [dy, x, scale, mean, variance], [x.shape, [c], [c]]);
  const [gs, xs, scales, means, variances] = inputViews as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const [dxs, dscales, doffsets] = outputViews as [Float32Array, Float32Array, Float32Array];
  const sumG = new Float64Array(c);
  const sumGXc = new Float64Array(c);
  for (let p = 0; p < xs.length; p += c) {
    for (let k = 0; k < c; k++) {
      const g = gs[p + k] as number;
      sumG[k] = (sumG[k] as number) + g;
      sumGXc[k] = (sumGXc[k] as number) + g * ((xs[p + k] as number) - (means[k] as number));
    }
  }
  const { k1, k2, k3 } = batchNormGradCoefficients(sumG, sumGXc, scales, variances, xs.length / c, epsilon, dscales, doffsets);
  for (let p = 0; p < xs.length; p += c) {
    for (let k = 0; k < c; k++) {
      const xc = (xs[p + k] as number) - (means[k] as number);
      dxs[p + k] = (k1[k] as number) * ((gs[p + k] as number) - (k2[k] as number) - xc * (k3[k] as number));
    }
  }
  return outputs;
}
