import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, hasFusedBatchNormTraining } from '../kernels/batchNormTraining';
import { heNormal, type ParameterStore } from './parameterStore';

/** How a forward pass reads its parameters: the store's variables, or substitutes (MAML's theta'). */
export type ParameterReader = (name: string) => tf.Tensor;

export interface ForwardContext {
  read: ParameterReader;
  /** Batch statistics (true) or running statistics (false). */
  training: boolean;
  /** Fold the batch statistics into the running averages (only when training). */
  updateStatistics: boolean;
  /** Receives each batch-norm layer's batch statistics instead (data-parallel shards, see ml/parallel). */
  statisticsSink?: BatchStatisticsSink;
  store: ParameterStore;
}

/** A batch-norm layer's batch mean and unbiased variance, in forward order; values only (no gradient). */
export type BatchStatisticsSink = (layer: string, mean: Float32Array, unbiasedVariance: Float32Array) => void;

const BN_EPSILON = 1e-5;
const BN_MOMENTUM = 0.9;

/** Distinct seeds for each initialised tensor of one network: same base seed, same weights. */
export function seedSequence(base: number): () => number {
  let counter = 0;
  return () => base * 1009 + ++counter;
}

export function addConv(store: ParameterStore, name: string, stage: number, size: number, inC: number, outC: number, seed: number): void {
  store.add({ name: `${name}/kernel`, stage, kind: 'conv', trainable: true }, heNormal([size, size, inC, outC], size * size * inC, seed));
}

/** Batch norm plus a channel rectifier (CRML: learnt per-channel scale/shift on a frozen conv). */
export function addNormalisation(store: ParameterStore, name: string, stage: number, channels: number): void {
  store.add({ name: `${name}/gamma`, stage, kind: 'batchnorm', trainable: true }, tf.ones([channels]));
  store.add({ name: `${name}/beta`, stage, kind: 'batchnorm', trainable: true }, tf.zeros([channels]));
  store.add({ name: `${name}/movingMean`, stage, kind: 'statistic', trainable: false }, tf.zeros([channels]));
  store.add({ name: `${name}/movingVariance`, stage, kind: 'statistic', trainable: false }, tf.ones([channels]));
  store.add({ name: `${name}/rectifierScale`, stage, kind: 'rectifier', trainable: true }, tf.ones([channels]));
  store.add({ name: `${name}/rectifierShift`, stage, kind: 'rectifier', trainable: true }, tf.zeros([channels]));
}

/** A depthwise 3x3-style filter [size, size, channels, 1]: one spatial filter per channel (fan-in size^2). */
export function addDepthwiseConv(store: ParameterStore, name: string, stage: number, size: number, channels: number, seed: number): void {
  store.add({ name: `${name}/kernel`, stage, kind: 'conv', trainable: true }, heNormal([size, size, channels, 1], size * size, seed));
}

/** An ordinary convolution ('conv') or one filter per channel ('depthwise'); stride 1, 'same' padding. */
export type ConvKind = 'conv' | 'depthwise';

export function conv(ctx: ForwardContext, name: string, x: tf.Tensor4D, kind: ConvKind = 'conv'): tf.Tensor4D {
  const filter = ctx.read(`${name}/kernel`) as tf.Tensor4D;
  return kind === 'depthwise' ? tf.depthwiseConv2d(x, filter, 1, 'same') : tf.conv2d(x, filter, 1, 'same');
}

/**
 * Batch norm with batch statistics (training) followed by the rectifier, which is folded into the
 * per-channel scale and offset (y = bn(x) * r + s), so it costs vector ops only, not another pass over
 * the feature map. Inference never comes here: convNormalise folds running statistics into the conv.
 */
function normaliseWithBatchStatistics(ctx: ForwardContext, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const { scale, offset } = foldedScaleOffset(ctx, name);
  if (hasFusedBatchNormTraining()) {
    const { y, mean, variance } = batchNormTraining(x, scale, offset, BN_EPSILON);
    recordStatistics(ctx, name, mean, variance, x.size / x.shape[3]);
    return y;
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  recordStatistics(ctx, name, mean, variance, x.size / x.shape[3]);
  return tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, offset, scale, BN_EPSILON);
}

