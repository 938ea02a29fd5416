import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { installedWasmTrainingKernels } from '../../main/ml/kernels/wasm/registerWasmTrainingKernels';
import { onBackend, randomValues, relativeError, seededRandom, useWasmWithProjectKernels } from './wasmBackend';

type Pad = tf.Conv2DAttrs['pad'];

interface ConvCase {
  label: string;
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  stride: number;
  pad: Pad;
  x: Float32Array;
  filter: Float32Array;
}

function padLabel(pad: Pad): string {
  return typeof pad === 'string' || typeof pad === 'number' ? String(pad) : JSON.stringify(pad);
}

/** Seeded random convolution problems over strides, paddings, odd and even kernels and sizes. */
function convCases(seed: number): ConvCase[] {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pads: Pad[] = ['same', 'valid', 1, 0, [[0, 0], [1, 2], [0, 1], [0, 0]]];
  const cases: ConvCase[] = [];
  for (const stride of [1, 2]) {
    for (const pad of pads) {
      for (let rep = 0; rep < 2; rep++) {
        const fh = int(1, 4);
        // Numeric pads with non-square kernels crash tfjs' own wasm Conv2D forward (its output
        // shape uses the filter height for both axes), so those cases use square kernels.
        const fw = typeof pad === 'number' ? fh : int(1, 3);
        const h = int(fh + 1, 11);
        const w = int(fw + 1, 10);
        const xShape: [number, number, number, number] = [int(1, 3), h, w, int(1, 5)];
        const filterShape: [number, number, number, number] = [fh, fw, xShape[3], int(1, 6)];
        cases.push({
          label: `x${xShape.join('x')} f${filterShape.join('x')} s${stride} pad=${padLabel(pad)}`,
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

/** d(sum(conv(x, W) * probe))/dx and /dW: the probe makes dy a non-trivial random tensor. */
function convGradients(c: ConvCase, probeSeed: number): { dx: Float32Array; dW: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(c.x, c.xShape);
    const filter = tf.tensor4d(c.filter, c.filterShape);
    const outShape = tf.conv2d(x, filter, c.stride, c.pad).shape;
    const probe = tf.tensor(randomValues(seededRandom(probeSeed), outShape.reduce((a, b) => a * b)), outShape);
    const [dx, dW] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), probe)),
    )([x, filter]);
    return { dx: dx!.dataSync() as Float32Array, dW: dW!.dataSync() as Float32Array };
  });
}

describe('wasm training kernels', () => {
  beforeAll(async () => {
    await useWasmWithProjectKernels();
  });

  it('installs the project kernels on wasm', () => {
    expect(installedWasmTrainingKernels()).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'Conv2DBackpropInput']));
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  const cases = convCases(20261101);
  it.each(cases.map((c, i) => [c.label, c, i] as const))('conv2d gradients match cpu: %s', async (_label, c, i) => {
    const expected = await onBackend('cpu', () => convGradients(c, 1000 + i));
    const actual = await onBackend('wasm', () => convGradients(c, 1000 + i));
    expect(relativeError(actual.dW, expected.dW)).toBeLessThan(1e-4);
    expect(relativeError(actual.dx, expected.dx)).toBeLessThan(1e-4);
  });

  it('handles ceil/floor/round dimension rounding through the raw kernels', async () => {
    const random = seededRandom(7);
    const xShape: [number, number, number, number] = [2, 9, 8, 3];
    const filterShape: [number, number, number, number] = [3, 3, 3, 4];
    const x = randomValues(random, 2 * 9 * 8 * 3);
    const filter = randomValues(random, 3 * 3 * 3 * 4);
    for (const dimRoundingMode of ['floor', 'ceil', 'round'] as const) {
      const attrsOf = (outShape: number[]) => ({ strides: 2, pad: 1, dimRoundingMode, dataFormat: 'NHWC', outShape });
      const run = () =>
        tf.tidy(() => {
          const xt = tf.tensor4d(x, xShape);
          const ft = tf.tensor4d(filter, filterShape);
          const y = tf.conv2d(xt, ft, 2, 1, 'NHWC', 1, dimRoundingMode);
          const dy = tf.tensor(randomValues(seededRandom(11), y.size), y.shape);
          const dW = tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy }, { ...attrsOf(y.shape), filterShape }) as tf.Tensor;
          const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: ft }, { ...attrsOf(y.shape), inputShape: xShape }) as tf.Tensor;
          return [dW.dataSync(), dx.dataSync()] as const;
        });
      const [dWCpu, dxCpu] = await onBackend('cpu', run);
      const [dWWasm, dxWasm] = await onBackend('wasm', run);
      expect(relativeError(dWWasm, dWCpu)).toBeLessThan(1e-4);
      expect(relativeError(dxWasm, dxCpu)).toBeLessThan(1e-4);
    }
  });

  it('matches cpu for dilated forward convolutions, which the filter kernel is built on', async () => {
    const random = seededRandom(99);
    for (const dilation of [1, 2]) {
      const x = randomValues(random, 2 * 10 * 9 * 3);
      const filter = randomValues(random, 3 * 2 * 3 * 5);
      const run = () =>
        tf.tidy(() => tf.conv2d(tf.tensor4d(x, [2, 10, 9, 3]), tf.tensor4d(filter, [3, 2, 3, 5]), 1, 'valid', 'NHWC', dilation).dataSync());
      expect(relativeError(await onBackend('wasm', run), await onBackend('cpu', run))).toBeLessThan(1e-4);
    }
  });

  it('tfjs itself refuses conv2d gradients with dilation > 1, on every backend', () => {
    const x = tf.ones([1, 6, 6, 1]) as tf.Tensor4D;
    const w = tf.ones([2, 2, 1, 1]) as tf.Tensor4D;
    expect(() => tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'valid', 'NHWC', 2)))(w)).toThrow(/dilation/);
    tf.dispose([x, w]);
  });

  it('frees every intermediate tensor', () => {
    const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')))([x, w]);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([...grads, x, w]);
  });
});
