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
 *
 * Per-tensor step sizes (Meta-SGD, Li et al. 2017, one alpha per parameter tensor): alpha_p may differ
 * by parameter name, and the meta-gradient can include d L_Q / d log alpha_p. First order uses the
 * hypergradient approximation (Baydin et al. 2018): dL_Q/d alpha_p ~ -sum_t <g_Q(theta_T)_p, g_S(theta_t)_p>,
 * exact for T = 1; second order differentiates through the inner loop exactly (log alpha are inputs).
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
  /** alpha: inner learning rate (of every parameter `stepSizes` does not list). */
  learningRate: number;
  /** Per-tensor alpha by parameter name (learnt step sizes); names not listed use `learningRate`. */
  stepSizes?: Readonly<Record<string, number>>;
}

export interface MamlOptions extends InnerLoopOptions {
  order: MamlOrder;
  /** Also compute d L_Q / d log alpha_p for every parameter (MetaGradient.logStepSizeGrads). */
  stepSizeGradients?: boolean;
}

/** alpha_p: the parameter's own step size if listed, else the common learning rate. */
export function stepSizeOf(options: Pick<InnerLoopOptions, 'learningRate' | 'stepSizes'>, name: string): number {
  return options.stepSizes && Object.hasOwn(options.stepSizes, name) ? (options.stepSizes[name] as number) : options.learningRate;
}

/**
 * One `adapt` step: theta - alpha_p * grad L(theta) per parameter. Inside a tape the step stays
 * differentiable (in alpha too when it is a tensor).
 */
function adaptStep(names: readonly string[], current: Parameters, loss: LossOfParameters, alphas: readonly (number | tf.Tensor)[]): { next: Map<string, tf.Tensor>; loss: tf.Scalar; grads: tf.Tensor[] } {
  const xs = names.map((name) => current.get(name) as tf.Tensor);
  const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) => loss(new Map(names.map((name, i) => [name, args[i] as tf.Tensor]))))(xs);
  const next = new Map(names.map((name, i) => [name, tf.sub(xs[i] as tf.Tensor, tf.mul(grads[i] as tf.Tensor, alphas[i] as number | tf.Tensor))]));
  return { next, loss: value, grads };
}

export interface InnerLoopResult {
  fast: Map<string, tf.Tensor>;
  /** Support loss before each step. */
  losses: number[];
  /** With `sumGradients`: sum over the steps of each parameter's support gradient (caller disposes). */
  gradientSums?: Map<string, tf.Tensor>;
}

/**
 * Eq. 1 without a graph: T steps of plain gradient descent from `theta`; returns new tensors (the
 * caller disposes them) and the support loss before each step. Used by first-order MAML and by
 * few-shot adaptation. `sumGradients` keeps the running sum of the support gradients, which is all
 * the first-order step-size hypergradient needs of them (the query gradient is the same for every t).
 */
export function innerLoop(theta: Parameters, support: LossOfParameters, options: InnerLoopOptions & { sumGradients?: boolean }): InnerLoopResult {
  const names = [...theta.keys()];
  const alphas = names.map((name) => stepSizeOf(options, name));
  let fast = new Map(names.map((name) => [name, tf.clone(theta.get(name) as tf.Tensor)]));
  let sums = options.sumGradients ? names.map((name) => tf.zerosLike(theta.get(name) as tf.Tensor)) : undefined;
  const losses: number[] = [];
  for (let t = 0; t < options.steps; t++) {
    // tidy keeps tensors in arrays and plain objects, not in Maps: hand the step back as an array.
    const [loss, ...rest] = tf.tidy(() => {
      const step = adaptStep(names, fast, support, alphas);
      const summed = sums ? sums.map((sum, i) => tf.add(sum, step.grads[i] as tf.Tensor)) : [];
      return [step.loss, ...names.map((name) => step.next.get(name) as tf.Tensor), ...summed];
    }) as [tf.Scalar, ...tf.Tensor[]];
    losses.push(loss.dataSync()[0] as number);
    loss.dispose();
    for (const tensor of fast.values()) tensor.dispose();
    fast = new Map(names.map((name, i) => [name, rest[i] as tf.Tensor]));
    if (sums) {
      for (const sum of sums) sum.dispose();
      sums = rest.slice(names.length);
    }
  }
  return { fast, losses, ...(sums ? { gradientSums: new Map(names.map((name, i) => [name, sums![i] as tf.Tensor])) } : {}) };
}

