import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { innerLoop, metaGradient, type MamlTask } from '../../../main/ml/meta/maml';
import { createEmbeddingNet, type EmbeddingNet } from '../../../main/ml/models/embeddingNet';

// Second-order MAML through a real (tiny) Conv-4: the meta-gradient must match finite differences
// of F(theta) = L_Q(theta - alpha grad L_S(theta)) along a random direction. This exercises the
// gradients of Conv2DBackpropFilter and MaxPoolGrad that the project registers.
describe('second-order MAML through conv and max-pool gradients', () => {
  let net: EmbeddingNet;
  let images: tf.Tensor4D;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    net = createEmbeddingNet({ arch: 'conv4', inputSize: 8, channels: 1, widths: [3, 4], seed: 3 });
    images = tf.randomNormal([6, 8, 8, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
  });
  afterAll(() => {
    images.dispose();
    net.dispose();
  });

  it('matches a central finite difference of the adapted query loss (whole network)', async () => {
    const alpha = 0.3;
    const names = net.parameterNames('all');
    const theta = new Map(names.map((n) => [n, net.variables.get(n) as tf.Tensor]));
    // A smooth loss (squared distance of the embeddings to fixed targets) keeps finite differences exact enough.
    const targets = tf.randomNormal([6, net.embeddingDim], 0, 1, 'float32', 9);
    const squared = (x: tf.Tensor4D, shift: number) => (p: ReadonlyMap<string, tf.Tensor>) => tf.mean(tf.square(tf.sub(net.embedFromStage(x, 1, { overrides: p }), tf.mul(targets, shift)))).asScalar();
    const task: MamlTask = { support: squared(images, 1), query: squared(images, -1) };
    const direction = new Map(names.map((n, i) => [n, tf.randomNormal(theta.get(n)!.shape, 0, 1, 'float32', 100 + i)]));
    const dot = (grads: Map<string, tf.Tensor>) => names.reduce((s, n) => s + (tf.sum(tf.mul(grads.get(n)!, direction.get(n)!)).dataSync()[0] as number), 0);
    const adaptedQueryLoss = (eps: number) => {
      const shifted = new Map(names.map((n) => [n, tf.add(theta.get(n)!, tf.mul(direction.get(n)!, eps))]));
      const { fast } = innerLoop(shifted, task.support, { steps: 1, learningRate: alpha });
      const value = tf.tidy(() => task.query(fast).dataSync()[0] as number);
      for (const t of [...shifted.values(), ...fast.values()]) t.dispose();
      return value;
    };
    // Small enough to stay off the ReLU / max-pool kinks, large enough for float32 (checked 1e-3..3e-2).
    const eps = 3e-3;
    const numeric = (adaptedQueryLoss(eps) - adaptedQueryLoss(-eps)) / (2 * eps);
    const second = dot(metaGradient(theta, task, { steps: 1, learningRate: alpha, order: 2 }).grads);
    const first = dot(metaGradient(theta, task, { steps: 1, learningRate: alpha, order: 1 }).grads);
    expect(Math.abs(second - numeric)).toBeLessThan(0.05 * Math.abs(numeric) + 1e-3);
    // The check has teeth: first order misses the inner-gradient term by more than that.
    expect(Math.abs(first - numeric)).toBeGreaterThan(Math.abs(second - numeric));
  });
});
