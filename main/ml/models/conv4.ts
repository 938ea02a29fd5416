import * as tf from '@tensorflow/tfjs';
import { addConv, addNormalisation, convNormalise, maxPool2, seedSequence, type ForwardContext } from './layers';
import type { ParameterStore } from './parameterStore';
import type { Backbone } from './backbone';

/** Conv-4: four blocks of conv3x3 -> batch norm -> ReLU -> maxpool 2 (84 px -> 5x5 feature map). */
export function buildConv4(store: ParameterStore, inChannels: number, widths: number[], seed: number): Backbone {
  const nextSeed = seedSequence(seed);
  let channels = inChannels;
  widths.forEach((width, index) => {
    const stage = index + 1;
    addConv(store, `stage${stage}/conv`, stage, 3, channels, width, nextSeed());
    addNormalisation(store, `stage${stage}/bn`, stage, width);
    channels = width;
  });
  return {
    stages: widths.length,
    featureChannels: channels,
    forward(ctx: ForwardContext, x: tf.Tensor4D): tf.Tensor4D {
      return this.forwardStages(ctx, x, 1, widths.length);
    },
    forwardStages(ctx: ForwardContext, x: tf.Tensor4D, from: number, to: number): tf.Tensor4D {
      let h = x;
      for (let stage = Math.max(1, from); stage <= Math.min(to, widths.length); stage++) {
        h = maxPool2(convNormalise(ctx, `stage${stage}/conv`, `stage${stage}/bn`, h, 'relu'));
      }
      return h;
    },
  };
}