/**
 * First-order hypergradient of the query loss w.r.t. each parameter's log step size:
 *   dL_Q/d alpha_p ~ -sum_t <g_Q(theta_T)_p, g_S(theta_t)_p> = -<g_Q(theta_T)_p, sum_t g_S(theta_t)_p>
 * (the later support gradients' dependence on alpha treated as constant; exact for T = 1), and
 * d/d log alpha_p = alpha_p dL_Q/d alpha_p. Plain numbers: one per parameter tensor.
 */
export function logStepSizeHypergradient(queryGrads: Parameters, gradientSums: Parameters, options: Pick<InnerLoopOptions, 'learningRate' | 'stepSizes'>): Map<string, number> {
  const names = [...queryGrads.keys()];
  if (names.length === 0) return new Map();
  const dots = tf.tidy(() => tf.stack(names.map((name) => tf.sum(tf.mul(queryGrads.get(name) as tf.Tensor, gradientSums.get(name) as tf.Tensor))))) as tf.Tensor1D;
  const values = dots.dataSync();
  dots.dispose();
  return new Map(names.map((name, i) => [name, -stepSizeOf(options, name) * (values[i] as number)]));
}

export interface MetaGradient {
  /** grad_theta L_Q(theta') by parameter name (caller disposes). */
  grads: Map<string, tf.Tensor>;
  queryLoss: number;
  /** Support loss before each inner step. */
  supportLosses: number[];
  /** With options.stepSizeGradients: d L_Q / d log alpha_p by parameter name (first order: the hypergradient approximation). */
  logStepSizeGrads?: Map<string, number>;
}

/** The meta-gradient of one task (eq. 2's gradient) in first or second order. */
export function metaGradient(theta: Parameters, task: MamlTask, options: MamlOptions): MetaGradient {
  const names = [...theta.keys()];
  if (options.order === 1) {
    const { fast, losses, gradientSums } = innerLoop(theta, task.support, { ...options, sumGradients: options.stepSizeGradients === true });
    try {
      const { value, grads } = tf.tidy(() => tf.valueAndGrads((...args: tf.Tensor[]) => task.query(new Map(names.map((name, i) => [name, args[i] as tf.Tensor]))))(names.map((name) => fast.get(name) as tf.Tensor)));
      const queryLoss = value.dataSync()[0] as number;
      value.dispose();
      const named = new Map(names.map((name, i) => [name, grads[i] as tf.Tensor]));
      return { grads: named, queryLoss, supportLosses: losses, ...(gradientSums ? { logStepSizeGrads: logStepSizeHypergradient(named, gradientSums, options) } : {}) };
    } finally {
      for (const tensor of fast.values()) tensor.dispose();
      for (const tensor of gradientSums?.values() ?? []) tensor.dispose();
    }
  }
  registerSecondOrderGradients();
  // Second order: the whole inner loop is inside the outer gradient, so its tape holds the inner
  // backward ops and the outer gradient flows through them (the Hessian-vector products of MAML).
  // With step-size gradients the log step sizes are inputs too, so their derivative is exact.
  const withStepSizes = options.stepSizeGradients === true;
  const logAlphas = withStepSizes ? names.map((name) => tf.scalar(Math.log(stepSizeOf(options, name)))) : [];
  const supportLosses: tf.Scalar[] = [];
  const outer = tf.tidy(() =>
    tf.valueAndGrads((...args: tf.Tensor[]) => {
      let current: Map<string, tf.Tensor> = new Map(names.map((name, i) => [name, args[i] as tf.Tensor]));
      const alphas = withStepSizes ? names.map((_, i) => tf.exp(args[names.length + i] as tf.Tensor)) : names.map((name) => stepSizeOf(options, name));
      for (let t = 0; t < options.steps; t++) {
        const { next, loss } = adaptStep(names, current, task.support, alphas);
        supportLosses.push(tf.keep(loss.clone()));
        current = next;
      }
      return task.query(current);
    })([...names.map((name) => theta.get(name) as tf.Tensor), ...logAlphas]),
  );
  for (const tensor of logAlphas) tensor.dispose();
  const queryLoss = outer.value.dataSync()[0] as number;
  outer.value.dispose();
  const losses = supportLosses.map((loss) => loss.dataSync()[0] as number);
  for (const loss of supportLosses) loss.dispose();
  let logStepSizeGrads: Map<string, number> | undefined;
  if (withStepSizes) {
    const alphaGrads = outer.grads.slice(names.length);
    logStepSizeGrads = new Map(names.map((name, i) => [name, (alphaGrads[i] as tf.Tensor).dataSync()[0] as number]));
    for (const tensor of alphaGrads) tensor.dispose();
  }
  return { grads: new Map(names.map((name, i) => [name, outer.grads[i] as tf.Tensor])), queryLoss, supportLosses: losses, ...(logStepSizeGrads ? { logStepSizeGrads } : {}) };
}

