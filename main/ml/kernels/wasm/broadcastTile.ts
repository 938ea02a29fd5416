import * as tf from '@tensorflow/tfjs';

/**
 * Tile where every repeated axis has length 1 is a broadcast. The batch-norm gradient tiles a [C]
 * vector over [B,H,W], and wasm's Tile kernel does that ~25x slower than a broadcasting Add.
 * Returns null when the case does not apply (the caller falls back to the shipped kernel).
 */
export function tileByBroadcast(x: tf.Tensor, reps: number[]): tf.Tensor | null {
  if (x.dtype !== 'float32' || reps.length !== x.rank) return null;
  if (!reps.every((r, axis) => r === 1 || x.shape[axis] === 1)) return null;
  const outShape = x.shape.map((d, axis) => d * (reps[axis] as number));
  return tf.tidy(() => tf.add(tf.fill(outShape, 0), x));
}
