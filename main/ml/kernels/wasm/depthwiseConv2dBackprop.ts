import * as tf from '@tensorflow/tfjs';
import { dyForTransposedConv } from './conv2dBackpropInput';
import { convGeometry, padOrCropSpatial } from './convGeometry';

type Shape4 = [number, number, number, number];

/** The cases the project kernels cover: NHWC, channel multiplier 1, dilation 1 (the dwsconv4 backbone's). */
function supported(filterShape: readonly number[], dilations: tf.DepthwiseConv2dNativeAttrs['dilations'] | undefined): boolean {
  const d = dilations === undefined ? [1, 1] : typeof dilations === 'number' ? [dilations, dilations] : dilations;
  return filterShape[3] === 1 && d[0] === 1 && d[1] === 1;
}

/**
 * Input gradient of a depthwise convolution (wasm ships none): the same stride-1 'valid' correlation of
 * the (dilated, padded) dy as conv2dBackpropInputByForwardConv, here with the depthwise filter flipped in
 * space, which with one filter per channel needs no in/out swap. null: a case it does not cover.
 */
export function depthwiseConv2dBackpropInputByForwardConv(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs,
): tf.Tensor4D | null {
  if (!supported(filter.shape, attrs.dilations)) return null;
  const inputShape = attrs.inputShape as Shape4;
  const g = convGeometry(inputShape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  return tf.tidy(() => {
    const dyPadded = dyForTransposedConv(dy, g);
    return tf.depthwiseConv2d(dyPadded, tf.reverse(filter, [0, 1]) as tf.Tensor4D, 1, 'valid');
  });
}

/**
 * Filter gradient of a depthwise convolution (wasm ships none):
 *   dW[i,j,c,0] = sum_{b,oh,ow} xPadded[b, oh*s + i, ow*s + j, c] * dy[b, oh, ow, c]
 * one strided window of x per filter tap, multiplied by dy and summed over the leading axes (the
 * project's Sum kernel). A 3x3 filter costs nine passes over the layer's input, small beside the
 * pointwise convolutions around it. null: a case it does not cover.
 */
export function depthwiseConv2dBackpropFilterBySlices(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: tf.DepthwiseConv2dNativeBackpropFilterAttrs,
): tf.Tensor4D | null {
  const filterShape = attrs.filterShape as Shape4;
  if (!supported(filterShape, attrs.dilations)) return null;
  const g = convGeometry(x.shape, filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  return tf.tidy(() => {
    const neededHeight = (g.outHeight - 1) * g.strideHeight + g.filterHeight;
    const neededWidth = (g.outWidth - 1) * g.strideWidth + g.filterWidth;
    const xPadded = padOrCropSpatial(x, g.padTop, neededHeight - g.inHeight - g.padTop, g.padLeft, neededWidth - g.inWidth - g.padLeft);
    const taps: tf.Tensor1D[] = [];
    for (let i = 0; i < g.filterHeight; i++) {
      for (let j = 0; j < g.filterWidth; j++) {
        const window = tf.stridedSlice(
          xPadded,
          [0, i, j, 0],
          [g.batch, i + (g.outHeight - 1) * g.strideHeight + 1, j + (g.outWidth - 1) * g.strideWidth + 1, g.inChannels],
          [1, g.strideHeight, g.strideWidth, 1],
        ) as tf.Tensor4D;
        taps.push(tf.sum(tf.mul(window, dy), [0, 1, 2]) as tf.Tensor1D);
      }
    }
    return tf.reshape(tf.stack(taps), filterShape) as tf.Tensor4D;
  });
}
