import * as tf from '@tensorflow/tfjs';

/**
 * Gradient of a non-overlapping max pool (filter = stride, 'valid', the Conv-4 / ResNet-12 2x2 pool)
 * as slices and elementwise ops: every input that equals its window's maximum receives dy.
 * The shipped wasm MaxPoolGrad (tfjs 4.22) sends the gradient to the wrong input when a window's
 * maximum is negative, which breaks ResNet-12 (max pool after a leaky ReLU); this one is exact. Ties share the gradient (each tied
 * input gets dy) where tfjs picks one; after a ReLU, tied zeros receive no gradient either way.
 * Returns null for other pools (fall back to the shipped kernel).
 */
export function maxPoolGradByMask(
  dy: tf.Tensor4D,
  input: tf.Tensor4D,
  output: tf.Tensor4D,
  attrs: { filterSize: number | [number, number]; strides: number | [number, number]; pad: unknown; dimRoundingMode?: unknown },
): tf.Tensor4D | null {
  const [fh, fw] = pair(attrs.filterSize);
  const [sh, sw] = pair(attrs.strides);
  if (fh !== sh || fw !== sw || attrs.pad !== 'valid' || attrs.dimRoundingMode != null) return null;
  if (input.dtype !== 'float32') return null;
  const [b, h, w, c] = input.shape;
  const [, oh, ow] = output.shape;
  if (oh !== Math.floor(h / fh) || ow !== Math.floor(w / fw)) return null;
  return tf.tidy(() => {
    // Rows/columns past the last full window never reach the output: crop, then pad back with zeros.
    const cropped = oh * fh === h && ow * fw === w ? input : tf.slice(input, [0, 0, 0, 0], [b, oh * fh, ow * fw, c]);
    // [B, oh*fh, ow*fw, C] viewed as [B*oh, fh, ow, fw*C]: each window offset (i, j) is a plain slice
    // (wasm's StridedSlice, Transpose and rank-6 broadcasts are all far slower).
    const windows = tf.reshape(cropped, [b * oh, fh, ow, fw * c]);
    const pooled = tf.reshape(output, [b * oh, 1, ow, c]);
    const grad = tf.reshape(dy, [b * oh, 1, ow, c]);
    const rows: tf.Tensor[] = [];
    for (let i = 0; i < fh; i++) {
      const columns: tf.Tensor[] = [];
      for (let j = 0; j < fw; j++) {
        const view = tf.slice(windows, [0, i, 0, j * c], [b * oh, 1, ow, c]);
        // view <= pooled, so step(pooled - view) is 0 exactly at the maxima and 1 elsewhere.
        columns.push(tf.sub(grad, tf.mul(tf.step(tf.sub(pooled, view)), grad)));
      }
      rows.push(tf.concat(columns, 3));
    }
    const dx = tf.reshape(tf.concat(rows, 1), [b, oh * fh, ow * fw, c]) as tf.Tensor4D;
    return oh * fh === h && ow * fw === w ? dx : tf.pad(dx, [[0, 0], [0, h - oh * fh], [0, w - ow * fw], [0, 0]]);
  });
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}
