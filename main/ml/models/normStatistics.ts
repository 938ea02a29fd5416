/**
 * Label-free adaptation of a network's batch-norm statistics to a target archive ("AdaBN", Li et al.
 * 2016): the running mean and variance of every batch-norm layer are replaced by the statistics of that
 * layer's input over a seeded sample of unlabelled target images. The weights stay as trained.
 *
 * How: the sample runs through a copy of the network in batches, in training mode with a statistics sink
 * (inference only: no gradient tape, no optimiser), so every layer hands over its batch mean and variance
 * and normalises with them for the layers after it (PyTorch's AdaBN recipe: reset the running stats,
 * cumulative average over train-mode forward passes). The batches' moments are pooled exactly (law of
 * total variance: mean of the within-batch variances plus the variance of the batch means), so the result
 * does not depend on how the sample is cut into batches beyond what each batch's normalisation does
 * downstream. The network passed in is never changed: a new one is returned (the caller disposes it).
 */
import * as tf from '@tensorflow/tfjs';
import { seededRandom, shuffleInPlace } from '../samplers/seededRandom';
import { createEmbeddingNet, type EmbeddingNet } from './embeddingNet';

/** Unlabelled images of the target archive: ids to sample from, and their network input. */
export interface UnlabelledImageSource<Id> {
  ids: readonly Id[];
  /** Preprocessed HWC floats of the ids, image after image ([n, size, size, channels] flattened). */
  load(ids: readonly Id[]): Promise<Float32Array>;
}

export interface NormStatisticsOptions {
  /** Images sampled from the source (default 512; all of them when the source has fewer). */
  images?: number;
  /** Images per forward pass (default 64); batches are cut evenly, so none is a small remainder. */
  batchSize?: number;
  /** Seed of the sample (default 1): same seed and ids, same images, same statistics. */
  seed?: number;
}

export const DEFAULT_NORM_STATISTICS_IMAGES = 512;

export interface LayerStatistics {
  mean: Float32Array;
  /** Unbiased variance, as the running estimate stores it. */
  variance: Float32Array;
}

export interface NormStatisticsResult<Id> {
  /** A new network: the input's weights with re-estimated batch-norm statistics. */
  net: EmbeddingNet;
  /** The images the statistics come from, in sample order. */
  sample: Id[];
  /** Re-estimated statistics by batch-norm layer name (e.g. 'stage1/bn'), forward order. */
  layers: Map<string, LayerStatistics>;
}

/** The batch-norm layers of a network, from its running-statistic parameters ('stage1/bn/movingMean' -> 'stage1/bn'). */
export function normLayersOf(net: EmbeddingNet): string[] {
  return net.parameters.filter((p) => p.kind === 'statistic' && p.name.endsWith('/movingMean')).map((p) => p.name.slice(0, -'/movingMean'.length));
}

/** A seeded sample of up to n ids, independent of the order the ids are listed in. */
export function sampleIds<Id>(ids: readonly Id[], n: number, seed: number): Id[] {
  const sorted = [...ids].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  return shuffleInPlace(sorted, seededRandom(seed ^ 0x5eed_ab1e)).slice(0, Math.max(0, Math.min(n, sorted.length)));
}

/** A copy of a network: same architecture, weights and statistics; disposing one leaves the other. */
export function cloneNet(net: EmbeddingNet): EmbeddingNet {
  const copy = createEmbeddingNet(net.config);
  const missing = copy.setWeights(net.variables);
  if (missing.length > 0) {
    copy.dispose();
    throw new Error(`cannot copy the network: ${missing.join(', ')} not found`);
  }
  return copy;
}

interface Accumulator {
  weight: number;
  means: Float64Array[];
  variances: Float64Array[];
  weights: number[];
}

/**
 * Re-estimates every batch-norm layer's running mean and variance on a seeded sample of `source`'s
 * images and returns a new network with them (the given one is unchanged).
 */
export async function reestimateNormStatistics<Id>(net: EmbeddingNet, source: UnlabelledImageSource<Id>, options: NormStatisticsOptions = {}): Promise<NormStatisticsResult<Id>> {
  const wanted = options.images ?? DEFAULT_NORM_STATISTICS_IMAGES;
  if (!Number.isInteger(wanted) || wanted < 2) throw new Error(`images must be a whole number >= 2, got ${wanted}`);
  const sample = sampleIds(source.ids, wanted, options.seed ?? 1);
  if (sample.length < 2) throw new Error(`at least 2 images are needed to estimate batch-norm statistics, the source has ${sample.length}`);
  const batchSize = Math.max(2, options.batchSize ?? 64);
  const batches = Math.ceil(sample.length / batchSize);
  const layers = normLayersOf(net);
  const { inputSize: side, channels } = net.config;

  const copy = cloneNet(net);
  try {
    const accumulators = new Map<string, Accumulator>();
    for (let b = 0; b < batches; b++) {
      // Even cut: batch b holds images [floor(b n / batches), floor((b + 1) n / batches)).
      const ids = sample.slice(Math.floor((b * sample.length) / batches), Math.floor(((b + 1) * sample.length) / batches));
      const pixels = await source.load(ids);
      const sink = (layer: string, mean: Float32Array, unbiasedVariance: Float32Array) => {
        let acc = accumulators.get(layer);
        if (!acc) accumulators.set(layer, (acc = { weight: 0, means: [], variances: [], weights: [] }));
        acc.means.push(Float64Array.from(mean));
        acc.variances.push(Float64Array.from(unbiasedVariance));
        acc.weights.push(ids.length);
        acc.weight += ids.length;
      };
      tf.tidy(() => {
        copy.embed(tf.tensor4d(pixels, [ids.length, side, side, channels]), { training: true, updateStatistics: false, statisticsSink: sink });
      });
    }

    const result = new Map<string, LayerStatistics>();
    const weights = new Map<string, tf.Tensor>();
    for (const layer of layers) {
      const acc = accumulators.get(layer);
      if (!acc) throw new Error(`batch-norm layer ${layer} reported no statistics`);
      const stats = pool(acc);
      result.set(layer, stats);
      weights.set(`${layer}/movingMean`, tf.tensor1d(stats.mean));
      weights.set(`${layer}/movingVariance`, tf.tensor1d(stats.variance));
    }
    try {
      copy.setWeights(weights);
    } finally {
      for (const t of weights.values()) t.dispose();
    }
    return { net: copy, sample, layers: result };
  } catch (error) {
    copy.dispose();
    throw error;
  }
}

/** Pools per-batch moments: mean of means, and mean within-batch variance plus variance of the batch means. */
function pool(acc: Accumulator): LayerStatistics {
  const channels = acc.means[0]!.length;
  const mean = new Float64Array(channels);
  acc.means.forEach((m, i) => {
    const w = acc.weights[i]! / acc.weight;
    for (let c = 0; c < channels; c++) mean[c]! += w * m[c]!;
  });
  const variance = new Float64Array(channels);
  acc.means.forEach((m, i) => {
    const w = acc.weights[i]! / acc.weight;
    const v = acc.variances[i]!;
    for (let c = 0; c < channels; c++) variance[c]! += w * (v[c]! + (m[c]! - mean[c]!) ** 2);
  });
  return { mean: Float32Array.from(mean), variance: Float32Array.from(variance) };
}
