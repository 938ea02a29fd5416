import * as tf from '@tensorflow/tfjs';
import type { MetricLoss } from '../losses/metricLoss';
import type { EmbeddingNet, ParameterGroup } from '../models/embeddingNet';

/**
 * What the parties of one data-parallel step share. One implementation runs over shared memory
 * between worker threads (sharedExchange.ts); a single party needs no sharing (localExchange).
 */
export interface ShardExchange {
  /**
   * Publishes this party's embedding rows [start, start + rows) and returns the whole batch's
   * embeddings (B x D, row-major) once every party has published.
   */
  gatherEmbeddings(start: number, rows: Float32Array, batchSize: number, dim: number): Float32Array;
  /**
   * Publishes this party's gradient (flat, in the variable order) and its shards' batch-norm
   * statistics, and returns the gradient summed over parties in party order plus every shard's
   * statistics in shard order.
   */
  reduce(gradient: Float32Array, firstShard: number, shardStatistics: Float32Array[]): { gradient: Float32Array; statistics: Float32Array[] };
}

/** The exchange of a party that computes every shard itself. */
export const localExchange: ShardExchange = {
  gatherEmbeddings: (_start, rows) => rows,
  reduce: (gradient, _first, statistics) => ({ gradient, statistics }),
};

export interface ShardedStepInput {
  /** This party's rows of the batch, [rows, H, W, C]. */
  images: tf.Tensor4D;
  /** Labels of the whole batch (every party scores the whole batch's loss). */
  labels: Int32Array;
  /** First row of this party's images in the batch. */
  start: number;
  /** Sizes of this party's shards, in order; each gets its own batch-norm statistics. */
  shardSizes: number[];
  /** Global index of this party's first shard. */
  firstShard: number;
}

/**
 * One data-parallel optimiser step of metric learning. Each party embeds its shards (batch norm with
 * each shard's own statistics), the parties swap embeddings, and each scores the loss of the WHOLE
 * batch with only its own rows differentiable: its gradient is then its exact share of the full
 * gradient (the metric loss couples every pair of the batch, so a per-shard loss would be a different
 * objective). Shares are summed, every party applies the same optimiser step to its own copy of the
 * weights (same numbers in, same weights out: no broadcast needed), and the running batch-norm
 * statistics move by the mean of the shards' statistics. Returns the loss; leaves no tensors behind.
 */
export function shardedMetricStep(
  net: EmbeddingNet,
  loss: MetricLoss,
  optimizer: tf.Optimizer,
  input: ShardedStepInput,
  exchange: ShardExchange,
  group: ParameterGroup = 'all',
): number {
  const variables = net.groupVariables(group);
  const batchSize = input.labels.length;
  const dim = net.embeddingDim;
  const shardStatistics: Float32Array[] = [];
  const layers: { name: string; channels: number }[] = [];

  const { value, grads } = tf.variableGrads(() => {
    const parts: tf.Tensor2D[] = [];
    let offset = 0;
    input.shardSizes.forEach((rows, shard) => {
      const collected: Float32Array[] = [];
      const x = input.shardSizes.length === 1 ? input.images : tf.slice(input.images, [offset, 0, 0, 0], [rows, -1, -1, -1]);
      parts.push(
        net.embed(x, {
          training: true,
          statisticsSink: (layer, mean, variance) => {
            if (shard === 0) layers.push({ name: layer, channels: mean.length });
            collected.push(mean, variance);
          },
        }),
      );
      shardStatistics.push(concatFloats(collected));
      offset += rows;
    });
    const own = parts.length === 1 ? (parts[0] as tf.Tensor2D) : tf.concat(parts, 0);
    const all = exchange.gatherEmbeddings(input.start, own.dataSync() as Float32Array, batchSize, dim);
    // Other parties' rows enter as constants; only ours carry a gradient back into our shards.
    const end = input.start + own.shape[0];
    const pieces: tf.Tensor2D[] = [];
    if (input.start > 0) pieces.push(tf.tensor2d(all.slice(0, input.start * dim), [input.start, dim]));
    pieces.push(own);
    if (end < batchSize) pieces.push(tf.tensor2d(all.slice(end * dim, batchSize * dim), [batchSize - end, dim]));
    const full = pieces.length === 1 ? own : tf.concat(pieces, 0);
    return loss.compute(full, input.labels);
  }, variables);

  const lossValue = value.dataSync()[0] as number;
  value.dispose();
  const names = variables.map((v) => v.name);
  const flat = flattenGradients(names, grads, variables);
  for (const name of names) grads[name]?.dispose();

  const reduced = exchange.reduce(flat, input.firstShard, shardStatistics);
  tf.tidy(() => {
    const summed: Record<string, tf.Tensor> = {};
    let at = 0;
    variables.forEach((variable) => {
      summed[variable.name] = tf.tensor(reduced.gradient.subarray(at, at + variable.size), variable.shape);
      at += variable.size;
    });
    optimizer.applyGradients(summed);
  });
  blendMeanStatistics(net, layers, reduced.statistics);
  return lossValue;
}

function flattenGradients(names: string[], grads: Record<string, tf.Tensor>, variables: tf.Variable[]): Float32Array {
  const total = variables.reduce((n, v) => n + v.size, 0);
  const flat = new Float32Array(total);
  let at = 0;
  names.forEach((name, i) => {
    const grad = grads[name];
    // A variable the loss does not reach gets a zero gradient (tfjs leaves it out).
    if (grad) flat.set(grad.dataSync() as Float32Array, at);
    at += (variables[i] as tf.Variable).size;
  });
  return flat;
}

function concatFloats(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Running statistics move once per step, by the mean over shards of each layer's batch statistics. */
function blendMeanStatistics(net: EmbeddingNet, layers: { name: string; channels: number }[], statistics: Float32Array[]): void {
  let at = 0;
  for (const layer of layers) {
    const mean = new Float32Array(layer.channels);
    const variance = new Float32Array(layer.channels);
    for (const shard of statistics) {
      for (let c = 0; c < layer.channels; c++) {
        mean[c] = (mean[c] as number) + (shard[at + c] as number) / statistics.length;
        variance[c] = (variance[c] as number) + (shard[at + layer.channels + c] as number) / statistics.length;
      }
    }
    tf.tidy(() => net.blendStatistics(layer.name, tf.tensor1d(mean), tf.tensor1d(variance)));
    at += 2 * layer.channels;
  }
}

/** Length of one shard's statistics vector (mean + variance of every batch-norm layer). */
export function statisticsLength(net: EmbeddingNet): number {
  return net.parameters.filter((p) => p.kind === 'statistic').reduce((n, p) => n + (net.variables.get(p.name) as tf.Variable).size, 0);
}
