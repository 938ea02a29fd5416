import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { allPairsMiner } from '../../main/ml/losses/metricLoss';
import { multiSimilarityMiner } from '../../main/ml/losses/miners/multiSimilarityMiner';
import { multiSimilarityLoss } from '../../main/ml/losses/multiSimilarityLoss';

// Four unit vectors, classes [0, 0, 1, 1]. Cosine similarities:
//   ab = 0.6, ac = 0, ad = -1, bc = 0.8, bd = -0.6, cd = 0.
const embeddings = [
  [1, 0],
  [0.6, 0.8],
  [0, 1],
  [-1, 0],
];
const labels = [0, 0, 1, 1];

describe('Multi-Similarity loss', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('mines the pairs the paper\'s rule keeps (epsilon 0.1)', () => {
    const similarity = new Float32Array([1, 0.6, 0, -1, 0.6, 1, 0.8, -0.6, 0, 0.8, 1, 0, -1, -0.6, 0, 1]);
    const masks = multiSimilarityMiner(0.1).mine(similarity, labels);
    // a: hardest positive 0.6 -> no negative above 0.5; hardest negative 0 -> positive 0.6 not below 0.1.
    // b: keeps negative c (0.8 > 0.5) and positive a (0.6 < 0.9).
    // c: keeps negatives a, b (> -0.1) and positive d (0 < 0.9).  d: keeps nothing.
    expect(Array.from(masks.positive)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(Array.from(masks.negative)).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('equals the hand-computed value with alpha 2, beta 50, lambda 0.5', () => {
    const lossB = 0.5 * Math.log(1 + Math.exp(-2 * (0.6 - 0.5))) + (1 / 50) * Math.log(1 + Math.exp(50 * (0.8 - 0.5)));
    const lossC = 0.5 * Math.log(1 + Math.exp(-2 * (0 - 0.5))) + (1 / 50) * Math.log(1 + Math.exp(50 * (0 - 0.5)) + Math.exp(50 * (0.8 - 0.5)));
    const expected = (lossB + lossC) / 4;
    const value = tf.tidy(() => multiSimilarityLoss().compute(tf.tensor2d(embeddings), labels).dataSync()[0] as number);
    expect(value).toBeCloseTo(expected, 5);
  });

  it('without mining scores every pair', () => {
    const s = [[1, 0.6, 0, -1], [0.6, 1, 0.8, -0.6], [0, 0.8, 1, 0], [-1, -0.6, 0, 1]];
    let total = 0;
    for (let i = 0; i < 4; i++) {
      let pos = 0;
      let neg = 0;
      for (let k = 0; k < 4; k++) {
        if (k === i) continue;
        const sik = s[i]![k]!;
        if (labels[i] === labels[k]) pos += Math.exp(-2 * (sik - 0.5));
        else neg += Math.exp(50 * (sik - 0.5));
      }
      total += Math.log1p(pos) / 2 + Math.log1p(neg) / 50;
    }
    const value = tf.tidy(() => multiSimilarityLoss({ miner: allPairsMiner }).compute(tf.tensor2d(embeddings), labels).dataSync()[0] as number);
    expect(value).toBeCloseTo(total / 4, 5);
  });

  it('gives gradients that, followed, lower it', () => {
    const loss = multiSimilarityLoss({ miner: allPairsMiner });
    const e = tf.variable(tf.tensor2d(embeddings));
    const optimizer = tf.train.sgd(0.05);
    const values: number[] = [];
    for (let step = 0; step < 20; step++) {
      const v = optimizer.minimize(() => loss.compute(tf.div(e, tf.norm(e, 2, 1, true)) as tf.Tensor2D, labels), true, [e])!;
      values.push(v.dataSync()[0] as number);
      v.dispose();
    }
    expect(values[values.length - 1]!).toBeLessThan(values[0]! * 0.9);
    e.dispose();
    optimizer.dispose();
  });

  it('rejects a label count that does not match the batch', () => {
    expect(() => multiSimilarityLoss().compute(tf.zeros([3, 2]) as tf.Tensor2D, [0, 1])).toThrow(/labels/);
  });
});
