import type * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from './layers';

/** A convolutional trunk: image batch [B,H,W,C] -> feature map [B,h,w,featureChannels]. */
export interface Backbone {
  stages: number;
  featureChannels: number;
  forward(ctx: ForwardContext, x: tf.Tensor4D): tf.Tensor4D;
}
