import * as tf from '@tensorflow/tfjs';

/**
 * Sum or mean over the leading axes of a tensor ([B,H,W,C] over B,H,W: the batch-norm and bias
 * reductions), reshaped to [N, C] and reduced over axis 0 by the shipped kernel. wasm's Sum/Mean
 * transpose their input to put the reduced axes last, and a rank-4 transpose costs ~3x a rank-2 one.
 * (A [1,N] x [N,C] matrix product looks faster in a loop, but only because wasm caches the packed
 * right-hand operand per tensor; with fresh activations every step the packing dominates.)
 * Returns null for other reductions, and for rank-2 inputs, which go to the shipped kernel.
 */
export function reduceLeadingAxes(x: tf.Tensor, axis: number | number[], keepDims: boolean, mean: boolean): tf.Tensor | null {
  if (x.dtype !== 'float32' || x.rank <= 2) return null;
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + x.rank : a)))].sort((a, b) => a - b);
  const leading = axes.length > 1 && axes.length < x.rank && axes.every((a, i) => a === i);
  if (!leading) return null;
  const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
  const kept = x.shape.slice(axes.length);
  const columns = kept.reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    const flat = tf.reshape(x, [rows, columns]);
    const reduced = mean ? tf.mean(flat, 0) : tf.sum(flat, 0); // rank 2: handled by the shipped kernel
    return tf.reshape(reduced, keepDims ? [...axes.map(() => 1), ...kept] : kept);
  });
}
