import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multiSimilarityLoss } from '../../../main/ml/losses/multiSimilarityLoss';
import { createEmbeddingNet, type EmbeddingNet, type EmbeddingNetConfig } from '../../../main/ml/models/embeddingNet';
import { createParallelTrainer } from '../../../main/ml/parallel/parallelTrainer';
import { localExchange, shardedMetricStep } from '../../../main/ml/parallel/shardedMetricStep';
import { planShards, workerRows } from '../../../main/ml/parallel/shardPlan';
import { randomValues, relativeError, seededRandom, useWasmWithProjectKernels } from '../wasmBackend';

// A small Conv-4 so a worker pool starts and steps in seconds; the data is seeded noise with labels.
const CONFIG = { arch: 'conv4' as const, inputSize: 16, channels: 3 as const, widths: [8, 8, 8, 8], seed: 3 };
const BATCH = 12; // 4 classes x 3
const IMAGE = 16 * 16 * 3;
const STEPS = 3;

function batches(): { images: Float32Array; labels: Int32Array }[] {
  const random = seededRandom(11);
  return Array.from({ length: STEPS }, () => ({
    images: randomValues(random, BATCH * IMAGE),
    labels: Int32Array.from({ length: BATCH }, (_, i) => Math.floor(i / 3)),
  }));
}

function weightsOf(net: EmbeddingNet): Map<string, Float32Array> {
  return new Map([...net.variables].map(([name, v]) => [name, Float32Array.from(v.dataSync())]));
}

async function trainInWorkers(workers: number, shards: number, config: EmbeddingNetConfig = CONFIG): Promise<Map<string, Float32Array>> {
  const net = createEmbeddingNet(config);
  const optimizer = tf.train.adam(0.01);
  const trainer = await createParallelTrainer({ net, optimizer, learningRate: 0.01, batchSize: BATCH, workers, shards });
  try {
    for (const batch of batches()) expect(Number.isFinite(await trainer.step(batch.images, batch.labels))).toBe(true);
    await trainer.pull();
    return weightsOf(net);
  } finally {
    await trainer.close();
    optimizer.dispose();
    net.dispose();
  }
}

describe('data-parallel metric training', () => {
  beforeAll(useWasmWithProjectKernels);
  let one: Map<string, Float32Array>;
  let two: Map<string, Float32Array>;
  let start: Map<string, Float32Array>;

  beforeAll(async () => {
    const net = createEmbeddingNet(CONFIG);
    start = weightsOf(net);
    net.dispose();
    one = await trainInWorkers(1, 2);
    two = await trainInWorkers(2, 2);
  }, 120_000);
  afterAll(() => undefined);

  it('gives the same weights with two workers as with one (same seed, same data, same shards)', () => {
    expect([...two.keys()].sort()).toEqual([...one.keys()].sort());
    for (const [name, values] of one) {
      expect(relativeError(two.get(name) as Float32Array, values), name).toBeLessThan(1e-4);
    }
  });

  it('the comparison can tell: other ghost batches (one shard instead of two) give other weights', async () => {
    const unsharded = await trainInWorkers(1, 1);
    const worst = Math.max(...[...one].map(([name, values]) => relativeError(unsharded.get(name) as Float32Array, values)));
    expect(worst).toBeGreaterThan(1e-3);
  }, 60_000);

  it('actually trains: every kernel and the running statistics moved', () => {
    for (const [name, values] of start) {
      if (name.includes('rectifier')) continue; // not in the trained group
      expect(relativeError(one.get(name) as Float32Array, values), name).toBeGreaterThan(1e-3);
    }
  });

  it('one worker matches the same sharded step run on this thread', () => {
    const net = createEmbeddingNet(CONFIG);
    const optimizer = tf.train.adam(0.01);
    const plan = planShards(BATCH, 2, 1);
    const rows = workerRows(plan, 0);
    for (const batch of batches()) {
      const x = tf.tensor4d(batch.images, [BATCH, 16, 16, 3]);
      shardedMetricStep(net, multiSimilarityLoss(), optimizer, { images: x, labels: batch.labels, start: 0, shardSizes: rows.shardSizes, firstShard: 0 }, localExchange);
      x.dispose();
    }
    const here = weightsOf(net);
    for (const [name, values] of one) expect(relativeError(here.get(name) as Float32Array, values), name).toBeLessThan(1e-5);
    optimizer.dispose();
    net.dispose();
  });

  it('leaves no tensors behind on this thread after a sharded step', () => {
    const net = createEmbeddingNet(CONFIG);
    const optimizer = tf.train.adam(0.01);
    const [batch] = batches();
    const x = tf.tensor4d((batch as { images: Float32Array }).images, [BATCH, 16, 16, 3]);
    const step = () => shardedMetricStep(net, multiSimilarityLoss(), optimizer, { images: x, labels: (batch as { labels: Int32Array }).labels, start: 0, shardSizes: [6, 6], firstShard: 0 }, localExchange);
    step(); // Adam creates its moments on the first step
    const before = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    optimizer.dispose();
    net.dispose();
  });

  it('refuses a batch of another size instead of training on garbage', async () => {
    const net = createEmbeddingNet(CONFIG);
    const optimizer = tf.train.adam(0.01);
    const trainer = await createParallelTrainer({ net, optimizer, learningRate: 0.01, batchSize: BATCH, workers: 2 });
    try {
      await expect(trainer.step(new Float32Array(8 * IMAGE), new Int32Array(8))).rejects.toThrow(/batches of 12/);
      // and still works afterwards
      const [batch] = batches();
      expect(Number.isFinite(await trainer.step((batch as { images: Float32Array }).images, (batch as { labels: Int32Array }).labels))).toBe(true);
    } finally {
      await trainer.close();
      optimizer.dispose();
      net.dispose();
    }
  }, 60_000);
});

describe('data-parallel training of the depthwise-separable backbone (dwsconv4)', () => {
  beforeAll(useWasmWithProjectKernels);
  const DWS = { ...CONFIG, arch: 'dwsconv4' as const, widths: [8, 12, 12, 16] };

  it('gives the same weights with two workers as with one, and every kernel moved', async () => {
    const net = createEmbeddingNet(DWS);
    const start = weightsOf(net);
    net.dispose();
    const one = await trainInWorkers(1, 2, DWS);
    const two = await trainInWorkers(2, 2, DWS);
    expect([...one.keys()]).toContain('stage2/depthwise/kernel');
    for (const [name, values] of one) {
      expect(relativeError(two.get(name) as Float32Array, values), name).toBeLessThan(1e-4);
      if (!name.includes('rectifier')) expect(relativeError(values, start.get(name) as Float32Array), name).toBeGreaterThan(1e-3);
    }
  }, 120_000);
});

describe('shard plans', () => {
  it('cuts a batch into shards and deals them to workers by contiguous rows', () => {
    const plan = planShards(32, 4, 2);
    expect(plan.shardStarts).toEqual([0, 8, 16, 24, 32]);
    expect(workerRows(plan, 0)).toEqual({ start: 0, end: 16, shardSizes: [8, 8], firstShard: 0 });
    expect(workerRows(plan, 1)).toEqual({ start: 16, end: 32, shardSizes: [8, 8], firstShard: 2 });
  });

  it('refuses plans batch norm cannot run (shards of one image) or with idle workers', () => {
    expect(() => planShards(6, 4, 2)).toThrow(/at least 2 images/);
    expect(() => planShards(32, 2, 3)).toThrow(/at least as many shards/);
  });
});
