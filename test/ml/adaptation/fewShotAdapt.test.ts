import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fewShotAdapt } from '../../../main/ml/adaptation/fewShotAdapt';
import { createEmbeddingNet, type EmbeddingNet } from '../../../main/ml/models/embeddingNet';
import { useWasmWithProjectKernels } from '../wasmBackend';
import { classImages } from './classImages';

describe('few-shot adaptation', () => {
  let net: EmbeddingNet;
  beforeAll(async () => {
    await useWasmWithProjectKernels();
    net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [8, 8, 8], seed: 4 });
  });
  afterAll(() => net.dispose());

  it('lowers the support loss, leaves the base network untouched, records the support ids and frees its tensors', () => {
    const { images, labels } = classImages(2, 1);
    const fromStage = net.firstStageOf('last-stage-head');
    const features = net.trunkFeatures(images, fromStage - 1);
    const baseKernel = (net.variables.get('stage3/conv/kernel') as tf.Variable).dataSync().slice();
    const count = tf.memory().numTensors;
    const ids = labels.map((_, i) => `img${i}`);
    const adapted = fewShotAdapt(net, { features, fromStage, labels, ids }, { group: 'last-stage-head', steps: 8, learningRate: 0.5, earlyStop: true });
    expect(adapted.steps).toBe(8); // 2 shots: no held-out shot, the fixed budget runs
    expect(adapted.losses.at(-1)!).toBeLessThan(adapted.losses[0]!);
    expect(adapted.supportIds).toEqual(ids);
    expect([...adapted.weights.keys()].sort()).toEqual(net.parameterNames('last-stage-head').sort());
    expect((net.variables.get('stage3/conv/kernel') as tf.Variable).dataSync()).toEqual(baseKernel);
    adapted.dispose();
    expect(tf.memory().numTensors).toBe(count);
    tf.dispose([images, features]);
  });

  it('with 3+ shots picks its step count on a held-out shot and stops early when that stops improving', () => {
    const { images, labels } = classImages(4, 2);
    const fromStage = net.firstStageOf('last-stage-head');
    const features = net.trunkFeatures(images, fromStage - 1);
    // A learning rate far too large must be caught by the held-out shot instead of running 30 steps.
    const wild = fewShotAdapt(net, { features, fromStage, labels }, { group: 'last-stage-head', steps: 30, learningRate: 200, earlyStop: true });
    expect(wild.stoppedEarly).toBe(true);
    expect(wild.steps).toBeLessThan(30);
    wild.dispose();
    const fixed = fewShotAdapt(net, { features, fromStage, labels }, { group: 'last-stage-head', steps: 30, learningRate: 200, earlyStop: false });
    expect(fixed.steps).toBe(30);
    fixed.dispose();
    tf.dispose([images, features]);
  });

  it('adapts the whole network from the images when the group is "all"', () => {
    const { images, labels } = classImages(2, 3);
    expect(net.firstStageOf('all')).toBe(1);
    const adapted = fewShotAdapt(net, { features: images, fromStage: 1, labels }, { group: 'all', steps: 3, learningRate: 0.5, earlyStop: false });
    expect(adapted.weights.has('stage1/conv/kernel')).toBe(true);
    expect(adapted.losses[2]!).toBeLessThan(adapted.losses[0]!);
    adapted.dispose();
    images.dispose();
  });
});
