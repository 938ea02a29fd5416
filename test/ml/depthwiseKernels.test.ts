import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { installedWasmTrainingKernels } from '../../main/ml/kernels/wasm/registerWasmTrainingKernels';
import { onBackend, randomValues, relativeError, seededRandom, useWasmWithProjectKernels } from './wasmBackend';

type Pad = 'same' | 'valid' | number;

interface DepthwiseCase {
  label: string;
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  stride: number;
  pad: Pad;
  x: Float32Array;
  filter: Float32Array;
}

/** Seeded depthwise problems over strides, paddings, odd and even square kernels and sizes. */
function depthwiseCases(seed: number): DepthwiseCase[] {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const cases: DepthwiseCase[] = [];
  for (const stride of [1, 2]) {
    for (const pad of ['same', 'valid', 1] as Pad[]) {
      for (let rep = 0; rep < 2; rep++) {
        const f = rep === 0 ? 3 : int(1, 4);
        const xShape: [number, number, number, number] = [int(1, 3), int(f + 1, 11), int(f + 1, 10), int(1, 6)];
        const filterShape: [number, number, number, number] = [f, f, xShape[3], 1];
        cases.push({
          label: `x${xShape.join('x')} f${filterShape.join('x')} s${stride} pad=${pad}`,
          xShape,
          filterShape,
          stride,
          pad,
          x: randomValues(random, xShape.reduce((a, b) => a * b)),
          filter: randomValues(random, filterShape.reduce((a, b) => a * b)),
        });
      }
    }
  }
  return cases;
}

/** d(sum(depthwise(x, W) * probe))/dx and /dW: the probe makes dy a non-trivial random tensor. */
function depthwiseGradients(c: DepthwiseCase, probeSeed: number): { dx: Float32Array; dW: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(c.x, c.xShape);
    const filter = tf.tensor4d(c.filter, c.filterShape);
    const forward = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
    const outShape = forward(x, filter).shape;
    const probe = tf.tensor(randomValues(seededRandom(probeSeed), outShape.reduce((a, b) => a * b)), outShape);
    const [dx, dW] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(forward(a, b), probe)))([x, filter]);
    return { dx: dx!.dataSync() as Float32Array, dW: dW!.dataSync() as Float32Array };
  });
}

describe('wasm depthwise convolution gradients (project kernels)', () => {
  beforeAll(useWasmWithProjectKernels);

  it('installs both kernels on wasm', () => {
    expect(installedWasmTrainingKernels()).toEqual(expect.arrayContaining(['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']));
  });

  const cases = depthwiseCases(20261206);
  it.each(cases.map((c, i) => [c.label, c, i] as const))('match cpu: %s', async (_label, c, i) => {
    const expected = await onBackend('cpu', () => depthwiseGradients(c, 500 + i));
    const actual = await onBackend('wasm', () => depthwiseGradients(c, 500 + i));
    expect(relativeError(actual.dW, expected.dW)).toBeLessThan(1e-4);
    expect(relativeError(actual.dx, expected.dx)).toBeLessThan(1e-4);
  });

  it('refuses what it does not cover (channel multiplier 2) with a clear error instead of a wrong gradient', () => {
    const x = tf.ones([1, 5, 5, 2]) as tf.Tensor4D;
    const filter = tf.ones([3, 3, 2, 2]) as tf.Tensor4D;
    expect(() => tf.grads((a: tf.Tensor) => tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, filter, 1, 'same')))([x])).toThrow(/not supported/);
    tf.dispose([x, filter]);
  });

  it('frees every intermediate tensor', () => {
    const c = depthwiseCases(9)[1]!;
    depthwiseGradients(c, 3);
    const before = tf.memory().numTensors;
    depthwiseGradients(c, 3);
    expect(tf.memory().numTensors).toBe(before);
  });
});
