import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddingNet, type EmbeddingNet } from '../../main/ml/models/embeddingNet';
import { cloneNet, normLayersOf, reestimateNormStatistics, sampleIds, type UnlabelledImageSource } from '../../main/ml/models/normStatistics';
import { seededRandom, useWasmWithProjectKernels } from './wasmBackend';

const SIDE = 16;
const CHANNELS = 3;
const IMAGE = SIDE * SIDE * CHANNELS;

/**
 * A synthetic "archive" of `count` images: stripes at a random phase plus noise, each channel scaled by
 * `contrast` and moved by `offset + c * tint` plus a per-image brightness in +-jitter. Two domains differ by all four.
 */
function archive(count: number, seed: number, domain: { offset: number; contrast: number; tint: number; jitter: number }): { pixels: Float32Array[]; source: UnlabelledImageSource<number> } {
  const random = seededRandom(seed);
  const pixels: Float32Array[] = [];
  for (let n = 0; n < count; n++) {
    const image = new Float32Array(IMAGE);
    const phase = Math.floor(random() * 4);
    const vertical = random() < 0.5;
    const brightness = (random() * 2 - 1) * domain.jitter;
    let i = 0;
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const stripe = (((vertical ? x : y) + phase) >> 1) % 2;
        for (let c = 0; c < CHANNELS; c++) image[i++] = domain.offset + brightness + c * domain.tint + domain.contrast * (stripe + (random() - 0.5) * 0.6);
      }
    }
    pixels.push(image);
  }
  const source: UnlabelledImageSource<number> = {
    ids: pixels.map((_, i) => i),
    async load(ids) {
      const out = new Float32Array(ids.length * IMAGE);
      ids.forEach((id, k) => out.set(pixels[id] as Float32Array, k * IMAGE));
      return out;
    },
  };
  return { pixels, source };
}

const HOME = { offset: 0, contrast: 1, tint: 0, jitter: 0.2 };
const FAR = { offset: 2.5, contrast: 3, tint: 0.8, jitter: 2 };

function statistics(net: EmbeddingNet, layer: string): { mean: Float32Array; variance: Float32Array } {
  return {
    mean: net.variables.get(`${layer}/movingMean`)!.dataSync() as Float32Array,
    variance: net.variables.get(`${layer}/movingVariance`)!.dataSync() as Float32Array,
  };
}

/** Largest relative difference of two layers' means and variances (relative to the reference's spread). */
function statisticsChange(a: EmbeddingNet, b: EmbeddingNet): number {
  let worst = 0;
  for (const layer of normLayersOf(a)) {
    const sa = statistics(a, layer);
    const sb = statistics(b, layer);
    for (let c = 0; c < sa.mean.length; c++) {
      const scale = Math.sqrt(sb.variance[c]!);
      worst = Math.max(worst, Math.abs(sa.mean[c]! - sb.mean[c]!) / scale, Math.abs(Math.sqrt(sa.variance[c]!) - scale) / scale);
    }
  }
  return worst;
}

function embedAll(net: EmbeddingNet, pixels: Float32Array[]): Float32Array {
  const flat = new Float32Array(pixels.length * IMAGE);
  pixels.forEach((p, i) => flat.set(p, i * IMAGE));
  return tf.tidy(() => net.embed(tf.tensor4d(flat, [pixels.length, SIDE, SIDE, CHANNELS])).dataSync() as Float32Array);
}

/** Smallest cosine between corresponding (unit) rows. */
function minCosine(a: Float32Array, b: Float32Array, dim: number): number {
  let worst = 1;
  for (let r = 0; r < a.length / dim; r++) {
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += a[r * dim + d]! * b[r * dim + d]!;
    worst = Math.min(worst, dot);
  }
  return worst;
}

