/**
 * Data-parallel metric training over worker threads: one tfjs instance per core (wasm in Node is
 * single-threaded, so this is how training uses every core), each on its shards of every batch,
 * gradients summed through shared memory, one optimiser step. The coordinator (this module) only
 * writes batches and hands out work; it keeps the caller's network up to date on request (for
 * validation and checkpoints), so the rest of the trainer does not change.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { EmbeddingNet } from '../models/embeddingNet';
import { startModuleWorker } from '../../threads/startModuleWorker';
import { SharedBarrier } from './barrier';
import { allocateSharedBuffers, type SharedBuffers, type SharedSizes } from './sharedExchange';
import { statisticsLength } from './shardedMetricStep';
import { planShards, type ShardPlan } from './shardPlan';
import { assignValues, optimizerValues, restoreOptimizer, toValues } from './namedValues';
import type { TrainWorkerReply, TrainWorkerRequest } from './trainProtocol';

export interface ParallelTrainerOptions {
  /** The network to train; its weights are the starting point and are refreshed by `pull`. */
  net: EmbeddingNet;
  /** Adam's learning rate and (resume) state: the optimiser whose state workers start from and `pull` refreshes. */
  optimizer: tf.Optimizer;
  learningRate: number;
  batchSize: number;
  /** Worker threads (default: defaultTrainWorkers). */
  workers?: number;
  /** Ghost batches with their own batch-norm statistics (default: workers). */
  shards?: number;
  /** Backend candidates for the workers (default: the one running here). */
  prefer?: string[];
}

export interface ParallelTrainer {
  readonly plan: ShardPlan;
  /** One optimiser step on a batch (B x H x W x C, normalised) -> the batch's loss. */
  step(images: Float32Array, labels: Int32Array): Promise<number>;
  /** Copies the workers' weights and Adam state into the caller's network and optimiser. */
  pull(): Promise<void>;
  close(): Promise<void>;
}

/** Fewest images per ghost batch the default keeps (batch-norm statistics of fewer are noise). */
const MIN_SHARD_IMAGES = 8;

/**
 * Default worker count: on wasm (single-threaded per instance) every core this process may use, as
 * long as each worker's shard keeps MIN_SHARD_IMAGES images; native backends thread inside one
 * instance, so they use one.
 */
export function defaultTrainWorkers(backend: string, batchSize: number): number {
  if (backend !== 'wasm') return 1;
  return Math.max(1, Math.min(availableParallelism(), Math.floor(batchSize / MIN_SHARD_IMAGES)));
}

export async function createParallelTrainer(options: ParallelTrainerOptions): Promise<ParallelTrainer> {
  const { net, optimizer } = options;
  const workers = Math.max(1, Math.floor(options.workers ?? defaultTrainWorkers(tf.getBackend(), options.batchSize)));
  const plan = planShards(options.batchSize, options.shards ?? workers, workers);
  const variables = net.groupVariables('all');
  const sizes: SharedSizes = {
    imageLength: net.config.inputSize * net.config.inputSize * net.config.channels,
    embeddingDim: net.embeddingDim,
    parameterCount: variables.reduce((n, v) => n + v.size, 0),
    statisticsLength: statisticsLength(net),
  };
  const buffers: SharedBuffers = allocateSharedBuffers(plan, sizes);
  const images = new Float32Array(buffers.images);
  const labels = new Int32Array(buffers.labels);
  const control = new Int32Array(buffers.control);

  const threads: Worker[] = [];
  const waiting = new Map<Worker, { resolve: (reply: TrainWorkerReply) => void; reject: (error: Error) => void }>();
  let failure: Error | null = null;
  const fail = (error: Error) => {
    failure ??= error;
    SharedBarrier.abort(control);
    for (const pending of waiting.values()) pending.reject(failure);
    waiting.clear();
  };
  const request = (worker: Worker, message: TrainWorkerRequest): Promise<TrainWorkerReply> => {
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      waiting.set(worker, { resolve, reject });
      worker.postMessage(message);
    });
  };
  const expect = async <T extends TrainWorkerReply['type']>(reply: Promise<TrainWorkerReply>, type: T): Promise<Extract<TrainWorkerReply, { type: T }>> => {
    const answer = await reply;
    if (answer.type === 'failed') {
      const error = new Error(`training worker failed: ${answer.message}`);
      fail(error);
      throw error;
    }
    if (answer.type !== type) throw new Error(`training worker answered ${answer.type}, expected ${type}`);
    return answer as Extract<TrainWorkerReply, { type: T }>;
  };

  const weights = [...net.variables].map(([name, v]) => toValues(name, v));
  const optimizerState = await optimizerValues(optimizer);
  const prefer = options.prefer ?? [tf.getBackend()];
  let closing = false;
  for (let w = 0; w < workers; w++) {
    const thread = startModuleWorker(import.meta.url, 'trainWorkerMain');
    thread.on('message', (reply: TrainWorkerReply) => {
      const pending = waiting.get(thread);
      waiting.delete(thread);
      pending?.resolve(reply);
    });
    thread.on('error', (error) => fail(new Error(`training worker ${w} crashed: ${error.message}`)));
    thread.on('exit', (code) => {
      if (!closing) fail(new Error(`training worker ${w} exited (code ${code})`));
    });
    threads.push(thread);
  }
  const close = async () => {
    closing = true;
    SharedBarrier.abort(control);
    await Promise.all(threads.map((t) => t.terminate()));
  };
  try {
    await Promise.all(threads.map((thread, w) => expect(request(thread, { type: 'init', worker: w, plan, buffers, sizes, config: net.config, weights, learningRate: options.learningRate, optimizerState, prefer }), 'ready')));
  } catch (error) {
    await close();
    throw error;
  }

  return {
    plan,
    async step(batch, batchLabels) {
      if (batchLabels.length !== plan.batchSize) throw new Error(`the trainer was planned for batches of ${plan.batchSize}, got ${batchLabels.length}`);
      images.set(batch);
      labels.set(batchLabels);
      const replies = await Promise.all(threads.map((thread) => expect(request(thread, { type: 'step' }), 'stepped')));
      return (replies[0] as { loss: number }).loss;
    },
    async pull() {
      // Every worker holds the same weights (same summed gradient, same Adam step): ask the first.
      const snapshot = await expect(request(threads[0] as Worker, { type: 'snapshot' }), 'snapshot');
      assignValues((weights) => net.setWeights(weights), snapshot.weights);
      if (snapshot.optimizerState.length > 1) await restoreOptimizer(optimizer, snapshot.optimizerState);
    },
    close,
  };
}
