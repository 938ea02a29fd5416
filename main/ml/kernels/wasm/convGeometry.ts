import * as tf from '@tensorflow/tfjs';

/** Padding and output geometry of an NHWC 2-D convolution, as tfjs computes it for the forward op. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

type Shape4 = [number, number, number, number];

export function convGeometry(
  xShape: Shape4,
  filterShape: Shape4,
  strides: [number, number] | number,
  pad: tf.Conv2DAttrs['pad'],
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Pads (positive amounts) and crops (negative amounts) the two spatial axes of an NHWC tensor, so the
 * kernels can express "shift this window" without caring about the sign.
 */
export function padOrCropSpatial(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  return tf.tidy(() => {
    let out = x;
    if (top > 0 || bottom > 0 || left > 0 || right > 0) {
      out = tf.pad(out, [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]]);
    }
    if (top < 0 || bottom < 0 || left < 0 || right < 0) {
      const [b, h, w, c] = out.shape;
      const t = Math.max(-top, 0);
      const l = Math.max(-left, 0);
      out = tf.slice(out, [0, t, l, 0], [b, h - t - Math.max(-bottom, 0), w - l - Math.max(-right, 0), c]);
    }
    return out;
  });
}
