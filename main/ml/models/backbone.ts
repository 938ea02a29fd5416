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

/**
 * A Backbone of `stages` stages run one after another, each by `runStage` (1-based): what every
 * architecture here shares, so each states only what one of its stages does.
 */
export function stagedBackbone(
  stages: number,
  featureChannels: number,
  runStage: (ctx: ForwardContext, h: tf.Tensor4D, stage: number) => tf.Tensor4D,
): Backbone {
  return {
    stages,
    featureChannels,
    forward(ctx, x) {
      return this.forwardStages(ctx, x, 1, stages);
    },
    forwardStages(ctx, x, from, to) {
      let h = x;
      for (let stage = Math.max(1, from); stage <= Math.min(to, stages); stage++) h = runStage(ctx, h, stage);
      return h;
    },
  };
}
