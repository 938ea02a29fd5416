import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { installedWasmTrainingKernels, PROJECT_KERNELS } from '../../main/ml/kernels/wasm/registerWasmTrainingKernels';
import { onBackend, randomValues, relativeError, seededRandom, useWasmWithProjectKernels } from './wasmBackend';

/** Runs fn on cpu and on wasm (project kernels) over the same data and returns both results. */
async function both(fn: () => Float32Array | Int32Array | Uint8Array): Promise<[ArrayLike<number>, ArrayLike<number>]> {
  return [await onBackend('wasm', fn), await onBackend('cpu', fn)];
}

describe('wasm replacement kernels (Tile, Sum, Mean, MaxPoolGrad)', () => {
  beforeAll(async () => {
    await useWasmWithProjectKernels();
  });

  it('are all installed', () => {
    expect(installedWasmTrainingKernels().sort()).toEqual([...PROJECT_KERNELS].sort());
  });

  it('Tile matches cpu, broadcast cases and fallback cases', async () => {
    const random = seededRandom(3);
    const cases: [number[], number[]][] = [
      [[1, 1, 1, 5], [2, 3, 4, 1]], // batch-norm gradient pattern (project path)
      [[2, 1, 3], [1, 4, 1]], // broadcast in the middle (project path)
      [[2, 3], [2, 2]], // real repetition (shipped kernel)
    ];
    for (const [shape, reps] of cases) {
      const values = randomValues(random, shape.reduce((a, b) => a * b));
      const [actual, expected] = await both(() => tf.tidy(() => tf.tile(tf.tensor(values, shape), reps).dataSync() as Float32Array));
      expect(relativeError(actual, expected)).toBeLessThan(1e-6);
    }
  });

  it('Sum and Mean match cpu over leading, trailing and mixed axes, with and without keepDims', async () => {
    const random = seededRandom(5);
    const shape = [4, 9, 7, 6];
    const values = randomValues(random, shape.reduce((a, b) => a * b));
    const axesList: (number | number[])[] = [[0, 1, 2], [0, 1], 0, [1, 2], -1, [2, 0, 1], [0, 1, 2, 3]];
    for (const axis of axesList) {
      for (const keepDims of [false, true]) {
        const [s, sRef] = await both(() => tf.tidy(() => tf.sum(tf.tensor(values, shape), axis, keepDims).dataSync() as Float32Array));
        expect(relativeError(s, sRef)).toBeLessThan(1e-5);
        const [m, mRef] = await both(() => tf.tidy(() => tf.mean(tf.tensor(values, shape), axis, keepDims).dataSync() as Float32Array));
        expect(relativeError(m, mRef)).toBeLessThan(1e-5);
        const shapeOf = await onBackend('wasm', () => tf.tidy(() => tf.sum(tf.tensor(values, shape), axis, keepDims).shape));
        expect(shapeOf).toEqual(await onBackend('cpu', () => tf.tidy(() => tf.sum(tf.tensor(values, shape), axis, keepDims).shape)));
      }
    }
    const ints = await both(() => tf.tidy(() => tf.sum(tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), 0).dataSync() as Int32Array));
    expect(Array.from(ints[0])).toEqual(Array.from(ints[1]));
  });

  it('MaxPoolGrad routes the gradient to negative maxima (the shipped wasm kernel does not)', async () => {
    // One 2x2 window, all negative: the maximum -0.1 sits at index 3.
    const run = () =>
      tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid')))(tf.tensor4d([-0.7, -0.5, -0.8, -0.1], [1, 2, 2, 1])).dataSync() as Float32Array);
    const [actual, expected] = await both(run);
    expect(Array.from(expected)).toEqual([0, 0, 0, 1]);
    expect(Array.from(actual)).toEqual([0, 0, 0, 1]);
  });

  it('MaxPoolGrad matches cpu for 2x2/2 pools (even and odd sizes) and falls back for others', async () => {
    const random = seededRandom(8);
    const cases: { shape: [number, number, number, number]; size: number; stride: number; pad: 'valid' | 'same' }[] = [
      { shape: [3, 8, 6, 4], size: 2, stride: 2, pad: 'valid' },
      { shape: [2, 7, 9, 3], size: 2, stride: 2, pad: 'valid' },
      { shape: [2, 9, 9, 2], size: 3, stride: 3, pad: 'valid' },
      { shape: [2, 7, 7, 3], size: 3, stride: 2, pad: 'valid' }, // overlapping: shipped kernel
    ];
    for (const c of cases) {
      const values = randomValues(random, c.shape.reduce((a, b) => a * b));
      const probeSeed = Math.floor(random() * 1e6);
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(values, c.shape);
          const y = tf.maxPool(x, c.size, c.stride, c.pad);
          const probe = tf.tensor(randomValues(seededRandom(probeSeed), y.size), y.shape);
          return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.size, c.stride, c.pad), probe)))(x).dataSync() as Float32Array;
        });
      const [actual, expected] = await both(run);
      expect(relativeError(actual, expected), JSON.stringify(c)).toBeLessThan(1e-6);
    }
  });
});
