import * as tf from '@tensorflow/tfjs';
import { convGeometry, padOrCropSpatial } from './convGeometry';

/**
 * Filter gradient of an NHWC convolution, written as one forward convolution so that it runs on the
 * wasm backend's fast XNNPACK Conv2D (wasm ships no Conv2DBackpropFilter at all):
 *   dW[i,j,ci,co] = sum_{b,oh,ow} xPadded[b, oh*s + i, ow*s + j, ci] * dy[b, oh, ow, co]
 * is a stride-1 'valid' convolution of xPadded transposed to [C_in, H, W, B] (batch <-> channels) with
 * dy transposed to [OH, OW, B, C_out] as the filter and dilation = stride; its [C_in, fh', fw', C_out]
 * output is sliced to the kernel size and transposed back to [fh, fw, C_in, C_out].
 */
export function conv2dBackpropFilterByForwardConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: tf.Conv2DBackpropFilterAttrs,
): tf.Tensor4D {
  const { strides, pad, dimRoundingMode, filterShape } = attrs;
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error('Conv2DBackpropFilter (wasm, project kernel): only NHWC is supported');
  }
  const g = convGeometry(x.shape, filterShape as [number, number, number, number], strides, pad, dimRoundingMode);
  return tf.tidy(() => {
    // The window of the last output row starts at (OH-1)*s and spans fh rows: keep exactly that range.
    const neededHeight = (g.outHeight - 1) * g.strideHeight + g.filterHeight;
    const neededWidth = (g.outWidth - 1) * g.strideWidth + g.filterWidth;
    const xPadded = padOrCropSpatial(
      x,
      g.padTop,
      neededHeight - g.inHeight - g.padTop,
      g.padLeft,
      neededWidth - g.inWidth - g.padLeft,
    );
    const xT = tf.transpose(xPadded, [3, 1, 2, 0]);
    const dyT = tf.transpose(dy, [1, 2, 0, 3]);
    const dilations: [number, number] = [g.strideHeight, g.strideWidth];
    const grad = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', dilations); // [C_in, fh, fw, C_out]
    return tf.transpose(grad, [1, 2, 0, 3]);
  });
}
