/**
 * One worker of the data-parallel trainer: its own tfjs instance (one wasm heap per thread), its own
 * copy of the network and of Adam, and its shards of every batch. See shardedMetricStep.ts for the
 * step and sharedExchange.ts for what crosses between workers.
 */
import type { MessagePort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend/selectBackend';
import { multiSimilarityLoss } from '../losses/multiSimilarityLoss';
import { createEmbeddingNet, type EmbeddingNet } from '../models/embeddingNet';
import { SharedBarrier } from './barrier';
import { SharedExchange } from './sharedExchange';
import { shardedMetricStep } from './shardedMetricStep';
import { workerRows } from './shardPlan';
import { assignValues, optimizerValues, restoreOptimizer, toValues } from './namedValues';
import type { InitRequest, TrainWorkerReply, TrainWorkerRequest } from './trainProtocol';

interface WorkerState {
  request: InitRequest;
  net: EmbeddingNet;
  optimizer: tf.Optimizer;
  exchange: SharedExchange;
  images: Float32Array;
  labels: Int32Array;
}

export function serveTrainWorker(port: MessagePort): void {
  let state: WorkerState | undefined;
  const post = (reply: TrainWorkerReply) => port.postMessage(reply);

  port.on('message', async (request: TrainWorkerRequest) => {
    try {
      if (request.type === 'init') {
        state = await initialise(request);
        post({ type: 'ready', backend: tf.getBackend() });
      } else if (request.type === 'step') {
        if (!state) throw new Error('step before init');
        post({ type: 'stepped', loss: step(state) });
      } else if (request.type === 'snapshot') {
        if (!state) throw new Error('snapshot before init');
        const optimizerState = (await optimizerValues(state.optimizer)) ?? [];
        post({ type: 'snapshot', weights: [...state.net.variables].map(([name, v]) => toValues(name, v)), optimizerState });
      }
    } catch (error) {
      // A failed worker releases the others from the barrier instead of leaving them waiting.
      if (state) SharedBarrier.abort(new Int32Array(state.request.buffers.control));
      post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  });
}

async function initialise(request: InitRequest): Promise<WorkerState> {
  await selectBackend({ prefer: request.prefer, log: () => undefined });
  const net = createEmbeddingNet(request.config);
  assignValues((weights) => net.setWeights(weights), request.weights);
  const optimizer = tf.train.adam(request.learningRate);
  if (request.optimizerState && request.optimizerState.length > 1) await restoreOptimizer(optimizer, request.optimizerState);
  return {
    request,
    net,
    optimizer,
    exchange: new SharedExchange(request.buffers, request.plan, request.worker, request.sizes),
    images: new Float32Array(request.buffers.images),
    labels: new Int32Array(request.buffers.labels),
  };
}

function step(state: WorkerState): number {
  const { request, net, optimizer, exchange } = state;
  const rows = workerRows(request.plan, request.worker);
  const length = request.sizes.imageLength;
  const { inputSize, channels } = request.config;
  const images = tf.tensor4d(state.images.slice(rows.start * length, rows.end * length), [rows.end - rows.start, inputSize, inputSize, channels]);
  try {
    return shardedMetricStep(net, multiSimilarityLoss(), optimizer, { images, labels: state.labels.slice(), start: rows.start, shardSizes: rows.shardSizes, firstShard: rows.firstShard }, exchange);
  } finally {
    images.dispose();
  }
}
