import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { innerLoop, metaGradient, metaStep, stepSizeOf, type MamlTask, type Parameters } from '../../../main/ml/meta/maml';

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
      expect(Math.abs(fo[0] - so[0]) + Math.abs(fo[1] - so[1])).toBeGreaterThan(1e-3);
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

// Per-tensor step sizes on the quadratic case, in doubles: D = diag(alpha_a, alpha_b),
// theta_{t+1} = theta_t - D (A theta_t - c); the query loss after T steps as a function of the alphas.
describe('per-tensor step sizes and their hypergradient', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  const theta: Vec = [0.3, -0.7];
  const gradS = (t: Vec): Vec => sub(matVec(A, t), c as Vec);
  const stepWith = (t: Vec, alphas: Vec): Vec => {
    const g = gradS(t);
    return [t[0] - alphas[0] * g[0], t[1] - alphas[1] * g[1]];
  };
  const path = (alphas: Vec, steps: number): Vec[] => {
    const out = [theta];
    for (let t = 0; t < steps; t++) out.push(stepWith(out[t]!, alphas));
    return out;
  };
  const queryLossAfter = (alphas: Vec, steps: number) => {
    const d = sub(path(alphas, steps)[steps]!, q as Vec);
    return 0.5 * (d[0] * d[0] + d[1] * d[1]);
  };
  /** Central finite difference of the query loss w.r.t. log alpha_p. */
  const finiteDifference = (alphas: Vec, steps: number, p: 0 | 1): number => {
    const h = 1e-5;
    const shifted = (sign: number): Vec => (p === 0 ? [alphas[0] * Math.exp(sign * h), alphas[1]] : [alphas[0], alphas[1] * Math.exp(sign * h)]);
    return (queryLossAfter(shifted(1), steps) - queryLossAfter(shifted(-1), steps)) / (2 * h);
  };
  const alphas: Vec = [0.25, 0.1];
  const options = { learningRate: alphas[1], stepSizes: { a: alphas[0] } };
  const logGrads = (grads: Map<string, number> | undefined): Vec => [grads?.get('a') ?? NaN, grads?.get('b') ?? NaN];

  it('names not listed use the common learning rate', () => {
    expect(stepSizeOf(options, 'a')).toBe(0.25);
    expect(stepSizeOf(options, 'b')).toBe(0.1);
    expect(stepSizeOf({ learningRate: 0.1, stepSizes: {} }, 'toString')).toBe(0.1);
  });

  it('the inner loop steps each parameter with its own alpha and sums the support gradients', async () => {
    const p = scalars(theta);
    const { fast, gradientSums } = innerLoop(p, quadraticTask.support, { steps: 2, ...options, sumGradients: true });
    const [t0, t1, t2] = path(alphas, 2) as [Vec, Vec, Vec];
    expect(await read(fast)).toEqual([expect.closeTo(t2[0], 6), expect.closeTo(t2[1], 6)]);
    const sum: Vec = [gradS(t0)[0] + gradS(t1)[0], gradS(t0)[1] + gradS(t1)[1]];
    expect(await read(gradientSums!)).toEqual([expect.closeTo(sum[0], 5), expect.closeTo(sum[1], 5)]);
    for (const t of p.values()) t.dispose();
  });

  it('T = 1: the first-order hypergradient is the exact derivative (closed form and finite difference)', async () => {
    // theta_1 = theta_0 - D g_S(theta_0), so dL_Q/d alpha_p = -(theta_1 - q)_p g_S(theta_0)_p exactly.
    const [t0, t1] = path(alphas, 1) as [Vec, Vec];
    const closed: Vec = [0, 1].map((i) => -alphas[i]! * (t1[i]! - q[i]!) * gradS(t0)[i]!) as Vec;
    const p = scalars(theta);
    const result = metaGradient(p, quadraticTask, { steps: 1, ...options, order: 1, stepSizeGradients: true });
    await read(result.grads);
    for (const t of p.values()) t.dispose();
    const got = logGrads(result.logStepSizeGrads);
    for (const i of [0, 1] as const) {
      expect(got[i]).toBeCloseTo(closed[i], 5);
      expect(got[i]).toBeCloseTo(finiteDifference(alphas, 1, i), 5);
    }
    expect(Math.abs(closed[0]) + Math.abs(closed[1])).toBeGreaterThan(0.01);
  });

  it('T = 2: second order matches the finite difference; first order is the stated approximation', async () => {
    const [t0, t1, t2] = path(alphas, 2) as [Vec, Vec, Vec];
    const approx: Vec = [0, 1].map((i) => -alphas[i]! * (t2[i]! - q[i]!) * (gradS(t0)[i]! + gradS(t1)[i]!)) as Vec;
    const p = scalars(theta);
    const first = metaGradient(p, quadraticTask, { steps: 2, ...options, order: 1, stepSizeGradients: true });
    const second = metaGradient(p, quadraticTask, { steps: 2, ...options, order: 2, stepSizeGradients: true });
    await read(first.grads);
    // The weights' second-order gradient is unchanged by taking the step sizes' too: (I - D A)^T twice.
    const weights = await read(second.grads);
    let expected = sub(t2, q as Vec);
    for (let t = 0; t < 2; t++) expected = matVec([[1 - alphas[0] * A[0]![0]!, -alphas[1] * A[1]![0]!], [-alphas[0] * A[0]![1]!, 1 - alphas[1] * A[1]![1]!]], expected);
    for (const t of p.values()) t.dispose();
    const fo = logGrads(first.logStepSizeGrads);
    const so = logGrads(second.logStepSizeGrads);
    for (const i of [0, 1] as const) {
      expect(so[i]).toBeCloseTo(finiteDifference(alphas, 2, i), 5);
      expect(fo[i]).toBeCloseTo(approx[i], 5);
      expect(weights[i]).toBeCloseTo(expected[i], 5);
    }
    // The approximation must differ from the exact value here, or the test could not tell them apart.
    expect(Math.abs(fo[0] - so[0]) + Math.abs(fo[1] - so[1])).toBeGreaterThan(1e-3);
  });

  for (const order of [1, 2] as const) {
    it(`order ${order}: without an optimiser the weights stay bit for bit, the step-size gradient is the meta-batch mean, no tensors leak`, () => {
      const variables = new Map([
        ['a', tf.variable(tf.scalar(theta[0]))],
        ['b', tf.variable(tf.scalar(theta[1]))],
      ]);
      const stepOptions = { steps: 2, ...options, order, stepSizeGradients: true };
      const single = [quadraticTask, cubicTask].map((task) => {
        const result = metaGradient(variables, task, stepOptions);
        for (const g of result.grads.values()) g.dispose();
        return logGrads(result.logStepSizeGrads);
      });
      metaStep(variables, [quadraticTask], stepOptions, null); // warm-up allocations
      const before = [...variables.values()].map((v) => v.dataSync()[0]);
      const count = tf.memory().numTensors;
      const result = metaStep(variables, [quadraticTask, cubicTask], stepOptions, null);
      expect(tf.memory().numTensors).toBe(count);
      expect([...variables.values()].map((v) => v.dataSync()[0])).toEqual(before);
      const mean = logGrads(result.logStepSizeGrads);
      expect(mean[0]).toBeCloseTo((single[0]![0] + single[1]![0]) / 2, 6);
      expect(mean[1]).toBeCloseTo((single[0]![1] + single[1]![1]) / 2, 6);
      expect(Math.abs(single[0]![0] - single[1]![0])).toBeGreaterThan(1e-3);
      for (const v of variables.values()) v.dispose();
    });
  }
});