describe('batch-norm statistics re-estimated on an unlabelled archive (AdaBN)', () => {
  const nets: EmbeddingNet[] = [];
  const keep = (net: EmbeddingNet) => (nets.push(net), net);
  beforeAll(async () => {
    await useWasmWithProjectKernels();
  });
  afterAll(() => nets.forEach((n) => n.dispose()));

  it('sets the first layer to the exact statistics of its input over the sample and leaves the given network unchanged', async () => {
    const net = keep(createEmbeddingNet({ arch: 'conv4', widths: [8, 8, 8, 8], inputSize: SIDE, channels: CHANNELS, seed: 3 }));
    const before = statistics(net, 'stage1/bn');
    const { pixels, source } = archive(200, 11, FAR);
    const result = await reestimateNormStatistics(net, source, { images: 96, batchSize: 16, seed: 5 });
    keep(result.net);
    expect(result.sample).toHaveLength(96);

    // Reference: conv1 over the 96 sampled images at once, its per-channel mean and unbiased variance.
    const flat = new Float32Array(96 * IMAGE);
    result.sample.forEach((id, k) => flat.set(pixels[id] as Float32Array, k * IMAGE));
    const [refMean, refVariance] = tf.tidy(() => {
      const y = tf.conv2d(tf.tensor4d(flat, [96, SIDE, SIDE, CHANNELS]), net.variables.get('stage1/conv/kernel') as unknown as tf.Tensor4D, 1, 'same');
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      const count = y.size / y.shape[3];
      return [mean.dataSync() as Float32Array, tf.mul(variance, count / (count - 1)).dataSync() as Float32Array];
    });
    const after = statistics(result.net, 'stage1/bn');
    for (let c = 0; c < 8; c++) {
      expect(Math.abs(after.mean[c]! - refMean[c]!)).toBeLessThan(1e-3 * Math.sqrt(refVariance[c]!) + 1e-5);
      expect(Math.abs(after.variance[c]! / refVariance[c]! - 1)).toBeLessThan(1e-3);
    }
    // The data's statistics are far from the initial 0 / 1, so the layer did move towards them.
    expect(Math.max(...after.variance.map((v) => Math.abs(v - 1)))).toBeGreaterThan(0.5);
    // The network passed in keeps its own statistics.
    expect(statistics(net, 'stage1/bn')).toEqual(before);
    // Every layer was re-estimated: deeper layers see normalised inputs, so their variance is not 1 either.
    for (const layer of normLayersOf(net)) expect(statistics(result.net, layer).mean).not.toEqual(statistics(net, layer).mean);
  });

  it('barely moves a network whose statistics came from the same kind of data, and moves it far on another domain', async () => {
    // "Training": running averages folded from 40 batches of the home domain, as stage 1 folds them.
    const net = keep(createEmbeddingNet({ arch: 'conv4', widths: [8, 8, 8, 8], inputSize: SIDE, channels: CHANNELS, seed: 4 }));
    const { source: training } = archive(40 * 32, 21, HOME);
    for (let b = 0; b < 40; b++) {
      const pixels = await training.load(training.ids.slice(b * 32, (b + 1) * 32));
      tf.tidy(() => {
        net.embed(tf.tensor4d(pixels, [32, SIDE, SIDE, CHANNELS]), { training: true });
      });
    }
    const { source: home } = archive(512, 22, HOME);
    const { source: far } = archive(512, 23, FAR);
    const onHome = keep((await reestimateNormStatistics(net, home, { images: 256 })).net);
    const onFar = keep((await reestimateNormStatistics(net, far, { images: 256 })).net);
    const homeChange = statisticsChange(onHome, net);
    const farChange = statisticsChange(onFar, net);
    expect(homeChange).toBeLessThan(0.15);
    expect(farChange).toBeGreaterThan(1);
    expect(farChange).toBeGreaterThan(10 * homeChange);

    const { pixels: heldOut } = archive(24, 24, HOME);
    expect(minCosine(embedAll(onHome, heldOut), embedAll(net, heldOut), net.embeddingDim)).toBeGreaterThan(0.98);
  });

  it('is deterministic for a seed, and the sample does not depend on the order of the ids', async () => {
    const net = keep(createEmbeddingNet({ arch: 'conv4', widths: [8, 8, 8, 8], inputSize: SIDE, channels: CHANNELS, seed: 6 }));
    const { source } = archive(300, 31, FAR);
    const a = await reestimateNormStatistics(net, source, { images: 64, seed: 9 });
    const b = await reestimateNormStatistics(net, { ...source, ids: [...source.ids].reverse() }, { images: 64, seed: 9 });
    const c = await reestimateNormStatistics(net, source, { images: 64, seed: 10 });
    [a, b, c].forEach((r) => keep(r.net));
    expect(b.sample).toEqual(a.sample);
    expect(c.sample).not.toEqual(a.sample);
    for (const layer of normLayersOf(net)) {
      expect(statistics(b.net, layer)).toEqual(statistics(a.net, layer));
      expect(statistics(c.net, layer).mean).not.toEqual(statistics(a.net, layer).mean);
    }
    expect(sampleIds([3, 1, 2], 2, 1)).toEqual(sampleIds([1, 2, 3], 2, 1));
  });

  it('uses every image when the archive is smaller than asked, refuses fewer than two, and leaks no tensors', async () => {
    const net = keep(createEmbeddingNet({ arch: 'resnet12', widths: [8, 8, 8, 8], inputSize: SIDE, channels: CHANNELS, seed: 7 }));
    const { source } = archive(40, 41, FAR);
    const tensorsBefore = tf.memory().numTensors;
    const result = await reestimateNormStatistics(net, source, { images: 512, batchSize: 16 });
    expect(result.sample).toHaveLength(40);
    expect(result.layers.size).toBe(normLayersOf(net).length);
    result.net.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    await expect(reestimateNormStatistics(net, { ...source, ids: [0] })).rejects.toThrow(/at least 2 images/);
    const copy = keep(cloneNet(net));
    expect(statisticsChange(copy, net)).toBe(0);
  });
});