/** Batch norm's gamma/beta and the rectifier's scale/shift as one per-channel scale and offset. */
function foldedScaleOffset(ctx: ForwardContext, name: string): { scale: tf.Tensor1D; offset: tf.Tensor1D } {
  const gamma = ctx.read(`${name}/gamma`) as tf.Tensor1D;
  const beta = ctx.read(`${name}/beta`) as tf.Tensor1D;
  const rScale = ctx.read(`${name}/rectifierScale`) as tf.Tensor1D;
  const rShift = ctx.read(`${name}/rectifierShift`) as tf.Tensor1D;
  return { scale: tf.mul(gamma, rScale) as tf.Tensor1D, offset: tf.add(tf.mul(beta, rScale), rShift) as tf.Tensor1D };
}

export type Activation = 'linear' | 'relu' | 'leakyrelu';

/**
 * conv -> batch norm (+ rectifier) -> activation, the unit both backbones are built of. In inference the
 * batch norm is an affine map per output channel, so it is folded into the convolution (filter scaled,
 * offset as bias) and the whole unit runs as one fused kernel (XNNPACK conv + bias + activation on wasm)
 * instead of three passes over the feature map. Training keeps batch statistics, so stays composed.
 */
export function convNormalise(ctx: ForwardContext, convName: string, bnName: string, x: tf.Tensor4D, activation: Activation, leak = 0, kind: ConvKind = 'conv'): tf.Tensor4D {
  if (!ctx.training) {
    return tf.tidy(() => {
      const { scale, offset } = foldedScaleOffset(ctx, bnName);
      const perChannel = tf.mul(scale, tf.rsqrt(tf.add(ctx.read(`${bnName}/movingVariance`), BN_EPSILON))) as tf.Tensor1D;
      const kernel = ctx.read(`${convName}/kernel`);
      const bias = tf.sub(offset, tf.mul(ctx.read(`${bnName}/movingMean`), perChannel)) as tf.Tensor1D;
      // Under a gradient tape tfjs un-fuses what it cannot differentiate fused (leaky ReLU): adaptation
      // takes gradients in inference mode.
      if (kind === 'depthwise') {
        // Filter [h, w, C, 1]: the output channel is axis 2.
        const filter = tf.mul(kernel, tf.reshape(perChannel, [-1, 1])) as tf.Tensor4D;
        return tf.fused.depthwiseConv2d({ x, filter, strides: 1, pad: 'same', bias, activation, leakyreluAlpha: leak });
      }
      const filter = tf.mul(kernel, perChannel) as tf.Tensor4D;
      return tf.fused.conv2d({ x, filter, strides: 1, pad: 'same', bias, activation, leakyreluAlpha: leak });
    });
  }
  const y = normaliseWithBatchStatistics(ctx, bnName, conv(ctx, convName, x, kind));
  if (activation === 'relu') return tf.relu(y);
  return activation === 'leakyrelu' ? tf.leakyRelu(y, leak) : y;
}

function recordStatistics(ctx: ForwardContext, name: string, mean: tf.Tensor, variance: tf.Tensor, count: number): void {
  if (ctx.statisticsSink) {
    const unbiased = tf.tidy(() => tf.mul(variance, count / Math.max(count - 1, 1)));
    ctx.statisticsSink(name, mean.dataSync() as Float32Array, unbiased.dataSync() as Float32Array);
    unbiased.dispose();
  } else if (ctx.updateStatistics) {
    updateRunningStatistics(ctx.store, name, mean, variance, count);
  }
}

function updateRunningStatistics(store: ParameterStore, name: string, mean: tf.Tensor, variance: tf.Tensor, count: number): void {
  // Unbiased variance for the running estimate, as PyTorch does.
  const unbiased = tf.tidy(() => tf.mul(variance, count / Math.max(count - 1, 1)));
  blendRunningStatistics(store, name, mean, unbiased);
  unbiased.dispose();
}

/** running = momentum * running + (1 - momentum) * batch, for a layer's mean and (unbiased) variance. */
export function blendRunningStatistics(store: ParameterStore, name: string, mean: tf.Tensor, unbiasedVariance: tf.Tensor): void {
  const movingMean = store.get(`${name}/movingMean`);
  const movingVariance = store.get(`${name}/movingVariance`);
  tf.tidy(() => {
    movingMean.assign(tf.add(tf.mul(movingMean, BN_MOMENTUM), tf.mul(mean, 1 - BN_MOMENTUM)));
    movingVariance.assign(tf.add(tf.mul(movingVariance, BN_MOMENTUM), tf.mul(unbiasedVariance, 1 - BN_MOMENTUM)));
  });
}

export function maxPool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, 'valid');
}
