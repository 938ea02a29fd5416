import { addConv, addDepthwiseConv, addNormalisation, convNormalise, maxPool2, seedSequence } from './layers';
import type { ParameterStore } from './parameterStore';
import { stagedBackbone, type Backbone } from './backbone';

/**
 * Depthwise-separable Conv-4 (MobileNet-style units, four stages like Conv-4): stage 1 an ordinary
 * conv3x3 -> BN -> ReLU -> maxpool 2 (three input channels leave nothing to separate); stages 2-4
 * depthwise 3x3 -> BN -> ReLU -> pointwise 1x1 -> BN -> ReLU -> maxpool 2. A stage of width w on c
 * input channels costs 9c + c*w multiply-adds per pixel instead of Conv-4's 9c*w, so wider stages fit
 * the same CPU budget. Both units fold their batch norm into the filter at inference (layers.ts).
 */
export function buildDwsConv4(store: ParameterStore, inChannels: number, widths: number[], seed: number): Backbone {
  const nextSeed = seedSequence(seed);
  let channels = inChannels;
  widths.forEach((width, index) => {
    const stage = index + 1;
    if (stage === 1) {
      addConv(store, 'stage1/conv', stage, 3, channels, width, nextSeed());
      addNormalisation(store, 'stage1/bn', stage, width);
    } else {
      addDepthwiseConv(store, `stage${stage}/depthwise`, stage, 3, channels, nextSeed());
      addNormalisation(store, `stage${stage}/depthwiseBn`, stage, channels);
      addConv(store, `stage${stage}/pointwise`, stage, 1, channels, width, nextSeed());
      addNormalisation(store, `stage${stage}/pointwiseBn`, stage, width);
    }
    channels = width;
  });
  return stagedBackbone(widths.length, channels, (ctx, h, stage) => {
    const p = `stage${stage}`;
    if (stage === 1) return maxPool2(convNormalise(ctx, `${p}/conv`, `${p}/bn`, h, 'relu'));
    const spread = convNormalise(ctx, `${p}/depthwise`, `${p}/depthwiseBn`, h, 'relu', 0, 'depthwise');
    return maxPool2(convNormalise(ctx, `${p}/pointwise`, `${p}/pointwiseBn`, spread, 'relu'));
  });
}
