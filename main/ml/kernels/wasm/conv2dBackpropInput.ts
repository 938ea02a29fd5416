import * as tf from '@tensorflow/tfjs';
import { convGeometry, padOrCropSpatial } from './convGeometry';

/**
 * Input gradient of an NHWC convolution as one forward convolution (the shipped wasm kernel is a naive
 * loop and dominated a training step):
 *   dx[b,h,w,ci] = sum_{i,j,co} dy[b, (h+pt-i)/s, (w+pl-j)/s, co] * W[i,j,ci,co]   (where divisible)
 * For stride s > 1, dy is first dilated with s-1 zeros between samples; then it is a stride-1 'valid'
 * correlation of dy (padded by fh-1-pt on top) with W flipped in space and with in/out channels swapped.
 */
export function conv2dBackpropInputByForwardConv(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: tf.Conv2DBackpropInputAttrs,
): tf.Tensor4D {
  const { strides, pad, dimRoundingMode, inputShape } = attrs;
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error('Conv2DBackpropInput (wasm, project kernel): only NHWC is supported');
  }
  const g = convGeometry(inputShape as [number, number, number, number], filter.shape, strides, pad, dimRoundingMode);
  return tf.tidy(() => {
    const dyPadded = dyForTransposedConv(dy, g);
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
    return tf.conv2d(dyPadded, flipped, 1, 'valid');
  });
}

/** Inserts (s-1) zeros between neighbouring samples along H and W: [B,H,W,C] -> [B,(H-1)sh+1,(W-1)sw+1,C]. */
/**
 * dy dilated by the strides and padded (or cropped) so that a 'valid' stride-1 correlation with the
 * spatially flipped filter gives the input gradient: a 'valid' correlation of length H needs H + fh - 1 rows.
 */
export function dyForTransposedConv(dy: tf.Tensor4D, g: ReturnType<typeof convGeometry>): tf.Tensor4D {
  const dyDilated = dilateSpatial(dy, g.strideHeight, g.strideWidth);
  const dilatedHeight = (g.outHeight - 1) * g.strideHeight + 1;
  const dilatedWidth = (g.outWidth - 1) * g.strideWidth + 1;
  const top = g.filterHeight - 1 - g.padTop;
  const left = g.filterWidth - 1 - g.padLeft;
  const bottom = g.inHeight + g.filterHeight - 1 - dilatedHeight - top;
  const right = g.inWidth + g.filterWidth - 1 - dilatedWidth - left;
  return padOrCropSpatial(dyDilated, top, bottom, left, right);
}

export function dilateSpatial(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const spread = tf.pad(tf.reshape(x, [b, h, 1, w, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
    const grid = tf.reshape(spread, [b, h * sh, w * sw, c]) as tf.Tensor4D;
    return tf.slice(grid, [0, 0, 0, 0], [b, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
  });
}
