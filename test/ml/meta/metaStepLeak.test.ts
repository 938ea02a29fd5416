import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureLoss } from '../../../main/ml/adaptation/adaptationLoss';
import { metaStep, type MamlTask } from '../../../main/ml/meta/maml';
import { createEmbeddingNet, type EmbeddingNet } from '../../../main/ml/models/embeddingNet';
import { useWasmWithProjectKernels } from '../wasmBackend';

// A meta-step on the real network over cached trunk features (the trainer's path), on wasm with the
// project's kernels: no tensor may survive it, in either order, and the group must move.
describe('meta-step on cached trunk features', () => {
  let net: EmbeddingNet;
  let features: tf.Tensor4D;
  const labels = [0, 0, 0, 1, 1, 1, 2, 2, 2];
  beforeAll(async () => {
    await useWasmWithProjectKernels();
    net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [4, 6, 8], seed: 2 });
    const images = tf.randomNormal([9, 16, 16, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
    features = net.trunkFeatures(images, net.firstStageOf('last-stage-head') - 1);
    images.dispose();
  });
  afterAll(() => {
    features.dispose();
    net.dispose();
  });

  it('trunk + head stages equal the whole embedding', () => {
    const images = tf.randomNormal([3, 16, 16, 1], 0, 1, 'float32', 8) as tf.Tensor4D;
    const stage = net.firstStageOf('last-stage-head');
    expect(stage).toBe(3);
    const whole = net.embed(images);
    const trunk = net.trunkFeatures(images, stage - 1);
    const split = net.embedFromStage(trunk, stage);
    expect(tf.max(tf.abs(tf.sub(whole, split))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([images, whole, trunk, split]);
  });

  for (const order of [1, 2] as const) {
    it(`order ${order}: no leaked tensors, the adaptable group changes and nothing else`, () => {
      const variables = new Map(net.parameterNames('last-stage-head').map((n) => [n, net.variables.get(n) as tf.Variable]));
      const frozen = net.variables.get('stage1/conv/kernel') as tf.Variable;
      const frozenBefore = frozen.dataSync().slice();
      const optimizer = tf.train.adam(1e-2);
      const task: MamlTask = { support: featureLoss(net, 3, features, labels), query: featureLoss(net, 3, features, labels) };
      metaStep(variables, [task], { steps: 2, learningRate: 0.1, order }, optimizer); // creates Adam's moments
      const kernel = variables.get('stage3/conv/kernel') as tf.Variable;
      const before = kernel.dataSync().slice();
      const count = tf.memory().numTensors;
      const result = metaStep(variables, [task, task], { steps: 2, learningRate: 0.1, order }, optimizer);
      expect(tf.memory().numTensors).toBe(count);
      expect(Number.isFinite(result.queryLoss)).toBe(true);
      const after = kernel.dataSync();
      expect(after.some((v, i) => Math.abs(v - (before[i] as number)) > 1e-6)).toBe(true);
      expect(frozen.dataSync()).toEqual(frozenBefore);
      optimizer.dispose();
    });

    it(`order ${order}: step-size gradients per tensor with frozen weights: finite, no leaked tensors, no variable moves`, () => {
      const names = net.parameterNames('last-stage-head');
      const variables = new Map(names.map((n) => [n, net.variables.get(n) as tf.Variable]));
      const before = names.map((n) => (net.variables.get(n) as tf.Variable).dataSync().slice());
      const task: MamlTask = { support: featureLoss(net, 3, features, labels), query: featureLoss(net, 3, features, labels) };
      const options = { steps: 2, learningRate: 0.1, stepSizes: { [names[0]!]: 0.3 }, order, stepSizeGradients: true };
      metaStep(variables, [task], options, null); // warm-up allocations
      const count = tf.memory().numTensors;
      const result = metaStep(variables, [task, task], options, null);
      expect(tf.memory().numTensors).toBe(count);
      expect([...(result.logStepSizeGrads?.keys() ?? [])].sort()).toEqual([...names].sort());
      for (const value of result.logStepSizeGrads?.values() ?? []) expect(Number.isFinite(value)).toBe(true);
      expect([...(result.logStepSizeGrads?.values() ?? [])].some((value) => Math.abs(value) > 0)).toBe(true);
      names.forEach((n, i) => expect((net.variables.get(n) as tf.Variable).dataSync()).toEqual(before[i]));
    });
  }
});
