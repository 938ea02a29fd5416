/**
 * MAML (Finn et al. 2017) over named parameters, learn2learn style: the "clone" is a map of fast
 * weights (tensors substituted for the variables through EmbeddingNet's `overrides`), `adapt` is one
 * gradient step on it. Nothing here knows about networks: a task is a pair of loss functions of the
 * parameters, so the same code runs the hand-checked 2-parameter case of the tests and the network.
 *
 *   inner loop (eq. 1):  theta' = theta - alpha * grad L_S(theta)              (T times)
 *   outer step (eq. 2):  theta  <- theta - beta * grad_theta L_Q(theta')        (via the optimiser)
 *
 * First order treats the inner gradients as constants, so d theta'/d theta = I and the meta-gradient
 * is grad L_Q at theta'; the inner loop then runs outside any tape. Second order differentiates
 * through the inner updates: the inner gradients are taken with tf.grads inside the outer tf.grads,
 * whose tape records the backward ops (tfjs supports higher-order gradients when every gradient op
 * has a gradient of its own; tfjs lacks two that the networks need, added in secondOrderGradients.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { registerSecondOrderGradients } from './secondOrderGradients';

export type MamlOrder = 1 | 2;
export type Parameters = ReadonlyMap<string, tf.Tensor>;
/** A loss as a function of (some of) the parameters; must return a scalar built from them. */
export type LossOfParameters = (parameters: Parameters) => tf.Scalar;

export interface MamlTask {
  support: LossOfParameters;
  query: LossOfParameters;
}

export interface InnerLoopOptions {
  /** T: inner gradient steps. */
  steps: number;
  /** alpha: inner learning rate. */
  learningRate: number;
}

export interface MamlOptions extends InnerLoopOptions {
  order: MamlOrder;
}

/** One `adapt` step: theta - alpha * grad L(theta). Inside a tape the step stays differentiable. */
function adaptStep(names: readonly string[], current: Parameters, loss: LossOfParameters, learningRate: number): { next: Map<string, tf.Tensor>; loss: tf.Scalar } {
  const xs = names.map((name) => current.get(name) as tf.Tensor);
  const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) => loss(new Map(names.map((name, i) => [name, args[i] as tf.Tensor]))))(xs);
  const next = new Map(names.map((name, i) => [name, tf.sub(xs[i] as tf.Tensor, tf.mul(grads[i] as tf.Tensor, learningRate))]));
  return { next, loss: value };
}

/**
 * Eq. 1 without a graph: T steps of plain gradient descent from `theta`; returns new tensors (the
 * caller disposes them) and the support loss before each step. Used by first-order MAML and by
 * few-shot adaptation.
 */
export function innerLoop(theta: Parameters, support: LossOfParameters, options: InnerLoopOptions): { fast: Map<string, tf.Tensor>; losses: number[] } {
  const names = [...theta.keys()];
  let fast = new Map(names.map((name) => [name, tf.clone(theta.get(name) as tf.Tensor)]));
  const losses: number[] = [];
  for (let t = 0; t < options.steps; t++) {
    // tidy keeps tensors in arrays and plain objects, not in Maps: hand the step back as an array.
    const [loss, ...next] = tf.tidy(() => {
      const step = adaptStep(names, fast, support, options.learningRate);
      return [step.loss, ...names.map((name) => step.next.get(name) as tf.Tensor)];
    }) as [tf.Scalar, ...tf.Tensor[]];
    losses.push(loss.dataSync()[0] as number);
    loss.dispose();
    for (const tensor of fast.values()) tensor.dispose();
    fast = new Map(names.map((name, i) => [name, next[i] as tf.Tensor]));
  }
  return { fast, losses };
}

export interface MetaGradient {
  /** grad_theta L_Q(theta') by parameter name (caller disposes). */
  grads: Map<string, tf.Tensor>;
  queryLoss: number;
  /** Support loss before each inner step. */
  supportLosses: number[];
}

