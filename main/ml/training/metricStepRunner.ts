import * as tf from '@tensorflow/tfjs';
import type { MetricLoss } from '../losses/metricLoss';
import type { EmbeddingNet } from '../models/embeddingNet';
import { createParallelTrainer } from '../parallel/parallelTrainer';
import { localExchange, shardedMetricStep } from '../parallel/shardedMetricStep';
import { planShards, workerRows } from '../parallel/shardPlan';

/**
 * Where stage 1's optimiser steps run: on this thread (one worker) or over worker threads (one per
 * core). Both run the same sharded step, so with the same shard count they give the same weights.
 */
export interface MetricStepRunner {
  readonly workers: number;
  /** Ghost batches per step, each with its own batch-norm statistics. */
  readonly shards: number;
  step(images: Float32Array, labels: Int32Array): Promise<number>;
  /** Brings the caller's network and optimiser up to date (before validation or a checkpoint). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface MetricStepRunnerOptions {
  net: EmbeddingNet;
  loss: MetricLoss;
  optimizer: tf.Optimizer;
  learningRate: number;
  batchSize: number;
  workers: number;
  shards?: number;
}

export async function createMetricStepRunner(options: MetricStepRunnerOptions): Promise<MetricStepRunner> {
  const workers = Math.max(1, Math.floor(options.workers));
  const shards = options.shards ?? workers;
  if (workers > 1) {
    const trainer = await createParallelTrainer({ net: options.net, optimizer: options.optimizer, learningRate: options.learningRate, batchSize: options.batchSize, workers, shards });
    return { workers, shards, step: (images, labels) => trainer.step(images, labels), sync: () => trainer.pull(), close: () => trainer.close() };
  }
  const plan = planShards(options.batchSize, shards, 1);
  const rows = workerRows(plan, 0);
  const { net } = options;
  const { inputSize, channels } = net.config;
  return {
    workers,
    shards,
    async step(images, labels) {
      const x = tf.tensor4d(images, [labels.length, inputSize, inputSize, channels]);
      try {
        return shardedMetricStep(net, options.loss, options.optimizer, { images: x, labels, start: 0, shardSizes: rows.shardSizes, firstShard: 0 }, localExchange);
      } finally {
        x.dispose();
      }
    },
    sync: async () => undefined,
    close: async () => undefined,
  };
}
