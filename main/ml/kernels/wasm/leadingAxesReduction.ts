import * as tf from '@tensorflow/tfjs';

/**
 * Sum or mean over the leading axes of a tensor ([B,H,W,C] over B,H,W, the batch-norm and bias
 * reductions) as a [1,N] x [N,C] matrix product: wasm's Sum/Mean transpose the input first and are
 * ~20x slower for this layout. Returns null for other reductions (fall back to the shipped kernel).
 */
export function reduceLeadingAxes(x: tf.Tensor, axis: number | number[], keepDims: boolean, mean: boolean): tf.Tensor | null {
  if (x.dtype !== 'float32' || x.rank < 2) return null;
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + x.rank : a)))].sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < x.rank && axes.every((a, i) => a === i);
  if (!leading) return null;
  const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
  const kept = x.shape.slice(axes.length);
  const columns = kept.reduce((a, b) => a * b, 1);
  // Small reductions are not worth a matrix product (and keep the shipped kernel's exact sums).
  if (rows < 64) return null;
  return tf.tidy(() => {
    const weights = tf.fill([1, rows], mean ? 1 / rows : 1);
    const reduced = tf.matMul(weights, tf.reshape(x, [rows, columns]));
    return tf.reshape(reduced, keepDims ? [...axes.map(() => 1), ...kept] : kept);
  });
}
