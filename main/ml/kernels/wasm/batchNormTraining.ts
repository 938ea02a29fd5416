import type * as tf from '@tensorflow/tfjs';
import { allocateThenView, type WasmHeapBackend } from './wasmHeap';

// The two kernels of ../batchNormTraining.ts on the wasm heap. Per-channel sums are kept in float64,
// so statistics over millions of values lose nothing to rounding.

function channelsOf(x: tf.TensorInfo): { channels: number; rows: number } {
  const channels = x.shape[x.shape.length - 1] as number;
  const size = x.shape.reduce((a, b) => a * b, 1);
  return { channels, rows: size / channels };
}

/** Forward: statistics in one pass (sums shifted by the first row, for precision), y in a second. */
export function batchNormTrainingInHeap(
  backend: WasmHeapBackend,
  x: tf.TensorInfo,
  scale: tf.TensorInfo,
  offset: tf.TensorInfo,
  epsilon: number,
): tf.TensorInfo[] {
  const { channels: c, rows } = channelsOf(x);
  const { outputs, inputViews, outputViews } = allocateThenView(backend, [x, scale, offset], [x.shape, [c], [c]]);
  const [xs, scales, offsets] = inputViews as [Float32Array, Float32Array, Float32Array];
  const [ys, means, variances] = outputViews as [Float32Array, Float32Array, Float32Array];
  const size = rows * c;
  const shift = Float64Array.from(xs.subarray(0, c));
  const sum = new Float64Array(c);
  const sumSquares = new Float64Array(c);
  for (let p = 0; p < size; p += c) {
    for (let k = 0; k < c; k++) {
      const d = (xs[p + k] as number) - (shift[k] as number);
      sum[k] = (sum[k] as number) + d;
      sumSquares[k] = (sumSquares[k] as number) + d * d;
    }
  }
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    const meanShifted = (sum[k] as number) / rows;
    const variance = Math.max(0, (sumSquares[k] as number) / rows - meanShifted * meanShifted);
    const mean = (shift[k] as number) + meanShifted;
    means[k] = mean;
    variances[k] = variance;
    a[k] = (scales[k] as number) / Math.sqrt(variance + epsilon);
    b[k] = (offsets[k] as number) - mean * (a[k] as number);
  }
  for (let p = 0; p < size; p += c) {
    for (let k = 0; k < c; k++) ys[p + k] = (xs[p + k] as number) * (a[k] as number) + (b[k] as number);
  }
  return outputs;
}

/**
 * Backward: with g = dy, xc = x - mean, s = 1 / sqrt(variance + epsilon), n rows,
 *   doffset = sum g,  dscale = s * sum(g * xc),
 *   dx = scale * s * (g - sum(g) / n - xc * s^2 * sum(g * xc) / n).
 */
export function batchNormTrainingGradInHeap(
  backend: WasmHeapBackend,
  dy: tf.TensorInfo,
  x: tf.TensorInfo,
  scale: tf.TensorInfo,
  mean: tf.TensorInfo,
  variance: tf.TensorInfo,
  epsilon: number,
): tf.TensorInfo[] {
  const { channels: c, rows } = channelsOf(x);
  const { outputs, inputViews, outputViews } = allocateThenView(backend, [dy, x, scale, mean, variance], [x.shape, [c], [c]]);
  const [gs, xs, scales, means, variances] = inputViews as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const [dxs, dscales, doffsets] = outputViews as [Float32Array, Float32Array, Float32Array];
  const size = rows * c;
  const sumG = new Float64Array(c);
  const sumGXc = new Float64Array(c);
  for (let p = 0; p < size; p += c) {
    for (let k = 0; k < c; k++) {
      const g = gs[p + k] as number;
      sumG[k] = (sumG[k] as number) + g;
      sumGXc[k] = (sumGXc[k] as number) + g * ((xs[p + k] as number) - (means[k] as number));
    }
  }
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
  for (let p = 0; p < size; p += c) {
    for (let k = 0; k < c; k++) {
      const xc = (xs[p + k] as number) - (means[k] as number);
      dxs[p + k] = (k1[k] as number) * ((gs[p + k] as number) - (k2[k] as number) - xc * (k3[k] as number));
    }
  }
  return outputs;
}
