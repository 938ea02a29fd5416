import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormTraining, hasFusedBatchNormTraining } from '../../main/ml/kernels/batchNormTraining';
import { onBackend, randomValues, relativeError, seededRandom, useWasmWithProjectKernels } from './wasmBackend';

const EPSILON = 1e-5;

interface Outcome {
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  dx: Float32Array;
  dscale: Float32Array;
  doffset: Float32Array;
}

/** Forward values and the gradients of sum(y * probe), by the fused kernel or by tf ops. */
function run(fused: boolean, shape: [number, number, number, number], x: Float32Array, scale: Float32Array, offset: Float32Array, probe: Float32Array): Outcome {
  return tf.tidy(() => {
    const c = shape[3];
    const inputs = [tf.tensor4d(x, shape), tf.tensor1d(scale), tf.tensor1d(offset)] as const;
    const forward = (xt: tf.Tensor4D, s: tf.Tensor1D, o: tf.Tensor1D) => {
      if (fused) return batchNormTraining(xt, s, o, EPSILON);
      const { mean, variance } = tf.moments(xt, [0, 1, 2]);
      return { y: tf.batchNorm4d(xt, mean as tf.Tensor1D, variance as tf.Tensor1D, o, s, EPSILON), mean, variance };
    };
    const stats = forward(...inputs);
    const probeTensor = tf.tensor4d(probe, shape);
    const grads = tf.grads((xt, s, o) => tf.sum(tf.mul(forward(xt as tf.Tensor4D, s as tf.Tensor1D, o as tf.Tensor1D).y, probeTensor)))([...inputs]);
    expect(stats.mean.shape).toEqual([c]);
    return {
      y: stats.y.dataSync() as Float32Array,
      mean: stats.mean.dataSync() as Float32Array,
      variance: stats.variance.dataSync() as Float32Array,
      dx: grads[0]!.dataSync() as Float32Array,
      dscale: grads[1]!.dataSync() as Float32Array,
      doffset: grads[2]!.dataSync() as Float32Array,
    };
  });
}

describe('fused batch norm with batch statistics (wasm kernel)', () => {
  beforeAll(async () => {
    await useWasmWithProjectKernels();
  });

  it('is registered on wasm and not on cpu (cpu keeps the composed form)', async () => {
    expect(await onBackend('wasm', hasFusedBatchNormTraining)).toBe(true);
    expect(await onBackend('cpu', hasFusedBatchNormTraining)).toBe(false);
  });

  it('matches moments + batchNorm on cpu: values, statistics and all three gradients', async () => {
    const random = seededRandom(21);
    const shapes: [number, number, number, number][] = [[3, 5, 4, 6], [2, 7, 3, 1], [1, 3, 1, 4], [4, 6, 6, 16]];
    for (const shape of shapes) {
      const size = shape.reduce((a, b) => a * b);
      // An offset far from zero: statistics must not lose precision to it.
      const x = randomValues(random, size).map((v) => v * 3 + 40);
      const scale = randomValues(random, shape[3]);
      const offset = randomValues(random, shape[3]);
      const probe = randomValues(random, size);
      const actual = await onBackend('wasm', () => run(true, shape, x, scale, offset, probe));
      const expected = await onBackend('cpu', () => run(false, shape, x, scale, offset, probe));
      for (const key of ['y', 'mean', 'variance', 'dx', 'dscale', 'doffset'] as const) {
        expect(relativeError(actual[key], expected[key]), `${key} ${JSON.stringify(shape)}`).toBeLessThan(1e-4);
      }
    }
  });

  it('leaks no tensors through a gradient step', async () => {
    await onBackend('wasm', () => {
      const x = tf.randomNormal([2, 4, 4, 3]) as tf.Tensor4D;
      const scale = tf.variable(tf.ones([3]) as tf.Tensor1D);
      const offset = tf.variable(tf.zeros([3]) as tf.Tensor1D);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        // Only the scale is asked for: the other two gradients the one kernel made must be freed too.
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(batchNormTraining(x, scale, offset, EPSILON).y)) as tf.Scalar, [scale]);
        expect(Object.keys(grads)).toHaveLength(1);
        value.dispose();
        tf.dispose(Object.values(grads));
      });
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, scale, offset]);
    });
  });
});
