import { addConv, addNormalisation, convNormalise, maxPool2, seedSequence } from './layers';
import type { ParameterStore } from './parameterStore';
import { stagedBackbone, type Backbone } from './backbone';

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
  return stagedBackbone(widths.length, channels, (ctx, h, stage) => maxPool2(convNormalise(ctx, `stage${stage}/conv`, `stage${stage}/bn`, h, 'relu')));
}
