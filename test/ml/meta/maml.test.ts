import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { innerLoop, metaGradient, metaStep, type MamlTask, type Parameters } from '../../../main/ml/meta/maml';

// Hand-checked case: theta = (a, b) as two scalars.
//   L_S(a, b) = a^2 + a b + 1.5 b^2 - c1 a - c2 b    grad = A theta - c,  A = [[2, 1], [1, 3]]
//   L_Q(a, b) = 0.5 ((a - q1)^2 + (b - q2)^2)        grad = theta - q
// Inner step: theta' = theta - alpha (A theta - c); first order: g = theta' - q;
// second order: g = (I - alpha A)^T (theta' - q) per inner step (A is constant here).
const c = [1, -2];
const q = [0.5, 0.25];
const A = [
  [2, 1],
  [1, 3],
];
const value = (p: Parameters, name: string) => p.get(name) as tf.Tensor;

const quadraticTask: MamlTask = {
  support: (p) => {
    const a = value(p, 'a');
    const b = value(p, 'b');
    return tf.sub(tf.addN([tf.square(a), tf.mul(a, b), tf.mul(tf.square(b), 1.5)]), tf.add(tf.mul(a, c[0] as number), tf.mul(b, c[1] as number))).asScalar();
  },
  query: (p) => tf.mul(tf.add(tf.square(tf.sub(value(p, 'a'), q[0] as number)), tf.square(tf.sub(value(p, 'b'), q[1] as number))), 0.5).asScalar(),
};

// Non-constant Hessian: L_S = a^3 / 3 + a b, grad = (a^2 + b, a), H = [[2a, 1], [1, 0]].
const cubicTask: MamlTask = {
  support: (p) => tf.add(tf.div(tf.pow(value(p, 'a'), 3), 3), tf.mul(value(p, 'a'), value(p, 'b'))).asScalar(),
  query: quadraticTask.query,
};

type Vec = [number, number];
const matVec = (m: number[][], v: Vec): Vec => [(m[0]![0]! * v[0] + m[0]![1]! * v[1]), (m[1]![0]! * v[0] + m[1]![1]! * v[1])];
const sub = (x: Vec, y: Vec): Vec => [x[0] - y[0], x[1] - y[1]];
const scale = (x: Vec, s: number): Vec => [x[0] * s, x[1] * s];
const iMinus = (alpha: number, m: number[][]) => [
  [1 - alpha * m[0]![0]!, -alpha * m[0]![1]!],
  [-alpha * m[1]![0]!, 1 - alpha * m[1]![1]!],
];

function scalars(theta: Vec): Map<string, tf.Tensor> {
  return new Map([
    ['a', tf.scalar(theta[0])],
    ['b', tf.scalar(theta[1])],
  ]);
}

async function read(grads: Map<string, tf.Tensor>): Promise<Vec> {
  const out: Vec = [(await grads.get('a')!.data())[0]!, (await grads.get('b')!.data())[0]!];
  for (const g of grads.values()) g.dispose();
  return out;
}

describe('MAML meta-gradients against a hand-computed case', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  const theta: Vec = [0.3, -0.7];
  const alpha = 0.1;

  it('inner loop is plain gradient descent (eq. 1)', async () => {
    const p = scalars(theta);
    const { fast, losses } = innerLoop(p, quadraticTask.support, { steps: 2, learningRate: alpha });
    const once = sub(theta, scale(sub(matVec(A, theta), c as Vec), alpha));
    const twice = sub(once, scale(sub(matVec(A, once), c as Vec), alpha));
    expect(await read(fast)).toEqual([expect.closeTo(twice[0], 6), expect.closeTo(twice[1], 6)]);
    expect(losses).toHaveLength(2);
    expect(losses[1]!).toBeLessThan(losses[0]!);
    for (const t of p.values()) t.dispose();
  });

  for (const steps of [1, 2]) {
    it(`first and second order, ${steps} inner step(s), quadratic support loss`, async () => {
      let adapted = theta;
      for (let t = 0; t < steps; t++) adapted = sub(adapted, scale(sub(matVec(A, adapted), c as Vec), alpha));
      const firstOrder = sub(adapted, q as Vec);
      let secondOrder = firstOrder;
      for (let t = 0; t < steps; t++) secondOrder = matVec(iMinus(alpha, A), secondOrder);

      const p = scalars(theta);
      const fo = await read(metaGradient(p, quadraticTask, { steps, learningRate: alpha, order: 1 }).grads);
      const so = await read(metaGradient(p, quadraticTask, { steps, learningRate: alpha, order: 2 }).grads);
      for (const t of p.values()) t.dispose();
      expect(fo[0]).toBeCloseTo(firstOrder[0], 5);
      expect(fo[1]).toBeCloseTo(firstOrder[1], 5);
      expect(so[0]).toBeCloseTo(secondOrder[0], 5);
      expect(so[1]).toBeCloseTo(secondOrder[1], 5);
      // The orders must differ here, or the test could not tell them apart.
      expect(Math.abs(fo[0] - so[0]) + Math.abs(fo[1] - so[1])).toBeGreaterThan(0.01);
    });
  }

  it('second order uses the Hessian at theta (non-constant Hessian)', async () => {
    const [a, b] = theta;
    const adapted: Vec = [a - alpha * (a * a + b), b - alpha * a];
    const expected = matVec(iMinus(alpha, [[2 * a, 1], [1, 0]]), sub(adapted, q as Vec));
    const p = scalars(theta);
    const so = await read(metaGradient(p, cubicTask, { steps: 1, learningRate: alpha, order: 2 }).grads);
    for (const t of p.values()) t.dispose();
    expect(so[0]).toBeCloseTo(expected[0], 5);
    expect(so[1]).toBeCloseTo(expected[1], 5);
  });

  for (const order of [1, 2] as const) {
    it(`outer update with SGD is theta - beta * meta-gradient (order ${order}), leaving no tensors`, async () => {
      const beta = 0.5;
      const variables = new Map([
        ['a', tf.variable(tf.scalar(theta[0]))],
        ['b', tf.variable(tf.scalar(theta[1]))],
      ]);
      const optimizer = tf.train.sgd(beta);
      const adapted = sub(theta, scale(sub(matVec(A, theta), c as Vec), alpha));
      const grad = order === 1 ? sub(adapted, q as Vec) : matVec(iMinus(alpha, A), sub(adapted, q as Vec));
      const expected = sub(theta, scale(grad, beta));
      metaStep(variables, [quadraticTask], { steps: 1, learningRate: alpha, order }, optimizer); // warm-up allocations
      for (const [i, v] of [...variables.values()].entries()) v.assign(tf.scalar(theta[i]!));
      const before = tf.memory().numTensors;
      const result = metaStep(variables, [quadraticTask, quadraticTask], { steps: 1, learningRate: alpha, order }, optimizer);
      expect(tf.memory().numTensors).toBe(before);
      expect(result.queryLoss).toBeGreaterThan(0);
      expect(variables.get('a')!.dataSync()[0]).toBeCloseTo(expected[0], 5);
      expect(variables.get('b')!.dataSync()[0]).toBeCloseTo(expected[1], 5);
      optimizer.dispose();
      for (const v of variables.values()) v.dispose();
    });
  }
});