export interface MetaStepResult {
  /** Mean query loss after adaptation over the meta-batch. */
  queryLoss: number;
  /** Mean support loss before the first inner step. */
  supportLoss: number;
  /** With options.stepSizeGradients: mean d L_Q / d log alpha_p over the meta-batch, by parameter name. */
  logStepSizeGrads?: Map<string, number>;
}

/**
 * One outer update (eq. 2) over a meta-batch: the mean of the tasks' meta-gradients is applied to
 * the variables by the optimiser (SGD gives exactly theta - beta * grad; the trainer uses Adam).
 * Without an optimiser the weights stay as they are (frozen: only the step sizes are learnt, from
 * the returned mean step-size gradients).
 */
export function metaStep(variables: ReadonlyMap<string, tf.Variable>, tasks: readonly MamlTask[], options: MamlOptions, optimizer: tf.Optimizer | null): MetaStepResult {
  if (tasks.length === 0) throw new Error('a meta-step needs at least one task');
  const names = [...variables.keys()];
  const sums = new Map<string, tf.Tensor>();
  const stepSizeSums = options.stepSizeGradients ? new Map(names.map((name) => [name, 0])) : undefined;
  let queryLoss = 0;
  let supportLoss = 0;
  try {
    for (const task of tasks) {
      const result = metaGradient(variables, task, options);
      queryLoss += result.queryLoss;
      supportLoss += result.supportLosses[0] ?? result.queryLoss;
      for (const [name, value] of result.logStepSizeGrads ?? []) stepSizeSums?.set(name, (stepSizeSums.get(name) ?? 0) + value);
      for (const name of names) {
        const grad = result.grads.get(name) as tf.Tensor;
        const previous = sums.get(name);
        if (!optimizer) grad.dispose();
        else if (previous) {
          sums.set(name, tf.add(previous, grad));
          previous.dispose();
          grad.dispose();
        } else sums.set(name, grad);
      }
    }
    if (optimizer) {
      const named: tf.NamedTensorMap = {};
      for (const name of names) named[(variables.get(name) as tf.Variable).name] = tf.div(sums.get(name) as tf.Tensor, tasks.length);
      optimizer.applyGradients(named);
      for (const tensor of Object.values(named)) tensor.dispose();
    }
  } finally {
    for (const tensor of sums.values()) tensor.dispose();
  }
  return {
    queryLoss: queryLoss / tasks.length,
    supportLoss: supportLoss / tasks.length,
    ...(stepSizeSums ? { logStepSizeGrads: new Map([...stepSizeSums].map(([name, sum]) => [name, sum / tasks.length])) } : {}),
  };
}
