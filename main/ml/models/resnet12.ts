import * as tf from '@tensorflow/tfjs';
import { addConv, addNormalisation, convNormalise, maxPool2, seedSequence, type ForwardContext } from './layers';
import type { ParameterStore } from './parameterStore';
import { stagedBackbone, type Backbone } from './backbone';

const LEAK = 0.1;

/**
 * ResNet-12 (as in MetaOptNet / CRML): four residual stages, each three conv3x3-BN layers with
 * leaky ReLU, a 1x1 conv-BN shortcut, and a 2x2 max pool. Widths are configurable so CPU training
 * stays feasible (default 64-128-256-512).
 * Memory: a training step at 84 px keeps ~110 MiB of activations per image at the default widths, so
 * batch 25 needs more than the 4 GiB a wasm32 heap can address (XNNPACK aborts). On wasm, train it
 * narrower (e.g. 32-64-128-256) or with smaller batches; tfjs-node has no such limit.
 */
export function buildResNet12(store: ParameterStore, inChannels: number, widths: number[], seed: number): Backbone {
  const nextSeed = seedSequence(seed);
  let channels = inChannels;
  widths.forEach((width, index) => {
    const stage = index + 1;
    for (let layer = 1; layer <= 3; layer++) {
      addConv(store, `stage${stage}/conv${layer}`, stage, 3, layer === 1 ? channels : width, width, nextSeed());
      addNormalisation(store, `stage${stage}/bn${layer}`, stage, width);
    }
    addConv(store, `stage${stage}/shortcut`, stage, 1, channels, width, nextSeed());
    addNormalisation(store, `stage${stage}/shortcutBn`, stage, width);
    channels = width;
  });
  return stagedBackbone(widths.length, channels, (ctx, h, stage) => {
    const p = `stage${stage}`;
    let y = convNormalise(ctx, `${p}/conv1`, `${p}/bn1`, h, 'leakyrelu', LEAK);
    y = convNormalise(ctx, `${p}/conv2`, `${p}/bn2`, y, 'leakyrelu', LEAK);
    y = convNormalise(ctx, `${p}/conv3`, `${p}/bn3`, y, 'linear');
    const shortcut = convNormalise(ctx, `${p}/shortcut`, `${p}/shortcutBn`, h, 'linear');
    return maxPool2(tf.leakyRelu(tf.add(y, shortcut) as tf.Tensor4D, LEAK));
  });
}
