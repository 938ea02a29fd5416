import type * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from './layers';

/** A convolutional trunk: image batch [B,H,W,C] -> feature map [B,h,w,featureChannels]. */
export interface Backbone {
  stages: number;
  featureChannels: number;
  forward(ctx: ForwardContext, x: tf.Tensor4D): tf.Tensor4D;
  /** Runs stages from..to (1-based, inclusive) only: the trunk / re-embedding split of issue 5. */
  forwardStages(ctx: ForwardContext, x: tf.Tensor4D, from: number, to: number): tf.Tensor4D;
}