/** The meta-gradient of one task (eq. 2's gradient) in first or second order. */
export function metaGradient(theta: Parameters, task: MamlTask, options: MamlOptions): MetaGradient {
  const names = [...theta.keys()];
  if (options.order === 1) {
    const { fast, losses } = innerLoop(theta, task.support, options);
    try {
      const { value, grads } = tf.tidy(() => tf.valueAndGrads((...args: tf.Tensor[]) => task.query(new Map(names.map((name, i) => [name, args[i] as tf.Tensor]))))(names.map((name) => fast.get(name) as tf.Tensor)));
      const queryLoss = value.dataSync()[0] as number;
      value.dispose();
      return { grads: new Map(names.map((name, i) => [name, grads[i] as tf.Tensor])), queryLoss, supportLosses: losses };
    } finally {
      for (const tensor of fast.values()) tensor.dispose();
    }
  }
  registerSecondOrderGradients();
  // Second order: the whole inner loop is inside the outer gradient, so its tape holds the inner
  // backward ops and the outer gradient flows through them (the Hessian-vector products of MAML).
  const supportLosses: tf.Scalar[] = [];
  const outer = tf.tidy(() =>
    tf.valueAndGrads((...args: tf.Tensor[]) => {
      let current: Map<string, tf.Tensor> = new Map(names.map((name, i) => [name, args[i] as tf.Tensor]));
      for (let t = 0; t < options.steps; t++) {
        const { next, loss } = adaptStep(names, current, task.support, options.learningRate);
        supportLosses.push(tf.keep(loss.clone()));
        current = next;
      }
      return task.query(current);
    })(names.map((name) => theta.get(name) as tf.Tensor)),
  );
  const queryLoss = outer.value.dataSync()[0] as number;
  outer.value.dispose();
  const losses = supportLosses.map((loss) => loss.dataSync()[0] as number);
  for (const loss of supportLosses) loss.dispose();
  return { grads: new Map(names.map((name, i) => [name, outer.grads[i] as tf.Tensor])), queryLoss, supportLosses: losses };
}

export interface MetaStepResult {
  /** Mean query loss after adaptation over the meta-batch. */
  queryLoss: number;
  /** Mean support loss before the first inner step. */
  supportLoss: number;
}

/**
 * One outer update (eq. 2) over a meta-batch: the mean of the tasks' meta-gradients is applied to
 * the variables by the optimiser (SGD gives exactly theta - beta * grad; the trainer uses Adam).
 */
export function metaStep(variables: ReadonlyMap<string, tf.Variable>, tasks: readonly MamlTask[], options: MamlOptions, optimizer: tf.Optimizer): MetaStepResult {
  if (tasks.length === 0) throw new Error('a meta-step needs at least one task');
  const names = [...variables.keys()];
  const sums = new Map<string, tf.Tensor>();
  let queryLoss = 0;
  let supportLoss = 0;
  try {
    for (const task of tasks) {
      const result = metaGradient(variables, task, options);
      queryLoss += result.queryLoss;
      supportLoss += result.supportLosses[0] ?? result.queryLoss;
      for (const name of names) {
        const grad = result.grads.get(name) as tf.Tensor;
        const previous = sums.get(name);
        if (previous) {
          sums.set(name, tf.add(previous, grad));
          previous.dispose();
          grad.dispose();
        } else sums.set(name, grad);
      }
    }
    const named: tf.NamedTensorMap = {};
    for (const name of names) named[(variables.get(name) as tf.Variable).name] = tf.div(sums.get(name) as tf.Tensor, tasks.length);
    optimizer.applyGradients(named);
    for (const tensor of Object.values(named)) tensor.dispose();
  } finally {
    for (const tensor of sums.values()) tensor.dispose();
  }
  return { queryLoss: queryLoss / tasks.length, supportLoss: supportLoss / tasks.length };
}
