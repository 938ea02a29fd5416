import type * as tf from '@tensorflow/tfjs';
import { allocateThenView, type WasmHeapBackend } from './wasmHeap';

/**
 * Gradient of a non-overlapping max pool (filter = stride, 'valid': the Conv-4 / ResNet-12 2x2 pool),
 * in one pass over the wasm heap: every input that equals its window's maximum receives dy, all others
 * (and rows/columns past the last full window) get 0. ~8x faster than the slice-and-mask formulation
 * in tf ops it replaced. The shipped wasm MaxPoolGrad (tfjs 4.22) sends the gradient to the wrong input
 * when a window's maximum is negative, which breaks ResNet-12 (max pool after a leaky ReLU); this one is
 * exact. Ties share the gradient (each tied input gets dy) where tfjs picks one; after a ReLU, tied
 * zeros receive no gradient either way. Returns null for other pools (fall back to the shipped kernel).
 */
export function maxPoolGradInHeap(
  backend: WasmHeapBackend,
  dy: tf.TensorInfo,
  input: tf.TensorInfo,
  output: tf.TensorInfo,
  attrs: { filterSize: number | [number, number]; strides: number | [number, number]; pad: unknown; dimRoundingMode?: unknown },
): tf.TensorInfo | null {
  const [fh, fw] = pair(attrs.filterSize);
  const [sh, sw] = pair(attrs.strides);
  if (fh !== sh || fw !== sw || attrs.pad !== 'valid' || attrs.dimRoundingMode != null) return null;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32' || output.dtype !== 'float32' || input.shape.length !== 4) return null;
  const [b, h, w, c] = input.shape as [number, number, number, number];
  const [, oh, ow] = output.shape as [number, number, number, number];
  if (oh !== Math.floor(h / fh) || ow !== Math.floor(w / fw)) return null;

  const { outputs, inputViews, outputViews } = allocateThenView(backend, [input, output, dy], [input.shape]);
  const [x, pooled, grad] = inputViews as [Float32Array, Float32Array, Float32Array];
  const dx = outputViews[0] as Float32Array;
  dx.fill(0); // inputs outside every window (odd sizes) and non-maxima
  const rowStride = w * c;
  let o = 0; // index into pooled / grad, which run in the same order as the loops
  for (let bi = 0; bi < b; bi++) {
    for (let i = 0; i < oh; i++) {
      const windowRow = (bi * h + i * fh) * rowStride;
      for (let j = 0; j < ow; j++) {
        const windowStart = windowRow + j * fw * c;
        for (let k = 0; k < c; k++, o++) {
          const max = pooled[o] as number;
          const g = grad[o] as number;
          for (let u = 0; u < fh; u++) {
            let p = windowStart + u * rowStride + k;
            for (let v = 0; v < fw; v++, p += c) if (x[p] === max) dx[p] = g;
          }
        }
      }
    }
  }
  return outputs[0] as tf.TensorInfo;
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}
